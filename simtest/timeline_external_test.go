package simtest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

func TestLoggerJoinsTheTimeline(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		log := s.Logger().With("node", 2)
		s.Go("replica", func(ctx context.Context) error {
			s.Sleep(250 * time.Millisecond)
			log.WithGroup("req").Info("write applied", "id", 7, "bytes", 512)
			log.Debug("idle")
			return nil
		})
		s.Sleep(time.Second)
		s.Errorf("fail, to see the timeline")
	}, simtest.Seeds(1))
	out := res.Report
	assert.Contains(t, out, "timeline around the first failure")
	assert.Regexp(t, `250ms  replica +write applied node=2 req.id=7 req.bytes=512\n`, out)
	assert.Regexp(t, `250ms  replica +idle level=DEBUG node=2\n`, out)
	assert.Regexp(t, `0s  replica +task started\n`, out, "the engine's events are in the same timeline")
}

func TestTimelineFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.jsonl")
	r := runIn("TestTimelineFile", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Go("worker", func(ctx context.Context) error {
				s.Logger().Info("hello", "n", 1, "ok", true, "d", time.Second, slog.Group("req", "id", 7))
				return nil
			})
			s.Sleep(time.Second)
			s.Logf("done")
		}, simtest.Seeds(3), simtest.TimelineFile(path))
	})
	require.False(t, r.failed, r.output())
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	type line struct {
		Seed  uint64         `json:"seed"`
		AtNS  int64          `json:"at_ns"`
		At    string         `json:"at"`
		Task  string         `json:"task"`
		Name  string         `json:"name"`
		Msg   string         `json:"msg"`
		Level string         `json:"level"`
		Attrs map[string]any `json:"attrs"`
	}
	var lines []line
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l line
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		lines = append(lines, l)
	}
	require.NoError(t, sc.Err())
	var names []string
	for _, l := range lines {
		names = append(names, l.Task+": "+l.Name)
		assert.Equal(t, lines[0].Seed, l.Seed, "one seed: the last")
	}
	assert.Equal(t, []string{
		"driver: task started", "worker: task started", "worker: hello", "worker: task finished",
		"driver: done", "driver: task finished",
	}, names)
	hello := lines[2]
	assert.Equal(t, map[string]any{"n": 1.0, "ok": true, "d": "1s", "req.id": 7.0}, hello.Attrs, "a group's attributes have dotted keys")
	assert.Equal(t, "INFO", hello.Level)
	assert.Equal(t, int64(time.Second), lines[4].AtNS)
	assert.Equal(t, "1s", lines[4].At)
	assert.Contains(t, r.output(), strings.Join([]string{"simtest: wrote the timeline to", path}, " "))
}

func TestTimelineTail(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		for i := range 20 {
			s.Logf("line %d", i)
		}
		s.Errorf("fail")
	}, simtest.Seeds(1), simtest.TimelineTail(5))
	out := res.Report
	events := out[strings.Index(out, "timeline around the first failure"):strings.Index(out, "simtest: 1 seed")]
	before, _, _ := strings.Cut(events, "error: fail")
	assert.Equal(t, 5, strings.Count(before, "\n    "), "the heading's line break and the 4 entries before the failure's: %s", events)
	assert.Contains(t, events, "line 19")
	assert.NotContains(t, events, "line 15")
}
