package providers_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// raftLogger is etcd/raft's raft.Logger, method for method.
type raftLogger interface {
	Debug(v ...any)
	Debugf(format string, v ...any)
	Error(v ...any)
	Errorf(format string, v ...any)
	Info(v ...any)
	Infof(format string, v ...any)
	Warning(v ...any)
	Warningf(format string, v ...any)
	Fatal(v ...any)
	Fatalf(format string, v ...any)
	Panic(v ...any)
	Panicf(format string, v ...any)
}

// grpcLoggerV2 is grpclog's LoggerV2, method for method.
type grpcLoggerV2 interface {
	Info(args ...any)
	Infoln(args ...any)
	Infof(format string, args ...any)
	Warning(args ...any)
	Warningln(args ...any)
	Warningf(format string, args ...any)
	Error(args ...any)
	Errorln(args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalln(args ...any)
	Fatalf(format string, args ...any)
	V(l int) bool
}

var (
	_ raftLogger   = (*providers.LibraryLogger)(nil)
	_ grpcLoggerV2 = (*providers.LibraryLogger)(nil)
)

// records is a slog.Handler that keeps what it is given.
type records struct{ got []slog.Record }

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.got = append(h.got, r)
	return nil
}
func (h *records) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *records) WithGroup(string) slog.Handler      { return h }

func TestLibraryLoggerLevelsAndMessages(t *testing.T) {
	h := &records{}
	l := providers.NewLibraryLogger(slog.New(h))
	l.Debugf("term %d", 3)
	l.Info("became ", "leader")
	l.Infoln("applied", 7)
	l.Warningf("slow fsync: %s", "2s")
	l.Error("lost ", 2, " peers")
	type line struct {
		Level slog.Level
		Msg   string
	}
	var got []line
	for _, r := range h.got {
		got = append(got, line{r.Level, r.Message})
	}
	assert.Equal(t, []line{
		{slog.LevelDebug, "term 3"},
		{slog.LevelInfo, "became leader"},
		{slog.LevelInfo, "applied 7"},
		{slog.LevelWarn, "slow fsync: 2s"},
		{slog.LevelError, "lost 2 peers"},
	}, got)
}

// Fatal logs and panics with a *FatalError; it never calls os.Exit
// (this test would not end).
func TestLibraryLoggerFatalPanics(t *testing.T) {
	h := &records{}
	l := providers.NewLibraryLogger(slog.New(h))
	defer func() {
		v := recover()
		require.IsType(t, &providers.FatalError{}, v)
		assert.EqualError(t, v.(error), "fatal: raft: index 9 is out of range [1, 5]")
		require.Len(t, h.got, 1)
		assert.Equal(t, providers.LevelFatal, h.got[0].Level)
	}()
	l.Fatalf("raft: index %d is out of range [%d, %d]", 9, 1, 5)
	t.Fatal("Fatalf returned")
}

func TestLibraryLoggerPanicPanicsWithTheMessage(t *testing.T) {
	l := providers.NewLibraryLogger(slog.New(&records{}))
	assert.PanicsWithValue(t, "raft: bad state", func() { l.Panicf("raft: %s", "bad state") })
}

// In a simulation, a library's fatal error fails the seed with its
// message, and its lines are in the seed's timeline: the test binary
// goes on.
func TestLibraryLoggerFatalFailsTheSeed(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		p := s.Providers()
		lib := providers.NewLibraryLogger(p.Logger)
		h := s.Go("raft", func(ctx context.Context) error {
			lib.Infof("starting node %d", 1)
			lib.Fatalf("raft: log is corrupted at index %d", 42)
			return nil
		})
		_ = h.Join(s.Context())
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "fatal: raft: log is corrupted at index 42")
	assert.Contains(t, res.Report, "starting node 1")
}
