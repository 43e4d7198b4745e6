package simtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

func TestKeptSeedsRoundTrip(t *testing.T) {
	t.Chdir(t.TempDir())
	seeds, err := keptSeeds("TestX/sub")
	require.NoError(t, err)
	assert.Empty(t, seeds)

	path, wrote, err := keepSeed("TestX/sub", 42, 0x2c27ad92, 0, "deadlock at 1s: the first sentence.\nThe second line.\n", "go test ...")
	require.NoError(t, err)
	assert.True(t, wrote)
	assert.Equal(t, filepath.Join(keepDir, "TestX", "sub", "42"), path)
	_, _, err = keepSeed("TestX/sub", 7, 0, 0, "boom", "go test ...")
	require.NoError(t, err)
	_, wrote, err = keepSeed("TestX/sub", 42, 0, 0, "again", "go test ...")
	require.NoError(t, err, "keeping a kept seed is a no-op")
	assert.False(t, wrote)
	require.NoError(t, os.WriteFile(filepath.Join(keepDir, "TestX", "sub", "README"), []byte("notes"), 0o644))

	seeds, err = keptSeeds("TestX/sub")
	require.NoError(t, err)
	assert.Equal(t, []uint64{7, 42}, seeds)
	b, err := os.ReadFile(filepath.Join(keepDir, "TestX", "sub", "42"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "\n# replay: go test ...\n# trace: 000000002c27ad92\n# It failed with:\n#   deadlock at 1s: the first sentence.\n#   The second line.\n", "the replay line, the trace, then the failure in its own words, commented")
	assert.NotContains(t, string(b), "again")
	trace, ok := keptTrace(path)
	assert.True(t, ok)
	assert.Equal(t, uint64(0x2c27ad92), trace)

	// A file without a trace (empty, hand-made, an earlier version's)
	// still keeps its seed.
	dir := filepath.Join(keepDir, "TestX", "sub")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "9"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "11"), []byte(keptHeader("TestX/sub")+"\n# replay: go test ...\n# It failed with:\n#   boom\n"), 0o644))
	seeds, err = keptSeeds("TestX/sub")
	require.NoError(t, err)
	assert.Equal(t, []uint64{7, 9, 11, 42}, seeds)
	for _, name := range []string{"9", "11"} {
		_, ok = keptTrace(filepath.Join(dir, name))
		assert.False(t, ok, "no trace in %s", name)
	}

	// Files that are not seeds are named, but for directories, recipes
	// and hidden files.
	for _, name := range []string{"123abc", ".gitkeep", recipePrefix + "5_1-2"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "child"), 0o755))
	assert.Equal(t, []string{"123abc", "README"}, strayKept("TestX/sub"))
	assert.Equal(t, "simtest: the files 123abc, README in "+dir+" are not kept seeds and do not run: "+
		"a kept seed's file is named by its seed, in decimal (such as 6679787058979195393); rename each to the seed it keeps, or move it out of the directory",
		strayKeptWarning(dir, strayKept("TestX/sub")))
	assert.Contains(t, strayKeptWarning(dir, []string{"123abc"}), "simtest: the file "+filepath.Join(dir, "123abc")+" is not a kept seed and does not run: ")
}

// TestFailingSeedIsKeptAndRunFirst runs a failing test in a child process
// twice, in a scratch directory: the first run keeps its failing seed, the
// second runs it first.
func TestFailingSeedIsKeptAndRunFirst(t *testing.T) {
	if os.Getenv("SIMTEST_KEEP_CHILD") != "" {
		Run(t, func(s *S) {
			if s.Providers().Random.IntN(3) == 0 {
				s.Fatalf("one seed in three fails.\nThis line says more.")
			}
		})
		return
	}
	dir := t.TempDir()
	run := func() string {
		out, _ := childOutput(t, dir, "SIMTEST_KEEP_CHILD=1", "-test.run=^TestFailingSeedIsKeptAndRunFirst$", "-test.v")
		return out
	}
	first := run()
	seeds, err := keptSeedsIn(dir, "TestFailingSeedIsKeptAndRunFirst")
	require.NoError(t, err)
	require.Len(t, seeds, 1, first)
	b, err := os.ReadFile(filepath.Join(dir, keepPath("TestFailingSeedIsKeptAndRunFirst"), strconv.FormatUint(seeds[0], 10)))
	require.NoError(t, err)
	assert.Regexp(t, `\n# replay: go test -run '\^TestFailingSeedIsKeptAndRunFirst\$' \./simtest -simseed=\d+[^\n]*\n# trace: [0-9a-f]{16}\n# It failed with:\n#   0s driver: (?:[^\n]*: )?one seed in three fails.\n#   This line says more.\n`, string(b),
		"the kept file says why, in the failure's own words")
	trace, ok := keptTrace(filepath.Join(dir, keepPath("TestFailingSeedIsKeptAndRunFirst"), strconv.FormatUint(seeds[0], 10)))
	require.True(t, ok)
	assert.Contains(t, first, fmt.Sprintf("seed=%d trace=%016x FAIL", seeds[0], trace), "the kept trace is the failing run's")
	kept := filepath.Join(keepPath("TestFailingSeedIsKeptAndRunFirst"), strconv.FormatUint(seeds[0], 10))
	assert.Equal(t, 1, strings.Count(first, "simtest: kept seed "+strconv.FormatUint(seeds[0], 10)+" in "+kept+":"), "a kept seed says so once, with its path: %s", first)
	assert.Contains(t, first, " in "+kept+": every run of the test runs it first; commit it for others to run, or list **/testdata/simtest/ in .gitignore, "+
		"and delete it once the bug is fixed", "it says the file is in the source tree on purpose or not at all")
	second := run()
	assert.Contains(t, second, "running 1 seed kept from earlier failures first")
	assert.Regexp(t, `simtest: 1 of \d+ seeds run \(a Run stops at its first failing seed; [^)]*\), of them 1 kept seed from testdata/simtest, 0 passed, 1 failed`, second, "the kept seed fails again, first")
	assert.NotContains(t, second, "simtest: kept seed "+strconv.FormatUint(seeds[0], 10)+" in ", "a seed kept already is not announced again")
	assert.Contains(t, second, "simtest: kept seed "+strconv.FormatUint(seeds[0], 10)+" ("+kept+") failed again\n", "its failure says it is the kept one")
	all, _ := childOutput(t, dir, "SIMTEST_KEEP_CHILD=1", "-test.run=^TestFailingSeedIsKeptAndRunFirst$", "-test.v", "-simall", "-simseeds=5")
	assert.Regexp(t, `\n\s+keep_test\.go:\d+: simtest: seed=\d+ trace=`, all, "the seeds after the kept ones are at the test's line")
	assert.NotContains(t, all, "keep.go:", "not at a line of the Run's own")

	// Running the replay line keeps nothing.
	require.NoError(t, os.RemoveAll(filepath.Join(dir, keepDir)))
	replay, _ := childOutput(t, dir, "SIMTEST_KEEP_CHILD=1", "-test.run=^TestFailingSeedIsKeptAndRunFirst$", "-test.v", "-simseed="+strconv.FormatUint(seeds[0], 10))
	assert.Contains(t, replay, "1 seed, 0 passed, 1 failed", replay)
	assert.NotContains(t, replay, "simtest: kept seed")
	_, err = os.Stat(filepath.Join(dir, keepDir))
	assert.True(t, os.IsNotExist(err), "a replayed seed is not kept: %v", err)

	// Unless -simkeep=true is given: a nightly's seed, found with
	// -simkeep=false, is kept on purpose.
	kept = filepath.Join(dir, kept)
	replay, _ = childOutput(t, dir, "SIMTEST_KEEP_CHILD=1", "-test.run=^TestFailingSeedIsKeptAndRunFirst$", "-simkeep=true", "-simseed="+strconv.FormatUint(seeds[0], 10))
	assert.Contains(t, replay, "simtest: kept seed "+strconv.FormatUint(seeds[0], 10)+" in ", replay)
	again, err := os.ReadFile(kept)
	require.NoError(t, err, replay)
	assert.Equal(t, string(b), string(again), "the replay keeps the file a Run keeps")
	replay, _ = childOutput(t, dir, "SIMTEST_KEEP_CHILD=1", "-test.run=^TestFailingSeedIsKeptAndRunFirst$", "-simkeep=true", "-simseed="+strconv.FormatUint(seeds[0], 10))
	assert.Contains(t, replay, "simtest: seed "+strconv.FormatUint(seeds[0], 10)+" is kept already, in ", replay)
	// A seed that passes is not kept, and the replay says so.
	passing := seedAt(baseSeedFor("TestFailingSeedIsKeptAndRunFirst"), 0)
	if passing == seeds[0] {
		passing = seedAt(baseSeedFor("TestFailingSeedIsKeptAndRunFirst"), 1)
	}
	replay, _ = childOutput(t, dir, "SIMTEST_KEEP_CHILD=1", "-test.run=^TestFailingSeedIsKeptAndRunFirst$", "-test.v", "-simkeep=true", "-simseed="+strconv.FormatUint(passing, 10))
	require.Contains(t, replay, "1 seed, 1 passed", replay)
	assert.Contains(t, replay, keptNothing(passing), replay)
	assert.NoFileExists(t, filepath.Join(filepath.Dir(kept), strconv.FormatUint(passing, 10)))
	// An explicit -simkeep=false on a replay keeps nothing either.
	require.NoError(t, os.RemoveAll(filepath.Join(dir, keepDir)))
	replay, _ = childOutput(t, dir, "SIMTEST_KEEP_CHILD=1", "-test.run=^TestFailingSeedIsKeptAndRunFirst$", "-simkeep=false", "-simseed="+strconv.FormatUint(seeds[0], 10))
	assert.NotContains(t, replay, "simtest: kept seed", replay)
	assert.NoDirExists(t, filepath.Join(dir, keepDir))

	// A file in the test's directory whose name is not a seed is named.
	require.NoError(t, os.MkdirAll(filepath.Dir(kept), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(kept), "123abc"), nil, 0o644))
	stray, _ := childOutput(t, dir, "SIMTEST_KEEP_CHILD=1", "-test.run=^TestFailingSeedIsKeptAndRunFirst$", "-test.v", "-simseeds=1")
	assert.Contains(t, stray, "simtest: the file "+filepath.Join(keepPath("TestFailingSeedIsKeptAndRunFirst"), "123abc")+" is not a kept seed and does not run", stray)
}

// TestSeedsAreKeptInThePackageDirectory runs the failing test of
// TestFailingSeedIsKeptAndRunFirst, as a binary built with go test -c
// would run, from the root of a scratch copy of the module: it keeps the
// seed in the package's directory, says where, and go test's run, in the
// package's directory, runs it first.
func TestSeedsAreKeptInThePackageDirectory(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module github.com/moonpool-go/moonpool\n"), 0o644))
	pkg := filepath.Join(root, "simtest")
	require.NoError(t, os.Mkdir(pkg, 0o755))
	const name = "TestFailingSeedIsKeptAndRunFirst"
	first, _ := childOutput(t, root, "SIMTEST_KEEP_CHILD=1", "-test.run=^"+name+"$")
	seeds, err := keptSeedsIn(pkg, name)
	require.NoError(t, err)
	require.Len(t, seeds, 1, first)
	assert.Contains(t, first, "simtest: kept seed "+strconv.FormatUint(seeds[0], 10)+" in "+
		filepath.Join("simtest", keepDir, name, strconv.FormatUint(seeds[0], 10))+":", "the path from where the binary ran")
	_, err = os.Stat(filepath.Join(root, keepDir))
	assert.True(t, os.IsNotExist(err), "nothing is kept where the binary ran: %v", err)

	again, _ := childOutput(t, pkg, "SIMTEST_KEEP_CHILD=1", "-test.run=^"+name+"$")
	assert.Contains(t, again, "running 1 seed kept from earlier failures first ("+filepath.Join(keepDir, name)+")", again)
}

func keptSeedsIn(dir, name string) ([]uint64, error) {
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(dir); err != nil {
		return nil, err
	}
	return keptSeeds(name)
}

// TestConfigurationErrorIsReportedOnceAndNotKept makes set-up mistakes in
// a child process, in a scratch directory: each fails the test once,
// labelled a configuration error, and keeps no seed.
func TestConfigurationErrorIsReportedOnceAndNotKept(t *testing.T) {
	noop := func() Process { return ProcessFunc(func(context.Context, providers.Providers) error { return nil }) }
	var self *testing.T // the child's own test, for a body that misuses it
	cases := map[string]struct {
		body func(s *S)
		opts []Option
		want string
		// replay, when set, is a pattern of the replay line.
		replay string
		// parallel makes the test parallel.
		parallel bool
	}{
		"no factory": {func(s *S) { s.Boot(Processes{Name: "a"}) }, nil, `Processes "a" has no New`, "", false},
		"MaxDead": {func(s *S) { s.Boot(Processes{Name: "a", Count: 2, New: noop}).Run(Phases{}) },
			[]Option{Chaos(func() chaos.Config {
				c := chaos.Off()
				c.Attrition = chaos.DefaultAttrition()
				c.Attrition.MaxDead = 3
				return c
			}())}, "Attrition.MaxDead is 3 but the cluster has 2 processes", "", false},
		"negative phase":  {func(s *S) { s.Boot(Processes{Name: "a", New: noop}).Run(Phases{Settle: -time.Second}) }, nil, "a phase lasts zero (the default) or more", "", false},
		"unknown process": {func(s *S) { s.Boot(Processes{Name: "a", New: noop}).Alive("b") }, nil, `no process is named "b"`, "", false},
		// Refused only on more than one worker: the seed replayed alone
		// passes, so the replay runs the test on as many.
		"Setenv on two workers": {func(s *S) { s.Setenv("SIMTEST_CONFIG_ENV", "x") }, []Option{Workers(2)},
			"S.Setenv changes the whole process, and this Run runs 2 seeds at once",
			`replay: go test -run '\^TestConfigurationErrorIsReportedOnceAndNotKept\$' \./simtest -simworkers=2(?: -race)?\n`, false},
		"Chdir on two workers": {func(s *S) { s.Chdir(s.TempDir()) }, []Option{Workers(2)},
			"S.Chdir changes the whole process, and this Run runs 2 seeds at once",
			`replay: go test -run '\^TestConfigurationErrorIsReportedOnceAndNotKept\$' \./simtest -simworkers=2(?: -race)?\n`, false},
		"Setenv in a parallel test": {func(s *S) { s.Setenv("SIMTEST_CONFIG_ENV", "x") }, nil,
			"S.Setenv changes the whole process, and the test is parallel",
			`replay: go test -run '\^TestConfigurationErrorIsReportedOnceAndNotKept\$' \./simtest -simseed=\d+(?: -race)?\n`, true},
		"t.Parallel in the body": {func(*S) { self.Parallel() }, nil,
			"t.Parallel was called inside the Run's body", "", false},
	}
	if name := os.Getenv("SIMTEST_CONFIG_CHILD"); name != "" {
		self = t
		c := cases[name]
		if c.parallel {
			t.Parallel()
		}
		Run(t, c.body, c.opts...)
		return
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			out, err := childOutput(t, dir, "SIMTEST_CONFIG_CHILD="+name, "-test.run=^TestConfigurationErrorIsReportedOnceAndNotKept$")
			require.Error(t, err, out)
			assert.Contains(t, out, c.want)
			assert.Equal(t, 1, strings.Count(out, "simtest: configuration error: "), out)
			assert.Contains(t, out, "not a bug the simulation found")
			assert.NotContains(t, out, "testing: test using", "testing's own refusal is not repeated")
			assert.Contains(t, out, "1 seed, 0 passed, 1 failed", "the Run stops at once")
			if c.replay != "" {
				assert.Regexp(t, c.replay, out)
			}
			_, err = os.Stat(filepath.Join(dir, keepDir))
			assert.True(t, os.IsNotExist(err), "nothing is kept: %v", err)
		})
	}
}

// TestAGivenUpSeedIsNotKept runs, in a child process, a seed that the
// watchdog gives up because its task waits for a goroutine that its stray
// call ended: kept, it would run first in every later run of the test and
// leave one more goroutine blocked each time, as a blocked seed would.
func TestAGivenUpSeedIsNotKept(t *testing.T) {
	if os.Getenv("SIMTEST_GIVENUP_CHILD") != "" {
		Run(t, func(s *S) {
			p := s.Providers()
			sent := make(chan struct{})
			go func() {
				_ = p.Time.Sleep(context.Background(), time.Second) // ends this goroutine
				close(sent)
			}()
			<-sent
		}, Seeds(1), Watchdog(160*time.Millisecond))
		return
	}
	dir := t.TempDir()
	out, _ := childOutput(t, dir, "SIMTEST_GIVENUP_CHILD=1", "-test.run=^TestAGivenUpSeedIsNotKept$", "-test.v")
	assert.Contains(t, out, "1 seed, 0 passed, 1 failed", out)
	assert.Contains(t, out, "stray", out)
	assert.NotContains(t, out, "simtest: kept seed", out)
	_, err := os.Stat(filepath.Join(dir, keepDir))
	assert.True(t, os.IsNotExist(err), "a given-up seed is not kept: %v", err)
}

// TestAKeptSeedThatPassesSaysWhy runs a passing test in a child process
// over a kept seed: an empty file, one whose run failed under a flag the
// child does not set, one under the child's own flags with the trace the
// seed still runs, and one with another trace.
func TestAKeptSeedThatPassesSaysWhy(t *testing.T) {
	const name = "TestAKeptSeedThatPassesSaysWhy"
	if os.Getenv("SIMTEST_KEPT_PASSES_CHILD") != "" {
		Run(t, func(*S) {}, Seeds(2))
		return
	}
	dir := t.TempDir()
	const seed = 77
	path := filepath.Join(keepPath(name), strconv.Itoa(seed))
	run := func() string {
		out, err := childOutput(t, dir, "SIMTEST_KEPT_PASSES_CHILD=1", "-test.run=^"+name+"$", "-test.v")
		require.NoError(t, err, out)
		return out
	}
	keptUnder := func(trace uint64, flags ...string) string {
		require.NoError(t, os.RemoveAll(filepath.Join(dir, keepDir)))
		line := strings.Join(append([]string{"go test -run '^" + name + "$' ./simtest", simseedArg(seed)}, flags...), " ")
		wd, _ := os.Getwd()
		require.NoError(t, os.Chdir(dir))
		_, _, err := keepSeed(name, seed, trace, 0, "it failed", line)
		require.NoError(t, os.Chdir(wd))
		require.NoError(t, err)
		return run()
	}

	// An empty file named by the seed keeps it.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, keepPath(name)), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, path), nil, 0o644))
	out := run()
	assert.Contains(t, out, "running 1 seed kept from earlier failures first", out)
	assert.Contains(t, out, "simtest: kept seed 77 passed: once its bug is fixed, delete "+path+" and keep the bug's test as an assertion or a targeted test", out)
	m := regexp.MustCompile(`seed=77 trace=([0-9a-f]{16}) ok`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	trace, err := strconv.ParseUint(m[1], 16, 64)
	require.NoError(t, err)

	out = keptUnder(trace, append([]string{"-planted"}, buildFlags()...)...)
	assert.Contains(t, out, "simtest: kept seed 77 passed, but it failed under other flags (-planted", out)
	assert.Contains(t, out, "run its replay line, in "+path, out)

	out = keptUnder(trace, buildFlags()...)
	assert.Contains(t, out, "simtest: kept seed 77 passed: once its bug is fixed, delete "+path, out)
	assert.NotContains(t, out, "no longer runs", out)

	// A replayed seed is not a kept one, whatever its place in the
	// test's sequence (one not of it has a place that means nothing, and
	// may be negative, as a kept seed's is).
	other := uint64(1)
	for placeOf(baseSeedFor(name), other) >= 0 {
		other++
	}
	replay, err := childOutput(t, dir, "SIMTEST_KEPT_PASSES_CHILD=1", "-test.run=^"+name+"$", "-test.v", "-simseed="+strconv.FormatUint(other, 10))
	require.NoError(t, err, replay)
	assert.NotContains(t, replay, "simtest: kept seed", replay)

	// A replay of a kept seed compares its trace with the kept one.
	replayKept := func() string {
		out, err := childOutput(t, dir, "SIMTEST_KEPT_PASSES_CHILD=1", "-test.run=^"+name+"$", "-test.v", "-simseed=77")
		require.NoError(t, err, out)
		return out
	}
	out = replayKept()
	assert.Contains(t, out, fmt.Sprintf("simtest: seed 77 ran the execution kept in %s (trace %016x), which failed, and passed: "+
		"what failed it is outside what the trace hashes", path, trace), out)

	out = keptUnder(trace+1, buildFlags()...)
	assert.Contains(t, out, fmt.Sprintf("simtest: kept seed 77 passed, but it no longer runs the execution that was kept (trace %016x; kept %016x): "+
		"the code along its path changed since (a change elsewhere will do), or the environment variables the test reads (a kept file records the flags, not the environment), or the test is not deterministic ("+
		"state an earlier seed or test left, such as a package variable, a map's order, a raw goroutine: -simcheck runs each seed twice and names where the two runs part); "+
		"so its passing proves little; once its bug is fixed, delete %s and keep the bug's test as an assertion or a targeted test", trace, trace+1, path), out)
	strict, err := childOutput(t, dir, "SIMTEST_KEPT_PASSES_CHILD=1", "-test.run=^"+name+"$", "-simstrictkept")
	require.Error(t, err, "-simstrictkept fails the test: %s", strict)
	assert.Contains(t, strict, "so its passing proves little; once its bug is fixed, delete "+path+" and keep the bug's test as an assertion or a targeted test"+strictKeptNote, strict)
	out = replayKept()
	assert.Contains(t, out, fmt.Sprintf("simtest: seed 77 ran another execution than the one kept in %s (trace %016x; kept %016x): "+
		"the code along its path changed since, or the flags or the environment variables the test reads (a kept file records the flags, not the environment), or the test is not deterministic", path, trace, trace+1), out)
}

// TestAKeptSeedThatFailsOnAnotherPathSaysSo runs a failing test in a
// child process over a kept seed whose file records another trace.
func TestAKeptSeedThatFailsOnAnotherPathSaysSo(t *testing.T) {
	const name = "TestAKeptSeedThatFailsOnAnotherPathSaysSo"
	if os.Getenv("SIMTEST_KEPT_MOVED_CHILD") != "" {
		Run(t, func(s *S) { s.Fatalf("every seed fails") }, Seeds(1))
		return
	}
	dir := t.TempDir()
	wd, _ := os.Getwd()
	require.NoError(t, os.Chdir(dir))
	path, _, err := keepSeed(name, 77, 1, 0, "it failed", "go test ...")
	require.NoError(t, os.Chdir(wd))
	require.NoError(t, err)
	out, err := childOutput(t, dir, "SIMTEST_KEPT_MOVED_CHILD=1", "-test.run=^"+name+"$", "-test.v")
	require.Error(t, err, out)
	assert.Regexp(t, `simtest: kept seed 77 failed, but not on the execution that was kept \(trace [0-9a-f]{16}; kept 0000000000000001\): `+
		`the code along its path changed since, or the flags or the environment variables the test reads \(a kept file records the flags, not the environment\), or the test is not deterministic \(.*\); `+
		`the failure may be another one than `+regexp.QuoteMeta(path)+` records`, out)

	// Kept under other flags, it names them: the likeliest cause.
	require.NoError(t, os.RemoveAll(filepath.Join(dir, keepDir)))
	require.NoError(t, os.Chdir(dir))
	line := strings.Join(append([]string{"go test -run '^" + name + "$' ./simtest", simseedArg(77), "-planted"}, buildFlags()...), " ")
	path, _, err = keepSeed(name, 77, 1, 0, "it failed", line)
	require.NoError(t, os.Chdir(wd))
	require.NoError(t, err)
	out, err = childOutput(t, dir, "SIMTEST_KEPT_MOVED_CHILD=1", "-test.run=^"+name+"$", "-test.v")
	require.Error(t, err, out)
	assert.Regexp(t, `simtest: kept seed 77 failed, but not on the execution that was kept \(trace [0-9a-f]{16}; kept 0000000000000001\): `+
		`it ran under other flags \(-planted[^;]*; this run: [^)]*\), the likeliest cause; the failure may be another one than `+regexp.QuoteMeta(path)+` records`, out)
}

// TestAFailingSeedIsKeptBeforeTheRunEnds runs, in a child process, a Run
// of every seed that fails one seed in three, and ends the process at its
// twelfth seed, as a Ctrl-C or an out-of-memory kill would: the first
// failing seed was kept when it failed, on one worker or two.
func TestAFailingSeedIsKeptBeforeTheRunEnds(t *testing.T) {
	const name = "TestAFailingSeedIsKeptBeforeTheRunEnds"
	if os.Getenv("SIMTEST_KEEP_EARLY_CHILD") != "" {
		var started atomic.Int64
		Run(t, func(s *S) {
			if started.Add(1) == 12 {
				os.Exit(3)
			}
			if s.Providers().Random.IntN(3) == 0 {
				s.Fatalf("one seed in three fails")
			}
		}, Seeds(30), KeepGoing())
		return
	}
	var want []uint64
	for _, workers := range []string{"1", "2"} {
		t.Run("workers="+workers, func(t *testing.T) {
			dir := t.TempDir()
			out, err := childOutput(t, dir, "SIMTEST_KEEP_EARLY_CHILD=1", "-test.run=^"+name+"$", "-simworkers="+workers)
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, out)
			require.Equal(t, 3, exit.ExitCode(), out)
			seeds, err := keptSeedsIn(dir, name)
			require.NoError(t, err)
			require.Len(t, seeds, 1, "the first failing seed is kept, and only it: %s", out)
			if want == nil {
				want = seeds
			}
			assert.Equal(t, want, seeds, "the same seed on any number of workers")
		})
	}
}

// namedLogTB is a logTB named TestX, for the lines a note names.
type namedLogTB struct{ logTB }

func (l *namedLogTB) Helper()      {}
func (l *namedLogTB) Name() string { return "TestX" }

// A kept seed that failed beside other seeds records the workers, and its
// note, when it no longer runs the execution kept, says that it ran
// beside others then, or now, as seeds that share state run otherwise.
func TestAKeptSeedSaysItRanBesideOtherSeeds(t *testing.T) {
	dir := t.TempDir()
	beside, alone := filepath.Join(dir, "77"), filepath.Join(dir, "78")
	_, err := writeKept(beside, keptHeader("TestX"), "go test ...", 1, 2, "it failed")
	require.NoError(t, err)
	_, err = writeKept(alone, keptHeader("TestX"), "go test ...", 1, 0, "it failed")
	require.NoError(t, err)
	b, err := os.ReadFile(beside)
	require.NoError(t, err)
	assert.Contains(t, string(b), "# trace: 0000000000000001\n# workers: 2 (it failed beside other seeds that ran at once)\n# It failed with:\n")
	assert.Equal(t, 2, keptWorkers(beside))
	assert.Zero(t, keptWorkers(alone))

	note := func(path string, workers int) string {
		tb := &namedLogTB{}
		r := &runner{t: tb}
		o := &seedOutcome{res: sim.Result{Seed: 77, Trace: 2}, workers: workers}
		r.tellKept(o, "seed 77", path, "-simseed=77", "a change elsewhere will do", false)
		require.Len(t, tb.logs, 1)
		return tb.logs[0]
	}
	got := note(beside, 0)
	assert.Contains(t, got, "no longer runs the execution that was kept")
	assert.Contains(t, got, "; it failed beside other seeds on 2 workers, and ran alone in this run, and seeds that share state (a package variable; "+
		"simvet's globalstate rule finds it before running) run otherwise beside one another than alone: the test's seeds on 2 workers (go test -run '^TestX$' ")
	assert.Contains(t, note(beside, 3), "; it failed beside other seeds on 2 workers, and ran beside others on 3 in this run")
	assert.Contains(t, note(alone, 2), "; it ran beside other seeds on 2 workers in this run, and seeds that share state")
	assert.NotContains(t, note(alone, 0), "beside")
}
