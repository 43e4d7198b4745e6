package wasmhost

import (
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
)

func TestLogRecord(t *testing.T) {
	for _, c := range []struct {
		line string
		want sim.Entry
		ok   bool
	}{
		{`time=2024-01-01T00:00:01.000Z level=WARN msg="leader lost" term=3 peer="raft-1:7000"`,
			sim.Entry{Name: "leader lost", Msg: "leader lost", Level: slog.LevelWarn, Attrs: []slog.Attr{slog.String("term", "3"), slog.String("peer", "raft-1:7000")}}, true},
		{`time=2024-01-01T00:00:01.000Z level=INFO msg=started`,
			sim.Entry{Name: "started", Msg: "started"}, true},
		{`{"time":"2024-01-01T00:00:01Z","level":"ERROR","msg":"write failed","n":12,"ok":false}`,
			sim.Entry{Name: "write failed", Msg: "write failed", Level: slog.LevelError, Attrs: []slog.Attr{slog.Any("n", int64(12)), slog.Any("ok", false)}}, true},
		{`2024/01/01 00:00:01 INFO started`, sim.Entry{}, false},
		{`level=INFO no message`, sim.Entry{}, false},
		{`time=x level=INFO msg="unterminated`, sim.Entry{}, false},
		{`{"time": broken`, sim.Entry{}, false},
	} {
		got, ok := logRecord(c.line)
		require.Equal(t, c.ok, ok, c.line)
		if d := cmp.Diff(c.want, got, cmp.Comparer(func(a, b slog.Attr) bool { return a.Equal(b) })); d != "" {
			t.Errorf("%s (-want +got):\n%s", c.line, d)
		}
	}
}
