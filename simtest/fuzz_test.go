package simtest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/explore"
)

func TestFuzzCorpusSeeds(t *testing.T) {
	body := func(s *S) { s.Providers().Random.IntN(10) }
	seedsOf := func(fl flags, opts ...Option) []uint64 {
		t.Helper()
		ft, err := newFuzzTarget("FuzzSeeds", false, fl, body, opts)
		require.NoError(t, err)
		corpus := ft.corpus(t)
		var seeds []uint64
		for _, in := range corpus {
			seed := inputSeed(in)
			assert.Equal(t, SeedInput(seed, 1), in, "one draw, one decision")
			seeds = append(seeds, seed)
		}
		return seeds
	}
	def := seedsOf(flags{})
	assert.Len(t, def, DefaultFuzzSeeds)
	assert.Equal(t, def, seedsOf(flags{}), "stable for a name")
	assert.Len(t, seedsOf(flags{seeds: 7}), 7, "-simseeds")
	assert.Equal(t, def, seedsOf(flags{scale: 3})[:DefaultFuzzSeeds], "-simscale: the default corpus and more")
	assert.Len(t, seedsOf(flags{scale: 3}), 3*DefaultFuzzSeeds, "-simscale")
	assert.Len(t, seedsOf(flags{scale: 3}, Seeds(2)), 6, "-simscale scales Seeds too")
	assert.Len(t, seedsOf(flags{scale: 3, seeds: 7}), 7, "-simseeds wins over -simscale")
	assert.Equal(t, def[:2], seedsOf(flags{}, Seeds(2)))
	assert.Equal(t, append(def, 5, 6), seedsOf(flags{}, FuzzSeeds(5), FuzzSeeds(6)))
	assert.Equal(t, []uint64{42}, seedsOf(flags{replays: []uint64{42}}, FuzzSeeds(5)), "-simseed: that seed alone")

	_, err := newFuzzTarget("FuzzSeeds", false, flags{replays: []uint64{1}, seeds: 3}, body, nil)
	assert.ErrorContains(t, err, "give one of the two flags")
}

// TestFuzzRunsNoExplorationTimeline: a fuzz input is one seed's run, so a
// recipe to replay, or an exploration asked of the Fuzz, would run the
// root seed alone as if it were the timeline.
func TestFuzzRunsNoExplorationTimeline(t *testing.T) {
	body := func(s *S) { s.Providers().Random.IntN(10) }
	_, err := newFuzzTarget("FuzzX", false, flags{recipe: "42/10:7"}, body, nil)
	assert.EqualError(t, err, "simtest: -simrecipe=42/10:7 replays an exploration's timeline, which a Fuzz target cannot run: it would run seed 42 alone; run the test that explored it, as its replay line does (go test -run '^TestName$')")
	_, err = newFuzzTarget("FuzzX", false, flags{}, body, []Option{ReplayRecipe("42/10:7")})
	assert.ErrorContains(t, err, "simtest: -simrecipe=42/10:7 replays an exploration's timeline")
	_, err = newFuzzTarget("FuzzX", false, flags{}, body, []Option{Explore(explore.Defaults())})
	assert.EqualError(t, err, "simtest.Explore is an option of Run; Fuzz has no use for it (go test -fuzz explores by mutating inputs), so remove it from this Fuzz")
	_, err = newFuzzTarget("FuzzX", false, flags{explore: true}, body, nil)
	assert.NoError(t, err, "-simexplore explores every Run; a Fuzz passes over it")
}

// TestFuzzTakesNoRunFiles: the options that write a Run's files did
// nothing for a Fuzz, which reports no Run; they are refused. Their flags,
// for every Run, a Fuzz passes over.
func TestFuzzTakesNoRunFiles(t *testing.T) {
	body := func(s *S) { s.Providers().Random.IntN(10) }
	_, err := newFuzzTarget("FuzzX", false, flags{}, body, []Option{ResultsFile("r.jsonl")})
	assert.EqualError(t, err, "simtest.ResultsFile writes what a Run reports, and Fuzz reports no Run (go test -fuzz keeps failing inputs under testdata/fuzz), so it would write nothing: remove it from this Fuzz")
	_, err = newFuzzTarget("FuzzX", false, flags{}, body, []Option{JSONReport("r.json"), CoverProfile("c.out"), TimelineHTML("t.html")})
	assert.ErrorContains(t, err, "simtest.JSONReport, simtest.CoverProfile, simtest.TimelineHTML write what a Run reports")
	_, err = newFuzzTarget("FuzzX", false, flags{results: "r.jsonl", asserts: assertFlags{json: "r.json"}}, body, nil)
	assert.NoError(t, err, "the flags are for every Run")
}

// TestFuzzTakesNoOpenSeedCount: RunFor and UntilPlateau leave a Run's
// seed count open, which made a Fuzz collect its seed corpus without end.
// As options they are refused; as flags, for every Run, a Fuzz passes
// over them.
func TestFuzzTakesNoOpenSeedCount(t *testing.T) {
	body := func(s *S) { s.Providers().Random.IntN(10) }
	const want = "simtest.RunFor and simtest.UntilPlateau are options of Run; Fuzz has no use for them (its seed corpus is simtest.DefaultFuzzSeeds seeds, or Seeds(n), and go test -fuzztime bounds fuzzing), so remove them from this Fuzz"
	_, err := newFuzzTarget("FuzzX", false, flags{}, body, []Option{RunFor(time.Second)})
	assert.EqualError(t, err, want)
	_, err = newFuzzTarget("FuzzX", false, flags{}, body, []Option{UntilPlateau(3)})
	assert.EqualError(t, err, want)
	for _, fl := range []flags{{runFor: "1s"}, {plateau: 3}} {
		ft, err := newFuzzTarget("FuzzX", false, fl, body, nil)
		require.NoError(t, err, "%+v", fl)
		assert.Len(t, ft.corpus(t), DefaultFuzzSeeds, "%+v: the default seed corpus", fl)
	}
}

func TestFuzzSeedOfNamesTheSeedCorpus(t *testing.T) {
	ft := &fuzzTarget{name: "FuzzX", inputs: [][]byte{SeedInput(10, 3), SeedInput(20, 3)}}
	for name, want := range map[string]uint64{"seed#0": 10, "seed#1": 20} {
		got, ok := ft.seedOf(name, SeedInput(want, 3))
		assert.True(t, ok, name)
		assert.Equal(t, want, got, name)
	}
	for _, name := range []string{"FuzzX", "seed#2", "seed#-1", "seed#x", "0123456789abcdef"} {
		_, ok := ft.seedOf(name, SeedInput(10, 3))
		assert.False(t, ok, name)
	}
	_, ok := ft.seedOf("seed#0", SeedInput(11, 3))
	assert.False(t, ok, "an entry that is not the seed's input (a fuzz worker's fresh seeds) names no seed")

	// go test -fuzz runs the seed corpus under the fuzz test's own name
	// first: the input names the entry.
	assert.Equal(t, "seed#1", ft.inputName("FuzzX", SeedInput(20, 3)))
	assert.Equal(t, "seed#1", ft.inputName("FuzzX/seed#1", SeedInput(20, 3)))
	assert.Equal(t, corpusName(SeedInput(20, 4)), ft.inputName("FuzzX", SeedInput(20, 4)), "an input the fuzzer made")
}

// TestFuzzRefusesRunOnlyOptions: KeepGoing, Workers, Shard and AllowGaps
// changed nothing a Fuzz does, or, for Workers, broke its seed corpus
// (a body's Setenv refused, as if seeds ran at once); they are refused
// with the reason and what to use instead.
func TestFuzzRefusesRunOnlyOptions(t *testing.T) {
	body := func(s *S) { s.Providers().Random.IntN(10) }
	for _, tc := range []struct {
		opt  Option
		want string
	}{
		{KeepGoing(), "simtest.KeepGoing is an option of Run; Fuzz has no use for it (go test runs every input of the seed corpus whatever fails, and go test -fuzz stops at the first failing input, which it keeps), so remove it from this Fuzz"},
		{Workers(2), "simtest.Workers is an option of Run; Fuzz runs one input at a time (go test -fuzz runs inputs on its own workers, as many as -parallel says), so remove it from this Fuzz"},
		{Shard(1, 4), "simtest.Shard is an option of Run; Fuzz has no use for it (go test -fuzz chooses its inputs, and a sweep shards the seed corpus with -simshard or $MOONPOOL_SHARD), so remove it from this Fuzz"},
		{Shard(0, 1), "simtest.Shard is an option of Run"},
		{AllowGaps(), "simtest.AllowGaps is an option of Run; Fuzz checks no coverage gaps (an input is one run, and a Sometimes false in it is no gap), so it has nothing to allow: remove it from this Fuzz"},
		{VerifyReplay(), "simtest.VerifyReplay is an option of Run; Fuzz has no use for it (a failing input is replayed from its corpus file"},
	} {
		_, err := newFuzzTarget("FuzzX", false, flags{}, body, []Option{Seeds(2), tc.opt})
		assert.ErrorContains(t, err, tc.want)
	}
	_, err := newFuzzTarget("FuzzX", false, flags{}, body, []Option{Workers(1)})
	assert.NoError(t, err, "one worker is what a Fuzz does")
}

// logTB is a testing.TB whose logs a test reads.
type logTB struct {
	testing.TB
	logs []string
}

func (l *logTB) Log(args ...any) { l.logs = append(l.logs, fmt.Sprint(args...)) }
func (l *logTB) Logf(format string, args ...any) {
	l.logs = append(l.logs, fmt.Sprintf(format, args...))
}

// TestFuzzPassesOverRunFlagsAndSaysSo: the flags of Run that a go test
// ./... gives every fuzz target too are no error, and change nothing; the
// log says which were passed over. -simworkers made the seed corpus run as
// if seeds ran at once: a body's Setenv was refused, and its input built
// from the failed run.
func TestFuzzPassesOverRunFlagsAndSaysSo(t *testing.T) {
	body := func(s *S) {
		s.Setenv("MOONPOOL_FUZZ_TEST", "1")
		s.Providers().Random.IntN(10)
		s.Providers().Random.IntN(10)
	}
	corpus := func(fl flags) ([][]byte, []string) {
		t.Helper()
		ft, err := newFuzzTarget("FuzzX", false, fl, body, nil)
		require.NoError(t, err)
		assert.Equal(t, 1, ft.cfg.workers)
		assert.False(t, ft.cfg.keepGoing)
		tb := &logTB{TB: t}
		return ft.corpus(tb), tb.logs
	}
	want, logs := corpus(flags{})
	assert.Empty(t, logs)
	for _, in := range want {
		assert.Len(t, inputDecisions(in), 2, "each seed's two draws")
	}
	got, logs := corpus(flags{workers: "2", all: true, plateau: 3, verify: true, asserts: assertFlags{json: "r.json", allowGaps: true}})
	assert.Equal(t, want, got)
	assert.Equal(t, []string{"simtest: this Fuzz passes over flags that are for Run: " +
		"-simworkers=2 (go test runs the seed corpus one input at a time, and go test -fuzz runs as many workers as -parallel says); " +
		"-simall (go test runs every input of the seed corpus whatever fails, and go test -fuzz stops at the first failing input); " +
		"-simplateau (the seed corpus is a count of seeds, and go test -fuzztime bounds fuzzing); " +
		"-simallowgaps (Fuzz checks no coverage gaps); " +
		"-simverify (a failing input is replayed from its corpus file, by its name, -run 'FuzzName/input', not by a seed's replay line, which is what -simverify checks); " +
		"-simjson (Fuzz makes no Run's report or files)"}, logs)
}

// TestFuzzShardsItsSeedCorpus: the seed corpus is the seeds a Run would
// run, and -simshard (or $MOONPOOL_SHARD, in a sweep's go test ./...)
// takes a shard of them, as it does of a Run's; the log says so.
func TestFuzzShardsItsSeedCorpus(t *testing.T) {
	body := func(s *S) { s.Providers().Random.IntN(10) }
	corpus := func(fl flags) ([]uint64, []string) {
		t.Helper()
		ft, err := newFuzzTarget("FuzzX", false, fl, body, []Option{FuzzSeeds(5)})
		require.NoError(t, err)
		tb := &logTB{TB: t}
		var seeds []uint64
		for _, in := range ft.corpus(tb) {
			seeds = append(seeds, inputSeed(in))
		}
		return seeds, tb.logs
	}
	whole, _ := corpus(flags{seeds: 8})
	require.Len(t, whole, 9)
	got, logs := corpus(flags{seeds: 8, shard: "1/4", shardIn: "$MOONPOOL_SHARD"})
	assert.Equal(t, []uint64{whole[1], whole[5]}, got, "FuzzSeeds are shard 0's")
	assert.Equal(t, []string{"simtest: shard 1 of 4 ($MOONPOOL_SHARD=1/4): the seed corpus is this shard's part of the seeds, those at places 1, 5, 9... of the sequence; FuzzSeeds are shard 0's"}, logs)
	_, logs = corpus(readFlags([]string{"-simseeds=8", "-simshard=1/4"}, (&env{vars: map[string]string{shardEnv: "0/2"}}).lookup))
	assert.Equal(t, []string{"simtest: shard 1 of 4 (-simshard=1/4): the seed corpus is this shard's part of the seeds, those at places 1, 5, 9... of the sequence; FuzzSeeds are shard 0's"}, logs,
		"the command line's -simshard, which wins over the variable, is named")
	got, _ = corpus(flags{seeds: 8, shard: "0/4", shardIn: "-simshard"})
	assert.Equal(t, []uint64{whole[0], whole[4], 5}, got)
	got, logs = corpus(flags{replays: []uint64{42}, shard: "1/4", shardIn: "-simshard"})
	assert.Equal(t, []uint64{42}, got, "a replay runs its seed whatever the shard")
	assert.Empty(t, logs)
}

// FuzzFailsInAChild fails every input, in the child process of
// TestFuzzFailureNamesTheFuzzLine.
func FuzzFailsInAChild(f *testing.F) {
	if os.Getenv("SIMTEST_FUZZ_CHILD") == "" {
		f.Skip("run by TestFuzzFailureNamesTheFuzzLine")
	}
	Fuzz(f, func(s *S) { s.Errorf("planted in a child") }, Seeds(1))
}

// FuzzFailsThroughAHelper is FuzzFailsInAChild with Fuzz called from a
// helper of the test's own.
func FuzzFailsThroughAHelper(f *testing.F) {
	if os.Getenv("SIMTEST_FUZZ_CHILD") == "" {
		f.Skip("run by TestFuzzFailureNamesTheFuzzLine")
	}
	fuzzFailing(f) // the line a failing input names
}

func fuzzFailing(f *testing.F) {
	f.Helper()
	Fuzz(f, func(s *S) { s.Errorf("planted in a child") }, Seeds(1))
}

// A failing input's lines name the line of the test that called Fuzz, as
// a Run's name the line that called Run, not this package's fuzz
// function, which testing calls through reflect; through a helper, the
// fuzz test's line that called the helper.
func TestFuzzFailureNamesTheFuzzLine(t *testing.T) {
	src, err := os.ReadFile("fuzz_test.go")
	require.NoError(t, err)
	for target, want := range map[string]string{
		"FuzzFailsInAChild":       "Fuzz(f, func(s *S)",
		"FuzzFailsThroughAHelper": "fuzzFailing(f) // the line a failing input names",
	} {
		out, err := childOutput(t, t.TempDir(), "SIMTEST_FUZZ_CHILD=1", "-test.run=^"+target+"$")
		require.Error(t, err, out)
		m := regexp.MustCompile(`\n\s+fuzz_test\.go:(\d+): simtest: input [^\n]* failed`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		line, _ := strconv.Atoi(m[1])
		assert.Contains(t, strings.Split(string(src), "\n")[line-1], want, "%s: the line that called Fuzz", target)
		assert.Regexp(t, `\n\s+fuzz_test\.go:`+m[1]+`: simtest: input \S+: FAIL;`, out, "%s: the input's summary too", target)
		assert.NotContains(t, out, "fuzz.go:")
	}
}

// FuzzQuietlyInAChild passes every input, in the child processes of
// TestFuzzingMinimizesNoInputByDefault.
func FuzzQuietlyInAChild(f *testing.F) {
	if os.Getenv("SIMTEST_FUZZ_CHILD") == "" {
		f.Skip("run by TestFuzzingMinimizesNoInputByDefault")
	}
	Fuzz(f, func(s *S) { s.Sleep(time.Duration(s.Providers().Random.IntN(10)) * time.Millisecond) }, Seeds(1))
}

// go test -fuzz minimizes no input of a simulation unless told to: its
// default of a minute per input kept would take most of a fuzzing run.
func TestFuzzingMinimizesNoInputByDefault(t *testing.T) {
	fuzz := func(args ...string) string {
		dir := t.TempDir()
		out, err := childOutput(t, dir, "SIMTEST_FUZZ_CHILD=1", append([]string{"-test.run=^$", "-test.fuzz=^FuzzQuietlyInAChild$",
			"-test.fuzztime=20x", "-test.fuzzcachedir=" + filepath.Join(dir, "cache"), "-test.parallel=1", "-test.v"}, args...)...)
		require.NoError(t, err, out)
		return out
	}
	const note = "simtest: go test -fuzz minimizes no input of FuzzQuietlyInAChild (-fuzzminimizetime=0)"
	assert.Contains(t, fuzz(), note)
	assert.NotContains(t, fuzz("-test.fuzzminimizetime=5s"), note, "a minimize time given is kept")
	out, err := childOutput(t, t.TempDir(), "SIMTEST_FUZZ_CHILD=1", "-test.run=^FuzzQuietlyInAChild$", "-test.v")
	require.NoError(t, err, out)
	assert.NotContains(t, out, "minimizes no input", "the seed corpus alone: no fuzzing")
}

func TestTurnMinimizingOffOnlyForTheFuzzedTarget(t *testing.T) {
	set := func(args ...string) (*flag.FlagSet, *string) {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.String("test.fuzz", "", "")
		fs.Bool("test.fuzzworker", false, "")
		m := fs.String("test.fuzzminimizetime", "60s", "")
		require.NoError(t, fs.Parse(args))
		return fs, m
	}
	fs, m := set("-test.fuzz=^FuzzKV$")
	assert.True(t, turnMinimizingOff(fs, "FuzzKV"))
	assert.Equal(t, "0", *m)
	fs, m = set("-test.fuzz=^FuzzKV$/")
	assert.True(t, turnMinimizingOff(fs, "FuzzKV"), "a pattern a level at a time, as go test reads it")
	fs, m = set("-test.fuzz=^FuzzKV$")
	assert.False(t, turnMinimizingOff(fs, "FuzzBank"), "another target runs its seed corpus alone")
	assert.Equal(t, "60s", *m)
	fs, m = set("-test.fuzz=^FuzzKV$", "-test.fuzzminimizetime=10s")
	assert.False(t, turnMinimizingOff(fs, "FuzzKV"), "given")
	assert.Equal(t, "10s", *m)
	fs, _ = set("-test.fuzz=^FuzzKV$", "-test.fuzzworker")
	assert.False(t, turnMinimizingOff(fs, "FuzzKV"), "a worker takes the coordinator's word")
	fs, _ = set()
	assert.False(t, turnMinimizingOff(fs, "FuzzKV"), "not fuzzing")
}

// An input that a replay line runs by name writes the timeline files that
// -simtimeline and -simhtml ask for, and says so at the line that called
// Fuzz; the seed corpus of a plain go test writes none.
func TestANamedInputWritesItsTimeline(t *testing.T) {
	dir := t.TempDir()
	out, err := childOutput(t, dir, "SIMTEST_FUZZ_CHILD=1", "-test.run=^FuzzFailsInAChild$/^seed#0$",
		"-simtimeline="+dir+"/", "-simhtml="+dir+"/")
	require.Error(t, err, "the input fails")
	line := filepath.Join(dir, "simtest", "FuzzFailsInAChild_seed#0.jsonl") // under the package's directory
	assert.Regexp(t, `\n\s+fuzz_test\.go:\d+: simtest: wrote the timeline to `+regexp.QuoteMeta(line), out)
	tl, err := os.ReadFile(line)
	require.NoError(t, err, out)
	assert.Contains(t, string(tl), `"msg":"error: planted in a child"`)
	html, err := os.ReadFile(filepath.Join(dir, "simtest", "FuzzFailsInAChild_seed#0.html"))
	require.NoError(t, err, out)
	assert.Contains(t, string(html), "planted in a child")
	assert.NotContains(t, out, "passes over")

	// The seed corpus of a go test ./... writes none, nor says it does:
	// a Run's timeline file is not overwritten by every input after it.
	corpus := t.TempDir()
	out, err = childOutput(t, corpus, "SIMTEST_FUZZ_CHILD=1", "-test.run=^FuzzFailsInAChild$", "-simtimeline="+corpus+"/", "-test.v")
	require.Error(t, err, "the input fails")
	assert.NotContains(t, out, "wrote the timeline")
	assert.Contains(t, out, "-simtimeline (written for an input that a replay line runs by name, -run 'FuzzName/input', not for the seed corpus of a go test or while fuzzing)")
	files, err := os.ReadDir(corpus)
	require.NoError(t, err)
	for _, f := range files {
		assert.NotContains(t, f.Name(), "FuzzFailsInAChild")
	}
}

// leftRunning is a goroutine that an input's task starts with a go
// statement and that runs until stop closes, after the input.
func leftRunning(stop <-chan struct{}) { <-stop }

// FuzzLeavesGoroutinesInAChild starts, from each input, a goroutine that
// outlives it, in the child processes of TestFuzzFailsOnGoroutinesLeftRunning;
// with SIMTEST_FUZZ_CHILD=allow, AllowWallClock names it.
func FuzzLeavesGoroutinesInAChild(f *testing.F) {
	if os.Getenv("SIMTEST_FUZZ_CHILD") == "" {
		f.Skip("run by TestFuzzFailsOnGoroutinesLeftRunning")
	}
	stop := make(chan struct{})
	f.Cleanup(func() { close(stop) })
	var opts []Option
	if os.Getenv("SIMTEST_FUZZ_CHILD") == "allow" {
		opts = append(opts, AllowWallClock("github.com/moonpool-go/moonpool/simtest.leftRunning"))
	}
	Fuzz(f, func(s *S) {
		s.Providers().Random.IntN(2)
		go leftRunning(stop)
	}, append(opts, Seeds(3))...)
}

// As a Run fails its test, go test fails a fuzz test whose inputs' tasks
// started goroutines that still run after the inputs, though every input
// passed, with where one was started and the fix; AllowWallClock lets a
// library's run on. Under go test -fuzz the process that coordinates
// counts those of the runs that built its seed corpus, and says so: the
// failure is no input's.
func TestFuzzFailsOnGoroutinesLeftRunning(t *testing.T) {
	const failure = "simtest: no goroutine may outlive a simulation, and the test fails: %d goroutines that the inputs' tasks started with go statements still run after the inputs, " +
		"outside the simulation, where such goroutines pile up input after input: one was started as github.com/moonpool-go/moonpool/simtest.leftRunning and is in "
	out, err := childOutput(t, t.TempDir(), "SIMTEST_FUZZ_CHILD=1", "-test.run=^FuzzLeavesGoroutinesInAChild$", "-test.v")
	require.Error(t, err, out)
	assert.Contains(t, out, "--- FAIL: FuzzLeavesGoroutinesInAChild (")
	for i := range 3 {
		assert.Contains(t, out, fmt.Sprintf("--- PASS: FuzzLeavesGoroutinesInAChild/seed#%d (", i), "every input passed")
	}
	assert.Contains(t, out, "\n    "+fmt.Sprintf(failure, 6), "the runs that built the seed corpus, and the corpus's inputs")
	assert.Contains(t, out, "stop each when its input ends (give it s.Context(), or the context of the task that starts it), or start the work with p.Task.Go; "+
		"a library that starts its own, a cache's janitor or a ticker, runs in a program (docs/production.md), "+
		`or, when the test cannot change it, simtest.AllowWallClock("github.com/moonpool-go/moonpool/simtest.leftRunning") lets it run on`)
	assert.NotContains(t, out, "go test -fuzz counts them")

	out, err = childOutput(t, t.TempDir(), "SIMTEST_FUZZ_CHILD=allow", "-test.run=^FuzzLeavesGoroutinesInAChild$", "-test.v")
	require.NoError(t, err, out)
	assert.NotContains(t, out, "still run after the inputs")

	dir := t.TempDir()
	out, err = childOutput(t, dir, "SIMTEST_FUZZ_CHILD=1", "-test.run=^$", "-test.fuzz=^FuzzLeavesGoroutinesInAChild$",
		"-test.fuzztime=20x", "-test.fuzzcachedir="+filepath.Join(dir, "cache"), "-test.parallel=1")
	require.Error(t, err, out)
	assert.Contains(t, out, fmt.Sprintf(failure, 3), "the coordinator's own runs, which built the seed corpus")
	assert.Contains(t, out, "; go test -fuzz counts them in the process that coordinates the fuzzing, whose runs are those that built the seed corpus: "+
		"the inputs it fuzzes run in worker processes, whose goroutines it does not count")
	assert.NotContains(t, out, "Failing input written", "no input failed")
	assert.NoDirExists(t, filepath.Join(dir, "testdata", "fuzz"), "nor was one kept")
}

// FuzzAddsAnIntInAChild adds an int to the seed corpus of a Fuzz target,
// which takes []byte, in the child process of TestFuzzSaysWhatItsCorpusTakes.
func FuzzAddsAnIntInAChild(f *testing.F) {
	if os.Getenv("SIMTEST_FUZZ_CHILD") == "" {
		f.Skip("run by TestFuzzSaysWhatItsCorpusTakes")
	}
	f.Add(1)
	Fuzz(f, func(s *S) { s.Providers().Random.IntN(2) }, Seeds(1))
}

// go test refuses an f.Add of an int before any input runs, in its own
// words; Fuzz then says what its target takes and how to add an input.
func TestFuzzSaysWhatItsCorpusTakes(t *testing.T) {
	out, err := childOutput(t, t.TempDir(), "SIMTEST_FUZZ_CHILD=1", "-test.run=^FuzzAddsAnIntInAChild$")
	require.Error(t, err, out)
	assert.Contains(t, out, "mismatched types in corpus entry: [int], want [[]uint8]")
	assert.Contains(t, out, "simtest: the fuzz target of simtest.Fuzz takes one []byte, a decision stream")
	assert.Contains(t, out, "f.Add(simtest.SeedInput(seed, draws))")
	assert.Contains(t, out, "testdata/fuzz/FuzzAddsAnIntInAChild")

	out, err = childOutput(t, t.TempDir(), "SIMTEST_FUZZ_CHILD=1", "-test.run=^FuzzFailsInAChild$")
	require.Error(t, err, out)
	assert.NotContains(t, out, "takes one []byte", "an input that fails is no corpus refused")
}

// FuzzReachesInAChild has one assertion true in some inputs and not
// others, in the child process of TestFuzzTablesWhatTheCorpusReached.
func FuzzReachesInAChild(f *testing.F) {
	if os.Getenv("SIMTEST_FUZZ_CHILD") == "" {
		f.Skip("run by TestFuzzTablesWhatTheCorpusReached")
	}
	Fuzz(f, func(s *S) {
		ctx := s.Context()
		assertions.Sometimes(ctx, s.Providers().Random.IntN(2) == 0, "the input drew zero")
		assertions.Always(ctx, true, "every input gets here")
		if s.Providers().Random.IntN(1000) == 1000 {
			assertions.Reachable(ctx, "no input gets here")
		}
	}, Seeds(3))
}

// A plain go test of a fuzz target logs what its corpus's inputs reached,
// the seed corpus's and testdata/fuzz's, as a Run's table; while fuzzing,
// the process that coordinates runs no input and logs none.
func TestFuzzTablesWhatTheCorpusReached(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "testdata", "fuzz", "FuzzReachesInAChild")
	require.NoError(t, os.MkdirAll(corpus, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(corpus, "kept"), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", SeedInput(7, 2)), 0o644))

	out, err := childOutput(t, dir, "SIMTEST_FUZZ_CHILD=1", "-test.run=^FuzzReachesInAChild$", "-test.v")
	require.NoError(t, err, out)
	assert.Contains(t, out, "simtest: what the corpus of FuzzReachesInAChild reached, over the 4 inputs that ran (3 of the seed corpus, 1 of testdata/fuzz/FuzzReachesInAChild; ")
	assert.Contains(t, out, "assertions: 3, 0 failed, 1 not reached or never true in the inputs that ran (a fuzz test judges no gaps)")
	assert.Regexp(t, `\n\s+ok\s+Always\s+4\s+0\s+4\s+"every input gets here"`, out, "every input, each once")
	assert.Regexp(t, `\n\s+ok\s+Sometimes\s+\d\s+\d\s+4\s+true in [1-3] seeds?\s+"the input drew zero"`, out)
	assert.Regexp(t, `\n\s+never reached\s+Reachable\s+0\s+0\s+0\s+"no input gets here"`, out, "read from the source")

	out, err = childOutput(t, dir, "SIMTEST_FUZZ_CHILD=1", "-test.run=^FuzzReachesInAChild$/^kept$", "-test.v")
	require.NoError(t, err, out)
	assert.Contains(t, out, "over the 1 input that ran (0 of the seed corpus, 1 of testdata/fuzz/FuzzReachesInAChild; ", "an -run that names one input")

	out, err = childOutput(t, dir, "SIMTEST_FUZZ_CHILD=1", "-test.run=^$", "-test.fuzz=^FuzzReachesInAChild$",
		"-test.fuzztime=20x", "-test.fuzzcachedir="+filepath.Join(dir, "cache"), "-test.parallel=1", "-test.v")
	require.NoError(t, err, out)
	assert.NotContains(t, out, "what the corpus of")
}
