package simtest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

func TestLoggerJoinsTheTimeline(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		log := s.Logger().With("node", 2)
		s.Go("replica", func(ctx context.Context) error {
			s.Sleep(250 * time.Millisecond)
			log.WithGroup("req").Info("write applied", "id", 7, "bytes", 512)
			log.Warn("slow apply")
			return nil
		})
		s.Sleep(time.Second)
		s.Errorf("fail, to see the timeline")
	}, simtest.Seeds(1))
	out := res.Report
	assert.Contains(t, out, "timeline around the first failure")
	assert.Regexp(t, `250ms  replica +write applied node=2 req.id=7 req.bytes=512\n`, out)
	assert.Regexp(t, `250ms  replica +slow apply level=WARN node=2\n`, out)
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

// The timeline file lists the disks' operations among the entries, where
// they were submitted, each with its file, length and offset; the HTML
// timeline's disk bars carry the offsets too.
func TestTimelineFileListsDiskOperations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.jsonl")
	var doc *timelinehtml.Doc
	r := runIn("TestTimelineFileListsDiskOperations", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			st := s.Disk("db").Storage()
			f, err := st.Create("wal")
			require.NoError(s, err)
			s.Logf("before")
			_, err = f.WriteAt([]byte("record"), 841)
			require.NoError(s, err)
			require.NoError(s, f.Sync())
			require.NoError(s, f.Truncate(0))
			s.Logf("after")
		}, simtest.Seeds(1), simtest.Storage(chaos.NoStorageFaults()), simtest.TimelineFile(path),
			simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	})
	require.False(t, r.failed, r.output())
	type line struct {
		AtNS  int64          `json:"at_ns"`
		Task  string         `json:"task"`
		Name  string         `json:"name"`
		Msg   string         `json:"msg"`
		Attrs map[string]any `json:"attrs"`
	}
	var msgs []string
	var write line
	for _, l := range jsonLines[line](t, path) {
		if l.Name == "disk-op" || l.Name == "before" || l.Name == "after" {
			msgs = append(msgs, l.Msg)
		}
		if l.Name == "disk-op" && l.Attrs["op"] == "write" {
			write = l
		}
	}
	assert.Equal(t, []string{
		"disk db: open wal", "before", "disk db: write wal: 6 bytes at 841", "disk db: sync wal: 512 bytes",
		"disk db: truncate wal to 0", "after",
	}, msgs)
	assert.Equal(t, "driver", write.Task)
	assert.Equal(t, map[string]any{"disk": "db", "op": "write", "file": "wal", "bytes": 6.0, "off": 841.0, "done_ns": write.Attrs["done_ns"]}, write.Attrs)
	assert.Greater(t, write.Attrs["done_ns"], float64(write.AtNS), "done after it was submitted")

	require.NotNil(t, doc)
	var ops []string
	for _, d := range doc.Disk {
		op := d.What + " " + d.File
		if d.Off != nil {
			op += fmt.Sprintf(" at %d", *d.Off)
		}
		ops = append(ops, op)
	}
	assert.Equal(t, []string{"open wal", "write wal at 841", "sync wal", "truncate wal at 0"}, ops)
}

// The timeline file alone, with no HTML timeline asked for, lists them too.
func TestTimelineFileAloneListsDiskOperations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.jsonl")
	r := runIn("TestTimelineFileAloneListsDiskOperations", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			f, err := s.Disk("db").Storage().Create("wal")
			require.NoError(s, err)
			_, err = f.Write([]byte("record"))
			require.NoError(s, err)
		}, simtest.Seeds(1), simtest.TimelineFile(path))
	})
	require.False(t, r.failed, r.output())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"name":"disk-op","msg":"disk db: write wal: 6 bytes at 0"`)
}

// A write a full disk cuts short, or refuses whole, shows in the timeline
// file as what was asked, what was written and why: a team debugging its
// handling of ENOSPC sees the partial record it left.
func TestTimelineFileTellsAWriteCutShort(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.jsonl")
	var doc *timelinehtml.Doc
	r := runIn("TestTimelineFileTellsAWriteCutShort", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			f, err := s.Disk("db").Storage().Create("wal")
			require.NoError(s, err)
			n, err := f.Write(make([]byte, 1000))
			require.ErrorIs(s, err, syscall.ENOSPC)
			require.Equal(s, 512, n)
			_, err = f.Write(make([]byte, 10))
			require.ErrorIs(s, err, syscall.ENOSPC)
		}, simtest.Seeds(1), simtest.Storage(chaos.Storage{Capacity: 512}), simtest.TimelineFile(path),
			simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	})
	require.False(t, r.failed, r.output())
	type line struct {
		Name  string         `json:"name"`
		Msg   string         `json:"msg"`
		Attrs map[string]any `json:"attrs"`
	}
	var writes []line
	for _, l := range jsonLines[line](t, path) {
		if l.Name == "disk-op" && l.Attrs["op"] == "write" {
			delete(l.Attrs, "done_ns")
			writes = append(writes, l)
		}
	}
	assert.Equal(t, []line{
		{Name: "disk-op", Msg: "disk db: write wal: 512 of 1000 bytes at 0: no space left on device",
			Attrs: map[string]any{"disk": "db", "op": "write", "file": "wal", "bytes": 512.0, "asked": 1000.0, "off": 0.0, "err": "no space left on device"}},
		{Name: "disk-op", Msg: "disk db: write wal: 0 of 10 bytes at 512: no space left on device",
			Attrs: map[string]any{"disk": "db", "op": "write", "file": "wal", "bytes": 0.0, "asked": 10.0, "off": 512.0, "err": "no space left on device"}},
	}, writes)

	// The page's disk operations say as much.
	require.NotNil(t, doc)
	var drawn []timelinehtml.DiskOp
	for _, d := range doc.Disk {
		if d.What == "write" {
			d.StartNS, d.EndNS, d.Off = 0, 0, nil
			drawn = append(drawn, d)
		}
	}
	assert.Equal(t, []timelinehtml.DiskOp{
		{Lane: "db", What: "write", File: "wal", Bytes: 512, Task: "driver", Asked: 1000, Err: "no space left on device"},
		{Lane: "db", What: "write", File: "wal", Bytes: 0, Task: "driver", Asked: 10, Err: "no space left on device"},
	}, drawn)
}

// A long seed's whole timeline runs to millions of entries: the timeline
// kept for the file and the page is bounded (simtest.TimelineMax), to
// the entries and operations nearest the seed's end, and what it left out
// is said at the head of both.
func TestTimelineMaxBoundsTheTimelineKept(t *testing.T) {
	failAt := -1
	body := func(s *simtest.S) {
		f, err := s.Storage().Create("log")
		require.NoError(s, err)
		for i := range 2500 {
			if i == failAt {
				s.Errorf("the first failure")
			}
			s.Logger().Info("tick", "i", i)
			_, err := f.Write([]byte("x"))
			require.NoError(s, err)
		}
		s.Sleep(time.Second)
		s.Logger().Info("last")
	}
	type line struct {
		Name  string         `json:"name"`
		Msg   string         `json:"msg"`
		Attrs map[string]any `json:"attrs"`
	}
	read := func(path string) []line {
		t.Helper()
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var lines []line
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var x line
			require.NoError(t, json.Unmarshal([]byte(l), &x))
			lines = append(lines, x)
		}
		return lines
	}
	count := func(lines []line, name string) int {
		n := 0
		for _, l := range lines {
			if l.Name == name {
				n++
			}
		}
		return n
	}

	path := filepath.Join(t.TempDir(), "timeline.jsonl")
	var doc *timelinehtml.Doc
	res := simtest.Simulate(body, simtest.Seeds(1), simtest.TimelineFile(path), simtest.TimelineMax(1000),
		simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	require.True(t, res.OK(), res.Report)
	lines := read(path)
	require.NotEmpty(t, lines)
	head := lines[0]
	assert.Equal(t, "timeline cut", head.Name)
	assert.Regexp(t, `^the timeline keeps 1000 entries and device operations \(messages and disk operations\) together, those nearest the seed's end: `+
		`the \d+ entries and \d+ operations before them, up to [0-9.]+m?s, are left out \(-simtimelinemax=N keeps more, -simtimelinemax=0 keeps all; or simtest.TimelineMax\)$`, head.Msg)
	assert.Equal(t, 1000, len(lines)-1, "the last 1000 entries and disk operations")
	assert.Greater(t, count(lines, "disk-op"), 400, "the two interleaved")
	assert.Equal(t, "last", lines[len(lines)-2].Name, "those nearest the end, the driver's end after it")
	entriesOut, opsOut := head.Attrs["entries_left_out"].(float64), head.Attrs["ops_left_out"].(float64)
	assert.Greater(t, entriesOut, 1500.0)
	assert.Greater(t, opsOut, 1500.0)
	require.NotNil(t, doc)
	assert.Contains(t, doc.Notes, head.Msg+".", "the page says so too")

	all := filepath.Join(t.TempDir(), "all.jsonl")
	res = simtest.Simulate(body, simtest.Seeds(1), simtest.TimelineFile(all), simtest.TimelineMax(0))
	require.True(t, res.OK(), res.Report)
	lines = read(all)
	assert.NotEqual(t, "timeline cut", lines[0].Name, "0 keeps every entry")
	assert.Equal(t, 1000+int(entriesOut+opsOut), len(lines), "0 keeps every entry")
	assert.Equal(t, 2501, count(lines, "disk-op"), "a create and 2500 writes")

	// A seed that failed keeps those nearest its first failure: three
	// quarters of the bound before it, a quarter after.
	failAt = 1200
	failing := filepath.Join(t.TempDir(), "failing.jsonl")
	res = simtest.Simulate(body, simtest.Seeds(1), simtest.TimelineFile(failing), simtest.TimelineMax(1000))
	require.False(t, res.OK())
	lines = read(failing)
	assert.Regexp(t, `^the timeline keeps 1000 entries and device operations \(messages and disk operations\) together, those nearest the first failure: `+
		`the \d+ entries and \d+ operations before them, up to [0-9.]+m?s, and the \d+ entries and \d+ operations after them, from [0-9.]+m?s on, are left out`, lines[0].Msg)
	assert.Equal(t, 1000, len(lines)-1)
	at := slices.IndexFunc(lines, func(l line) bool { return l.Name == "error" })
	require.Positive(t, at, "the failure is kept")
	assert.InDelta(t, 750, at, 5, "three quarters before it")
	assert.InDelta(t, 1200+250/2, lines[len(lines)-1].Attrs["i"], 2, "a quarter after it, ticks and disk operations")
	assert.Contains(t, res.Report, "the timeline file has the 1000 entries and device operations nearest the first failure, -simtimelinemax=0 all of them)",
		"the report does not promise the file all of a timeline past the bound")

	// A failure near the seed's end leaves the rest of the bound to the
	// entries before it.
	failAt = 2490
	res = simtest.Simulate(body, simtest.Seeds(1), simtest.TimelineFile(failing), simtest.TimelineMax(1000))
	require.False(t, res.OK())
	lines = read(failing)
	assert.Equal(t, 1000, len(lines)-1)
	assert.Regexp(t, `those nearest the first failure: the \d+ entries and \d+ operations before them, up to [0-9.]+m?s, are left out`, lines[0].Msg)
	at = slices.IndexFunc(lines, func(l line) bool { return l.Name == "error" })
	assert.Greater(t, at, 960, "all but the few entries after it are before it")

	// However small the bound, the failure's own entry is kept.
	failAt = 1200
	for _, n := range []int{1, 2, 3, 4} {
		res = simtest.Simulate(body, simtest.Seeds(1), simtest.TimelineFile(failing), simtest.TimelineMax(n))
		require.False(t, res.OK())
		lines = read(failing)
		assert.Len(t, lines, n+1, "bound %d", n)
		assert.Equal(t, "error", lines[len(lines)-1].Name, "bound %d: the failure's own entry is kept", n)
		if n == 1 {
			assert.Regexp(t, `^the timeline keeps 1 entry and device operations \(messages and disk operations\) together, those nearest the first failure: `+
				`the \d+ entries and \d+ operations before them, up to [0-9.]+m?s, and the \d+ entries and \d+ operations after them`, lines[0].Msg)
		}
	}
}

func TestTimelineMaxRefusesANegativeBound(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {}, simtest.TimelineMax(-1))
	assert.False(t, res.OK())
	assert.Contains(t, res.Report, "simtest.TimelineMax(-1): the number of entries must be at least 0 (0 keeps them all)")
}

// jsonLines reads the file at path, a JSON value a line (a timeline
// file), into a T each.
func jsonLines[T any](t *testing.T, path string) []T {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []T
	for _, raw := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var v T
		require.NoError(t, json.Unmarshal([]byte(raw), &v), raw)
		out = append(out, v)
	}
	return out
}
