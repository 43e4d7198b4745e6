package providers_test

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/moonpool-go/moonpool/providers"
)

// A library that takes a logger of its own (etcd/raft's Config.Logger,
// grpclog.SetLoggerV2) is given the process's: its lines join the
// timeline in a simulation, and a fatal error fails the seed instead of
// ending the test binary with os.Exit.
func ExampleLibraryLogger() {
	// In a process, p.Logger; here a text handler without timestamps.
	p := providers.Providers{Logger: slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))}
	lib := providers.NewLibraryLogger(p.Logger) // raft.Config{Logger: lib}
	lib.Infof("became leader at term %d", 2)

	defer func() { fmt.Println("recovered:", recover()) }()
	lib.Fatalf("tocommit(%d) is out of range [lastIndex(%d)]", 9, 5)
	// Output:
	// level=INFO msg="became leader at term 2"
	// level=ERROR+4 msg="tocommit(9) is out of range [lastIndex(5)]"
	// recovered: fatal: tocommit(9) is out of range [lastIndex(5)]
}

// A library that logs to a *log.Logger is given one that writes to the
// process's slog.Logger, with log/slog's own adapter. Its Fatal still
// calls os.Exit, whatever it writes to: give such a library a
// LibraryLogger where it takes an interface.
func ExampleLibraryLogger_stdlog() {
	h := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	p := providers.Providers{Logger: slog.New(h)}
	std := slog.NewLogLogger(p.Logger.Handler(), slog.LevelWarn)
	std.Printf("http: TLS handshake error from %s", "10.0.0.2:4711")
	// Output:
	// level=WARN msg="http: TLS handshake error from 10.0.0.2:4711"
}
