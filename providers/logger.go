package providers

import (
	"context"
	"fmt"
	"log/slog"
)

// LevelFatal is the level at which [LibraryLogger] logs a fatal error,
// above [slog.LevelError].
const LevelFatal = slog.LevelError + 4

// LibraryLogger gives a library that takes a logger of its own the
// process's [slog.Logger]: the printf-style, levelled interface of
// etcd/raft's raft.Logger (Debug, Info, Warning, Error, Fatal and Panic,
// each also with an f), and the ln variants and V of grpclog's LoggerV2.
// Handed p.Logger, the library's lines join the simulation's timeline,
// stamped with simulated time and the process, instead of going to
// stderr with the wall clock's time:
//
//	cfg := &raft.Config{..., Logger: providers.NewLibraryLogger(p.Logger)}
//
// Fatal does not end the program with os.Exit, as such loggers do by
// default, which in a test would end the whole test binary: it logs at
// [LevelFatal] and panics with a [*FatalError]. In a simulation the panic
// fails the seed with the library's message and the stack that called
// Fatal; in production it ends the program as an unrecovered panic does,
// with deferred calls run first. Panic logs at [slog.LevelError] and
// panics with the message, as the libraries' own loggers do.
type LibraryLogger struct {
	l *slog.Logger
}

// NewLibraryLogger returns a LibraryLogger that writes to l;
// slog.Default() when l is nil.
func NewLibraryLogger(l *slog.Logger) *LibraryLogger {
	if l == nil {
		l = slog.Default()
	}
	return &LibraryLogger{l: l}
}

// FatalError is what [LibraryLogger.Fatal] panics with: the message the
// library logged as fatal.
type FatalError struct {
	Msg string
}

func (e *FatalError) Error() string { return "fatal: " + e.Msg }

func (g *LibraryLogger) log(level slog.Level, msg string) {
	g.l.Log(context.Background(), level, msg)
}

// Debug, Info, Warning and Error log at the slog levels of those names;
// the f forms format as fmt.Sprintf does, the ln forms space their
// operands as fmt.Sprintln does.
func (g *LibraryLogger) Debug(v ...any) { g.log(slog.LevelDebug, fmt.Sprint(v...)) }
func (g *LibraryLogger) Debugf(format string, v ...any) {
	g.log(slog.LevelDebug, fmt.Sprintf(format, v...))
}
func (g *LibraryLogger) Info(v ...any) { g.log(slog.LevelInfo, fmt.Sprint(v...)) }
func (g *LibraryLogger) Infof(format string, v ...any) {
	g.log(slog.LevelInfo, fmt.Sprintf(format, v...))
}
func (g *LibraryLogger) Infoln(v ...any)  { g.log(slog.LevelInfo, sprintln(v)) }
func (g *LibraryLogger) Warning(v ...any) { g.log(slog.LevelWarn, fmt.Sprint(v...)) }
func (g *LibraryLogger) Warningf(format string, v ...any) {
	g.log(slog.LevelWarn, fmt.Sprintf(format, v...))
}
func (g *LibraryLogger) Warningln(v ...any) { g.log(slog.LevelWarn, sprintln(v)) }
func (g *LibraryLogger) Error(v ...any)     { g.log(slog.LevelError, fmt.Sprint(v...)) }
func (g *LibraryLogger) Errorf(format string, v ...any) {
	g.log(slog.LevelError, fmt.Sprintf(format, v...))
}
func (g *LibraryLogger) Errorln(v ...any) { g.log(slog.LevelError, sprintln(v)) }

// Fatal logs at [LevelFatal] and panics with a [*FatalError].
func (g *LibraryLogger) Fatal(v ...any) { g.fatal(fmt.Sprint(v...)) }

// Fatalf is [LibraryLogger.Fatal] with a format.
func (g *LibraryLogger) Fatalf(format string, v ...any) { g.fatal(fmt.Sprintf(format, v...)) }

// Fatalln is [LibraryLogger.Fatal] with operands spaced as by Println.
func (g *LibraryLogger) Fatalln(v ...any) { g.fatal(sprintln(v)) }

func (g *LibraryLogger) fatal(msg string) {
	g.log(LevelFatal, msg)
	panic(&FatalError{Msg: msg})
}

// Panic logs at [slog.LevelError] and panics with the message.
func (g *LibraryLogger) Panic(v ...any) { g.panic(fmt.Sprint(v...)) }

// Panicf is [LibraryLogger.Panic] with a format.
func (g *LibraryLogger) Panicf(format string, v ...any) { g.panic(fmt.Sprintf(format, v...)) }

func (g *LibraryLogger) panic(msg string) {
	g.log(slog.LevelError, msg)
	panic(msg)
}

// V reports whether verbosity level l is logged, for grpclog's LoggerV2:
// every level is, and the slog.Logger's handler decides what it keeps.
func (g *LibraryLogger) V(l int) bool { return true }

// sprintln is fmt.Sprintln without its newline.
func sprintln(v []any) string {
	s := fmt.Sprintln(v...)
	return s[:len(s)-1]
}
