package etcdraft

import (
	"context"
	"fmt"
	"log/slog"
)

// raftLogger gives raft a logger that writes to the process's slog logger,
// which in a simulation is the seed's timeline. Raft's default logger
// writes wall-clock times to stderr and calls os.Exit on Fatal, which would
// end the whole test binary; here Fatal panics, and the seed fails with the
// message.
type raftLogger struct{ l *slog.Logger }

func (r raftLogger) log(level slog.Level, msg string) {
	if r.l != nil {
		r.l.Log(context.Background(), level, msg)
	}
}

func (raftLogger) Debug(...any)          {}
func (raftLogger) Debugf(string, ...any) {}
func (r raftLogger) Info(v ...any)       { r.log(slog.LevelInfo, fmt.Sprint(v...)) }
func (r raftLogger) Infof(f string, v ...any) {
	r.log(slog.LevelInfo, fmt.Sprintf(f, v...))
}
func (r raftLogger) Warning(v ...any) { r.log(slog.LevelWarn, fmt.Sprint(v...)) }
func (r raftLogger) Warningf(f string, v ...any) {
	r.log(slog.LevelWarn, fmt.Sprintf(f, v...))
}
func (r raftLogger) Error(v ...any) { r.log(slog.LevelError, fmt.Sprint(v...)) }
func (r raftLogger) Errorf(f string, v ...any) {
	r.log(slog.LevelError, fmt.Sprintf(f, v...))
}
func (r raftLogger) Fatal(v ...any)            { panic("raft: " + fmt.Sprint(v...)) }
func (r raftLogger) Fatalf(f string, v ...any) { panic("raft: " + fmt.Sprintf(f, v...)) }
func (r raftLogger) Panic(v ...any)            { panic("raft: " + fmt.Sprint(v...)) }
func (r raftLogger) Panicf(f string, v ...any) { panic("raft: " + fmt.Sprintf(f, v...)) }
