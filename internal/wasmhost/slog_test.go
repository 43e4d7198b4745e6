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

// A line of the log package in HashiCorp's convention, a level in
// brackets after the date and time or none, is read with that level; its
// message is what follows the bracket.
func TestLeveledLine(t *testing.T) {
	for _, c := range []struct {
		line  string
		level slog.Level
		msg   string
		ok    bool
	}{
		{`2024/01/01 00:01:42 [DEBUG] memberlist: Stream connection from=10.0.0.1:49161`, slog.LevelDebug, `memberlist: Stream connection from=10.0.0.1:49161`, true},
		{`2024/01/01 00:01:42.123456 [WARN] memberlist: Was able to connect to gossip-0 over TCP but UDP probes failed`, slog.LevelWarn, `memberlist: Was able to connect to gossip-0 over TCP but UDP probes failed`, true},
		{`[INFO] memberlist: Marking gossip-1 as failed`, slog.LevelInfo, `memberlist: Marking gossip-1 as failed`, true},
		{`2024/01/01 00:00:07 [ERR] memberlist: Failed fallback TCP ping`, slog.LevelError, `memberlist: Failed fallback TCP ping`, true},
		{`2024/01/01 00:00:07 [ERROR] raft: failed to contact`, slog.LevelError, `raft: failed to contact`, true},
		{`2024/01/01 00:00:07 [TRACE] raft: heartbeat`, slog.LevelDebug - 4, `raft: heartbeat`, true},
		{`2024/01/01 00:00:07 started`, 0, ``, false},
		{`2024/01/01 00:00:07 [NOTICE] something`, 0, ``, false},
		{`2024/01/01 [DEBUG] no time`, 0, ``, false},
		{`2024/01/01 00:00:07.[DEBUG] no fraction`, 0, ``, false},
		{`[DEBUG]no space`, 0, ``, false},
		// hclog's lines (Raft, Consul), its INFO and WARN padded.
		{`2024-01-02T15:04:05.123Z [DEBUG] raft: vote granted: from=raft-1`, slog.LevelDebug, `raft: vote granted: from=raft-1`, true},
		{`2024-01-02T15:04:05.123Z [INFO]  raft: entering follower state`, slog.LevelInfo, `raft: entering follower state`, true},
		{`2024-01-02T15:04:05.123+0100 [WARN]  raft: heartbeat timeout reached`, slog.LevelWarn, `raft: heartbeat timeout reached`, true},
		{`2024-01-02T15:04:05.123Z [ERROR] raft: failed to appendEntries`, slog.LevelError, `raft: failed to appendEntries`, true},
		{`[INFO]  raft: no time`, slog.LevelInfo, `raft: no time`, true},
		{`2024-01-02T15:04:05.123+01 [WARN]  a short zone`, 0, ``, false},
		{`2024-01-02 15:04:05 [WARN] another layout`, 0, ``, false},
		{`a line with [ERR] in its middle`, 0, ``, false},
		{`panic: [DEBUG] in a panic's words`, 0, ``, false},
	} {
		level, msg, ok := leveledLine(c.line)
		require.Equal(t, c.ok, ok, c.line)
		require.Equal(t, c.level, level, c.line)
		require.Equal(t, c.msg, msg, c.line)
	}
}
