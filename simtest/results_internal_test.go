package simtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestAsJSONIsWhatJSONKeeps: any bytes, through asJSON, read as they
// read back from a JSON string, as a merge reads a results file.
func TestAsJSONIsWhatJSONKeeps(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		s := string(rapid.SliceOf(rapid.OneOf(rapid.Byte(), rapid.ByteRange(0x80, 0xff))).Draw(rt, "bytes"))
		b, err := json.Marshal(s)
		require.NoError(rt, err)
		var back string
		require.NoError(rt, json.Unmarshal(b, &back))
		require.Equal(rt, back, asJSON(s))
	})
}

// TestResultsAreWrittenAsSeedsEnd: each seed's line is in the file as
// soon as it is added, so that a Run killed before it ends leaves the
// seeds that ended.
func TestResultsAreWrittenAsSeedsEnd(t *testing.T) {
	rn := &runner{t: t}
	rn.cfg.resultsPath = filepath.Join(t.TempDir(), "TestKV.jsonl")
	r, _, err := rn.openResults()
	require.NoError(t, err)
	for i := range 3 {
		r.add(SeedResult{Seed: uint64(i), Trace: 0xff, Outcome: OutcomePass})
		data, err := os.ReadFile(r.path)
		require.NoError(t, err)
		require.Equal(t, i+1, strings.Count(string(data), "\n"), "the file before it closes: %q", data)
		require.True(t, strings.HasSuffix(string(data), "}\n"), "whole lines only: %q", data)
	}
	require.NoError(t, r.close())
}

// TestAFileAnEarlierProcessLeftIsWrittenOver: a FILE that an earlier
// process wrote, even a moment before this one started, is written over
// by the first Run of this process to write it, with no note; only a
// file that a Run of this process wrote is kept, and the next Run writes
// beside it. No file time decides it.
func TestAFileAnEarlierProcessLeftIsWrittenOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	require.NoError(t, os.WriteFile(path, []byte("an earlier go test's"), 0o666))
	just := processStart.Add(-time.Second)
	require.NoError(t, os.Chtimes(path, just, just))
	create := func(name string) (string, string) {
		rn := &runner{t: t}
		f, note, err := rn.createOutput("the JSON report", "-simjson", path, name, ".json")
		require.NoError(t, err)
		require.NoError(t, f.Close())
		return f.Name(), note
	}
	file, note := create("TestTable/a")
	assert.Equal(t, path, file, "the first Run takes the path")
	assert.Empty(t, note)
	file, note = create("TestTable/b")
	assert.Equal(t, filepath.Join(filepath.Dir(path), "report.TestTable_b.json"), file, "a later Run writes beside it")
	assert.Empty(t, note)
	_, note = create("TestTable/b")
	assert.Contains(t, note, "which an earlier Run of this test binary wrote for the same test (run again, as under -count, or a test with several Runs)")
	assert.Contains(t, note, "run with -count=1, and give each of a test's several Runs a path of its own")
}

// TestAFileAnotherBinaryWroteSinceStartIsNamed: a FILE that another
// process wrote after this one started (another package's test binary,
// under go test ./...) is written over, and the note says so, with the
// directory form to use.
func TestAFileAnotherBinaryWroteSinceStartIsNamed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	require.NoError(t, os.WriteFile(path, nil, 0o666))
	later := processStart.Add(time.Second)
	require.NoError(t, os.Chtimes(path, later, later))
	rn := &runner{t: t}
	f, note, err := rn.createOutput("the results", "-simresults", path, "TestX", ".jsonl")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	assert.Equal(t, path, f.Name())
	assert.Contains(t, note, "which another test binary wrote since this one started (another package's, as go test ./... runs them at the same time)")
	assert.Contains(t, note, "give -simresults a directory (a path ending in /)")
}

// TestMoonpoolVersionLeavesOutADirectoryPath: shards of one checkout
// built on machines that keep it at other paths record one moonpool, so a
// merge does not call them built differently.
func TestMoonpoolVersionLeavesOutADirectoryPath(t *testing.T) {
	dir := func(path string) *debug.Module {
		return &debug.Module{Path: moonpoolModule, Version: "v0.0.0", Replace: &debug.Module{Path: path}}
	}
	require.Equal(t, moonpoolVersion(dir("/home/ci/src/moonpool")), moonpoolVersion(dir("/work/main")))
	require.Equal(t, "v0.0.0 => a local directory", moonpoolVersion(dir("../moonpool")))
	require.Equal(t, "v1.2.0", moonpoolVersion(&debug.Module{Path: moonpoolModule, Version: "v1.2.0"}))
	require.Equal(t, "v1.2.0 => example.com/fork v1.2.1", moonpoolVersion(&debug.Module{Path: moonpoolModule, Version: "v1.2.0",
		Replace: &debug.Module{Path: "example.com/fork", Version: "v1.2.1"}}))
}

// TestPercentNeverRoundsACountToNone: one failing seed of 30,000 is a
// rate, not 0.00%, and one passing seed of 30,000 is not 100.00%.
func TestPercentNeverRoundsACountToNone(t *testing.T) {
	for _, c := range []struct {
		n, all, prec int
		want         string
	}{
		{0, 30000, 2, "0.00%"},
		{1, 30000, 2, "<0.01%"},
		{5, 30000, 2, "0.02%"},
		{1, 1000, 2, "0.10%"},
		{29999, 30000, 2, ">99.99%"},
		{30000, 30000, 2, "100.00%"},
		{1, 1000, 0, "<1%"},
		{91, 100, 0, "91%"},
		{999, 1000, 0, ">99%"},
		{0, 0, 2, "0%"},
	} {
		assert.Equal(t, c.want, percent(c.n, c.all, c.prec), "%d of %d", c.n, c.all)
	}
}

// A failure's group is its call site and words, without the simulated
// time and task that stamp it (whose units differ from seed to seed), and
// without an assertion's details.
func TestFailureShape(t *testing.T) {
	for _, tc := range []struct{ line, site, shape string }{
		{`1.137s driver: Always "a payment is charged exactly once" failed (wallet_test.go:66): key=c1-p1 charges=2`, "wallet_test.go:66", `Always "a payment is charged exactly once" failed`},
		{`3.4s seg-0/main: Always "at most 1 leader per term" failed (raft_test.go:130): term=3 leaders=2`, "raft_test.go:130", `Always "at most # leader per term" failed`},
		{"970ms driver: wallet_test.go:68: acknowledged payment c2-p0 is missing", "wallet_test.go:68", "acknowledged payment c#-p# is missing"},
		{"1m2.5s client-3: ledger/ledger_test.go:110: workload deposits: check: balance 865, acknowledged 912", "ledger/ledger_test.go:110", "workload deposits: check: balance #, acknowledged #"},
		{"970ms driver: an acknowledged write was lost", "", "an acknowledged write was lost"},
		{"1h0m0.5s driver: an acknowledged write was lost", "", "an acknowledged write was lost"},
		{"56ms client 2: payment c2-p3 timed out after 5 tries", "", "payment c#-p# timed out after # tries"},
		{"1.5s client 0: payment c0-p4 timed out after 5 tries", "", "payment c#-p# timed out after # tries"},
		{"configuration error: no seeds", "", "configuration error: no seeds"},
		// Hex numbers, and lists of numbers of any length, are numbers:
		// one bug, one shape.
		{"33.98s driver: q_test.go:296: workload q: check: message 0x100000018 appears 2 times, at offsets [48 51]", "q_test.go:296", "workload q: check: message # appears # times, at offsets [#]"},
		{"37.37s driver: q_test.go:296: workload q: check: message 0x10000000c appears 3 times, at offsets [148 151 152]", "q_test.go:296", "workload q: check: message # appears # times, at offsets [#]"},
		{"1s driver: q_test.go:9: got [1, 2, 3], want [1, 2]", "q_test.go:9", "got [#], want [#]"},
		// A duration is one number, whatever its units: one bug.
		{"1s driver: q_test.go:9: lease expired 1.2s ago", "q_test.go:9", "lease expired # ago"},
		{"2s driver: q_test.go:9: lease expired 850ms ago", "q_test.go:9", "lease expired # ago"},
		{"3s driver: q_test.go:9: lease expired 1m2.5s ago", "q_test.go:9", "lease expired # ago"},
		{"3s driver: q_test.go:9: waited 5min for c5s", "q_test.go:9", "waited #min for c#s"},
	} {
		site, shape := failureShape(tc.line)
		assert.Equal(t, tc.site, site, tc.line)
		assert.Equal(t, tc.shape, shape, tc.line)
	}
}
