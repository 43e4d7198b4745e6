package simtest

import (
	"flag"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/assertions"
)

func TestFlagsWinOverOptions(t *testing.T) {
	c, err := resolve(false, flags{seeds: 7}, []Option{Seeds(3)})
	require.NoError(t, err)
	assert.Equal(t, 7, c.seeds)

	c, err = resolve(false, flags{replays: []uint64{42}}, []Option{Seeds(3), BaseSeed(9)})
	require.NoError(t, err)
	assert.True(t, c.replaySet)
	assert.Equal(t, []uint64{42}, c.replays)

	c, err = resolve(true, flags{}, nil)
	require.NoError(t, err)
	assert.Equal(t, DefaultShortSeeds, c.seeds, "-short runs fewer seeds")

	c, err = resolve(false, flags{check: true, verbose: true, fresh: true}, nil)
	require.NoError(t, err)
	assert.True(t, c.check && c.verbose && c.fresh)

	c, err = resolve(false, flags{all: true, results: "r.jsonl"}, []Option{ResultsFile("other.jsonl")})
	require.NoError(t, err)
	assert.True(t, c.keepGoing)
	assert.Equal(t, "r.jsonl", c.resultsPath)
}

// TestReplayRecipeAndOtherSeeds: a recipe replays its own root seed. Put
// together with Replay of other seeds, it ran a timeline of those seeds
// that no replay line printed: the options are refused, and -simseed,
// which wins over the options, replays its seeds as plain seeds.
func TestReplayRecipeAndOtherSeeds(t *testing.T) {
	for _, opts := range [][]Option{
		{ReplayRecipe("1/0:3"), Replay(5)},
		{Replay(5), ReplayRecipe("1/0:3")},
	} {
		_, err := resolve(false, flags{}, opts)
		assert.EqualError(t, err, `simtest: ReplayRecipe("1/0:3") replays a timeline of seed 1, and Replay(5) names other seeds; keep one of the two options`)
	}
	_, err := resolve(false, flags{}, []Option{ReplayRecipe("1/0:3"), Replay(1, 2)})
	assert.ErrorContains(t, err, "and Replay(1, 2) names other seeds")
	for _, opts := range [][]Option{{ReplayRecipe("1/0:3"), Replay(1)}, {Replay(1), ReplayRecipe("1/0:3")}} {
		c, err := resolve(false, flags{}, opts)
		require.NoError(t, err, "the recipe's own seed")
		assert.NotNil(t, c.recipe)
		assert.Equal(t, []uint64{1}, c.replays)
	}

	c, err := resolve(false, flags{replays: []uint64{5}}, []Option{ReplayRecipe("1/0:3")})
	require.NoError(t, err)
	assert.Equal(t, []uint64{5}, c.replays)
	assert.Nil(t, c.recipe, "-simseed replays seed 5 itself, not a timeline of it")
}

func TestSimHTMLFlagWinsOverTheOption(t *testing.T) {
	c, err := resolve(false, flags{asserts: assertFlags{html: "flag.html"}}, []Option{TimelineHTML("option.html")})
	require.NoError(t, err)
	assert.Equal(t, "flag.html", c.asserts.htmlPath)
	assert.True(t, c.asserts.keepsTimeline() && c.asserts.drawsTimeline())

	c, err = resolve(false, flags{}, []Option{TimelineFile("t.jsonl")})
	require.NoError(t, err)
	assert.True(t, c.asserts.keepsTimeline())
	assert.False(t, c.asserts.drawsTimeline(), "the JSON timeline alone records no device operations")
}

func TestConflictingFlags(t *testing.T) {
	_, err := resolve(false, flags{replays: []uint64{1}, seeds: 5}, nil)
	assert.EqualError(t, err, "simtest: -simseed replays the seeds it names and -simseeds asks for 5; give one of the two flags")
	_, err = resolve(false, flags{replays: []uint64{1}, fresh: true}, nil)
	assert.EqualError(t, err, "simtest: -simseed replays the seeds it names and -simfresh draws new ones; give one of the two flags")
	_, err = resolve(false, flags{replays: []uint64{7}, base: 5, baseSet: true}, nil)
	assert.EqualError(t, err, "simtest: -simseed replays the seeds it names, whatever the base seed, and -simbase gives the base seed of a sequence to run; give one of the two flags")
	_, err = resolve(false, flags{fresh: true}, []Option{BaseSeed(3)})
	assert.NoError(t, err, "-simfresh on the command line overrides a BaseSeed option")
	c, err := resolve(false, flags{}, []Option{Seeds(2), Seeds(500)})
	require.NoError(t, err)
	assert.Equal(t, 500, c.seeds, "the last Seeds counts, as the last of a flag given twice does")
	c, err = resolve(false, flags{}, []Option{Replay(7), BaseSeed(5)})
	require.NoError(t, err, "the base gives a replayed seed its place")
	assert.Equal(t, []uint64{7}, c.replays)
	c, err = resolve(false, flags{replays: []uint64{7}}, []Option{Seeds(50)})
	require.NoError(t, err, "-simseed wins over a Seeds option, as flags win over options")
	assert.Equal(t, []uint64{7}, c.replays)
}

func TestFlagValues(t *testing.T) {
	var s seedsFlag
	assert.EqualError(t, s.Set("abc"), `-simseed wants a decimal seed such as 1234, as printed in a failure's replay line; "abc" is not one`)
	assert.Error(t, s.Set("-5"))
	require.NoError(t, s.Set("18446744073709551615"))
	assert.Equal(t, "18446744073709551615", s.String())

	var n countFlag
	assert.EqualError(t, n.Set("0"), `-simseeds wants a positive number of seeds, such as 1000; "0" is not one`)
	assert.Error(t, n.Set("many"))
	require.NoError(t, n.Set("12"))
	assert.Equal(t, "12", n.String())
}

// TestBadFlagOnCommandLine checks what a user sees for a mistyped seed: the
// test binary refuses to start, naming the flag and the fix.
func TestBadFlagOnCommandLine(t *testing.T) {
	if os.Getenv("SIMTEST_CHILD") != "" {
		return
	}
	out, err := childOutput(t, "", "SIMTEST_CHILD=1", "-test.run=^TestBadFlagOnCommandLine$", "-simseed=12ab")
	require.Error(t, err)
	assert.Contains(t, out, `invalid value "12ab" for flag -simseed: -simseed wants a decimal seed such as 1234`)
}

// TestUnreadFlagsInAChild runs a simulation, in the child process of
// TestFlagsAfterThePackageAreRefused.
func TestUnreadFlagsInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_UNREAD_CHILD") == "" {
		t.Skip("run by TestFlagsAfterThePackageAreRefused")
	}
	Run(t, func(s *S) {}, Seeds(1))
}

// Flags after the package path, which go test passes on as they are, are
// not read by the test binary: the Run refuses to go on without them.
func TestFlagsAfterThePackageAreRefused(t *testing.T) {
	out, err := childOutput(t, "", "SIMTEST_UNREAD_CHILD=1", "-test.run=^TestUnreadFlagsInAChild$", ".", "-planted", "-simseeds", "3")
	require.Error(t, err, out)
	assert.Contains(t, out, `simtest: the test binary stopped reading flags at ".", so it did not read -planted -simseeds 3 (go test passes on to the test binary, as they are, `+
		`the arguments after the first flag it does not know, such as a test's -simseeds=100, the package path among them); `+
		`put the package path before the test's flags (go test ./pkg -simseeds=100 -planted)`)

	out, err = childOutput(t, "", "SIMTEST_UNREAD_CHILD=1", "-test.run=^TestUnreadFlagsInAChild$", "--", "-planted")
	require.NoError(t, err, "after --, arguments are the test's to read:\n%s", out)

	assert.NoError(t, unreadFlags([]string{"."}), "the package that runs anyway")
	assert.NoError(t, unreadFlags([]string{"in.txt"}), "an argument that is no flag or package is the test's")
	for _, path := range []string{"./examples/kv", "../kv", "./..."} {
		err := unreadFlags([]string{path})
		require.Error(t, err, path)
		assert.Contains(t, err.Error(), "simtest: the test binary was given the package path \""+path+"\" as an argument, so go test tested the package of the current directory")
	}
	assert.NoError(t, unreadFlags([]string{"in.txt", "-"}), "- is not a flag")
	assert.NoError(t, unreadFlags(nil))
}

// childOutput runs this test binary again, in dir (or here), with one more
// environment variable and the given flags.
func childOutput(t *testing.T, dir, env string, args ...string) (string, error) {
	t.Helper()
	bin, err := filepath.Abs(os.Args[0])
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestReplayLine(t *testing.T) {
	assert.Equal(t, "^TestKV$", runPattern("TestKV"))
	assert.Equal(t, `^TestKV$/^a\.b$`, runPattern("TestKV/a.b"))
	assert.Equal(t, "./simtest", packageDir())
	// The replayer of a plain build with no flags set, whatever this test
	// binary was built and run with.
	rp := replayer{dir: packageDir()}
	assert.Equal(t, "go test -run '^TestKV$' ./simtest -simseed=7", rp.line("TestKV", simseedArg(7)))
	assert.Equal(t, "go test -run '^FuzzKV$/^0123abcd$' ./simtest", rp.line("FuzzKV/0123abcd", ""))
	assert.Equal(t, "plain", shellQuote("plain"))
	assert.Equal(t, `'it'\''s'`, shellQuote("it's"))
}

// TestReplayLineIsOneShellCommand checks that a replay line, run by a
// shell, passes go test the pattern and the package as they are, whatever
// the test's name and the package's directory hold: a quote in a subtest's
// name (t.Run("it's", ...)) once ended the -run pattern early.
func TestReplayLineIsOneShellCommand(t *testing.T) {
	words := func(t require.TestingT, line string) []string {
		rest, ok := strings.CutPrefix(line, "go ")
		require.True(t, ok, line)
		out, err := exec.Command("sh", "-c", `printf '%s\n' `+rest).CombinedOutput()
		require.NoError(t, err, "%s: %s", line, out)
		return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	}
	rp := replayer{dir: "./my pkg's dir"}
	line := rp.line("TestSub/it's", simseedArg(7))
	assert.Equal(t, []string{"test", "-run", `^TestSub$/^it's$`, "./my pkg's dir", "-simseed=7"}, words(t, line), line)

	rapid.Check(t, func(rt *rapid.T) {
		// go test has rewritten the name: no newline or NUL is left in it.
		name := strings.Map(func(r rune) rune {
			if r == 0 || r == '\n' {
				return -1
			}
			return r
		}, rapid.String().Draw(rt, "name"))
		line := replayer{dir: "./simtest"}.line("TestX/"+name, simseedArg(1))
		assert.Equal(rt, []string{"test", "-run", runPattern("TestX/" + name), "./simtest", "-simseed=1"}, words(rt, line), line)
	})
}

// TestReplayLineKeepsShortAndTheBuild checks that a replay line carries
// what may change the run besides the seed: -short, which the test may ask
// testing.Short about, and the build's -tags and -race.
func TestReplayLineKeepsShortAndTheBuild(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.Bool("test.short", false, "")
	fs.Bool("test.v", false, "")
	fs.String("test.run", "", "")
	require.NoError(t, fs.Parse([]string{"-test.short", "-test.v", "-test.run=^TestKV$"}))
	assert.Equal(t, []string{"-short"}, userFlags(fs), "-short, and no other flag of the testing package")

	build := buildFlagsOf([]debug.BuildSetting{
		{Key: "-buildmode", Value: "exe"}, {Key: "-compiler", Value: "gc"},
		{Key: "-race", Value: "true"}, {Key: "-tags", Value: "planted,linux"},
		{Key: "CGO_ENABLED", Value: "1"}, {Key: "GOOS", Value: "linux"},
	})
	assert.Equal(t, []string{"-race", "-tags=planted,linux"}, build)
	assert.Empty(t, buildFlagsOf([]debug.BuildSetting{{Key: "-race", Value: "false"}, {Key: "-tags", Value: ""}}))

	rp := replayer{dir: "./kv", build: build, flags: []string{"-planted", "-short"}}
	assert.Equal(t, "go test -run '^TestKV$' ./kv -simseed=7 -planted -short -race -tags=planted,linux", rp.line("TestKV", simseedArg(7)))
}

// TestPackageDirOfABinary: a test binary's build information names its
// package's directory, wherever the binary runs.
func TestPackageDirOfABinary(t *testing.T) {
	for _, tc := range []struct {
		bin, module, want string
		ok                bool
	}{
		{"example.com/m/kv.test", "example.com/m", "./kv", true},
		{"example.com/m/a/b.test", "example.com/m", "./a/b", true},
		{"example.com/m.test", "example.com/m", ".", true},
		{"example.com/mx/kv.test", "example.com/m", "", false},
		{"command-line-arguments.test", "", "", false},
		{"example.com/m/kv", "example.com/m", "", false},
	} {
		dir, ok := packageDirOf(tc.bin, tc.module)
		assert.Equal(t, tc.ok, ok, tc.bin)
		assert.Equal(t, tc.want, dir, tc.bin)
	}
}

// TestReplayLineAfterChdir checks that a test that leaves its package's
// directory (t.Chdir to a fixture) still prints a line that names its
// package, and still finds its module.
func TestReplayLineAfterChdir(t *testing.T) {
	root := moduleRoot()
	t.Chdir(t.TempDir())
	assert.Equal(t, "./simtest", packageDir())
	assert.Equal(t, root, moduleRoot())
	line := replayer{dir: packageDir()}.line("TestKV", simseedArg(7))
	assert.Equal(t, "go test -run '^TestKV$' ./simtest -simseed=7", line)
}

func TestSeedDerivation(t *testing.T) {
	assert.Equal(t, baseSeedFor("TestX"), baseSeedFor("TestX"))
	assert.NotEqual(t, baseSeedFor("TestX"), baseSeedFor("TestY"))
	seen := map[uint64]bool{}
	for i := range 1000 {
		seen[seedAt(1, i)] = true
	}
	assert.Len(t, seen, 1000)
}

func TestWorkersFlag(t *testing.T) {
	c, err := resolve(false, flags{}, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, c.workers, "one worker by default: the seeds run one after the other")

	c, err = resolve(false, flags{workers: "2"}, []Option{Workers(4)})
	require.NoError(t, err)
	assert.Equal(t, 2, c.workers, "the flag wins over the option")

	for value, want := range map[string]string{
		"0":     "-simworkers=0: the worker count must be at least 1",
		"-1":    "-simworkers=-1: the worker count must be at least 1",
		"99999": "-simworkers=99999: the worker count is at most simtest.MaxWorkers (1024)",
		"two":   `-simworkers wants a number of seeds to run at once, such as 2; "two" is not one`,
	} {
		_, err := resolve(false, flags{workers: value, workersSet: true}, nil)
		require.Error(t, err, value)
		assert.Contains(t, err.Error(), want)
	}
}

// An empty -simworkers= is a mistake as a word is, not the default.
func TestWorkersFlagEmpty(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	f := registerFlags(fs)
	require.NoError(t, fs.Parse([]string{"-simworkers="}))
	assert.True(t, f.workers.set, "an empty -simworkers= is given")
	_, err := resolve(false, flags{workers: f.workers.v, workersSet: f.workers.set}, nil)
	require.EqualError(t, err, `-simworkers wants a number of seeds to run at once, such as 2; "" is not one`)

	fs = flag.NewFlagSet("test", flag.ContinueOnError)
	f = registerFlags(fs)
	require.NoError(t, fs.Parse(nil))
	c, err := resolve(false, flags{workers: f.workers.v, workersSet: f.workers.set}, nil)
	require.NoError(t, err, "no -simworkers is the default")
	assert.Equal(t, 1, c.workers)
}

func TestShardFlag(t *testing.T) {
	c, err := resolve(false, flags{shard: "2/5", shardIn: "-simshard"}, []Option{Shard(0, 3)})
	require.NoError(t, err)
	assert.Equal(t, [2]int{2, 5}, [2]int{c.shard, c.shards}, "the flag wins over the option")

	for value, want := range map[string]string{
		"5/5": "simtest: -simshard=5/5: the shard is counted from 0 and must be below the number of shards; give 0 to 4",
		"0/0": "simtest: -simshard=0/0: the number of shards must be at least 1",
		"3":   `simtest: -simshard wants a shard written i/n, such as 0/4 (the first of four), with i from 0 to n-1; "3" is not one`,
		"a/b": `simtest: -simshard wants a shard written i/n`,
	} {
		_, err := resolve(false, flags{shard: value, shardIn: "-simshard"}, nil)
		require.Error(t, err, value)
		assert.Contains(t, err.Error(), want)
	}
}

func TestShardFromEnvironment(t *testing.T) {
	t.Setenv(shardEnv, "1/2")
	fl := commandLine()
	c, err := resolve(false, fl, nil)
	require.NoError(t, err)
	assert.Equal(t, [2]int{1, 2}, [2]int{c.shard, c.shards})

	t.Setenv(shardEnv, "2/2")
	_, err = resolve(false, commandLine(), nil)
	assert.EqualError(t, err, "simtest: $MOONPOOL_SHARD=2/2: the shard is counted from 0 and must be below the number of shards; give 0 to 1")
}

func TestPlaceOfUndoesSeedAt(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		base := rapid.Uint64().Draw(rt, "base")
		i := rapid.IntRange(0, 1<<40).Draw(rt, "i")
		require.Equal(rt, int64(i), placeOf(base, seedAt(base, i)))
	})
}

func TestIterationFlags(t *testing.T) {
	c, err := resolve(false, flags{runFor: "90s", plateau: 7}, nil)
	require.NoError(t, err)
	assert.Equal(t, 90*time.Second, c.runFor)
	assert.Equal(t, 7, c.plateau)
	assert.True(t, c.unbounded(), "no seed count given: the budget decides")

	c, err = resolve(false, flags{runFor: "90s", seeds: 50}, nil)
	require.NoError(t, err)
	assert.False(t, c.unbounded(), "-simseeds bounds it too")
	assert.Equal(t, 50, c.seedCount())

	_, err = resolve(false, flags{runFor: "soon"}, nil)
	assert.EqualError(t, err, `simtest: -simfor wants a positive wall time such as 30m or 1h30m; "soon" is not one`)
	p := countFlag{name: "-simplateau"}
	assert.EqualError(t, p.Set("0"), `-simplateau wants a positive number of seeds, such as 200; "0" is not one`)
}

func TestBaseFlag(t *testing.T) {
	c, err := resolve(false, flags{base: 20261203, baseSet: true}, []Option{FreshSeeds()})
	require.NoError(t, err)
	assert.Equal(t, uint64(20261203), c.baseSeed, "the flag wins over the option")
	assert.False(t, c.fresh)

	_, err = resolve(false, flags{base: 1, baseSet: true, fresh: true}, nil)
	assert.EqualError(t, err, "simtest: -simbase gives the base seed and -simfresh draws one; give one of the two flags")

	_, err = resolve(false, flags{fresh: true, shard: "1/4", shardIn: "-simshard"}, nil)
	assert.EqualError(t, err, "simtest: a shard (-simshard=1/4) with fresh seeds (-simfresh, FreshSeeds) would draw a sequence of its own; give every shard one base seed with -simbase=N, such as the date")

	b := seedFlag{name: "-simbase"}
	assert.EqualError(t, b.Set("today"), `-simbase wants a decimal seed such as 20261203; "today" is not one`)
}

func TestSimseedTakesSeveralSeeds(t *testing.T) {
	var s seedsFlag
	require.NoError(t, s.Set("12,34, 56"))
	assert.Equal(t, []uint64{12, 34, 56}, s.v)
	assert.Equal(t, "12,34,56", s.String())
	assert.EqualError(t, s.Set("12,x"), `-simseed wants decimal seeds separated by commas, such as 12,34; "x" in "12,x" is not a seed`)
	assert.Error(t, s.Set("12,"))

	c, err := resolve(false, flags{replays: []uint64{5, 6}}, []Option{Replay(1)})
	require.NoError(t, err)
	assert.Equal(t, []uint64{5, 6}, c.replays, "the flag wins over the option")
}

func TestSimslowFlag(t *testing.T) {
	f := registerFlags(flag.NewFlagSet("test", flag.ContinueOnError)).slow
	assert.EqualError(t, f.Set("-1s"), `-simslow wants a duration of real time such as 30s, or 0 to name no seed; "-1s" is not one`)
	assert.Error(t, f.Set("ten"))
	require.NoError(t, f.Set("30s"))
	assert.Equal(t, "30s", f.String())

	c, err := resolve(false, flags{}, nil)
	require.NoError(t, err)
	assert.Equal(t, DefaultSlowSeed, c.slow)
	c, err = resolve(false, flags{slow: 0, slowSet: true}, []Option{SlowSeed(time.Minute)})
	require.NoError(t, err)
	assert.Zero(t, c.slow, "the flag wins over the option")
}

// -simwatchdog sets the watchdog, over the option; a debugger attached
// turns off the default watchdog alone.
func TestSimwatchdogFlag(t *testing.T) {
	f := registerFlags(flag.NewFlagSet("test", flag.ContinueOnError)).watchdog
	assert.EqualError(t, f.Set("-1s"), `-simwatchdog wants a duration of real time such as 1m, or 0 to turn the watchdog off; "-1s" is not one`)
	require.NoError(t, f.Set("0"))

	c, err := resolve(false, flags{}, nil)
	require.NoError(t, err)
	assert.Equal(t, DefaultWatchdog, c.watchdog)
	assert.False(t, c.watchdogSet)
	c, err = resolve(false, flags{watchdog: 0, watchdogSet: true}, []Option{Watchdog(time.Minute)})
	require.NoError(t, err)
	assert.Zero(t, c.watchdog, "the flag wins over the option")
	_, err = resolve(false, flags{watchdog: time.Microsecond, watchdogSet: true}, nil)
	assert.ErrorContains(t, err, "-simwatchdog=1µs: the watchdog is 0 (off) or at least simtest.MinWatchdog")
}

// -simmaxwall sets MaxWallPerInstant, over the option, so that a run
// under -race or on a slow machine raises it without a change of code;
// the default is ten times longer under the race detector.
func TestSimmaxwallFlag(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	f := &registerFlags(fs).maxWall
	assert.EqualError(t, f.Set("-1s"), `-simmaxwall wants a duration of real time such as 5m, or 0 to remove the bound; "-1s" is not one`)
	require.NoError(t, fs.Parse([]string{"-simmaxwall=5m"}))
	assert.Equal(t, 5*time.Minute, f.v)
	assert.True(t, isOwnFlag("simmaxwall"))

	c, err := resolve(false, flags{}, nil)
	require.NoError(t, err)
	want := DefaultMaxWallPerInstant
	if raceDetector {
		want *= 10
	}
	assert.Equal(t, want, c.maxStill)
	c, err = resolve(false, flags{maxWall: 5 * time.Minute, maxWallSet: true}, []Option{MaxWallPerInstant(time.Second)})
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute, c.maxStill, "the flag wins over the option")
	assert.True(t, c.maxStillSet, "a debugger leaves a bound the flag set")
	c, err = resolve(false, flags{maxWall: 0, maxWallSet: true}, nil)
	require.NoError(t, err)
	assert.Zero(t, c.maxStill, "0 removes the bound")
}

func TestWatchdogOffUnderADebugger(t *testing.T) {
	c := config{watchdog: DefaultWatchdog, slow: DefaultSlowSeed}
	assert.Empty(t, c.offUnderDebugger(0))
	assert.Equal(t, DefaultWatchdog, c.watchdog, "no debugger")
	assert.Equal(t, DefaultSlowSeed, c.slow, "no debugger")
	assert.Equal(t, "simtest: a debugger traces this test (process 77): the watchdog is off, so that a task held at a breakpoint is not taken for one blocked outside the simulation (-simwatchdog=10s turns it on), and each task's goroutine carries its name in the label moonpool-name",
		c.offUnderDebugger(77))
	assert.True(t, c.nameTasks, "tasks are named for the debugger")
	assert.Zero(t, c.watchdog)
	assert.Zero(t, c.slow, "a seed stopped at a breakpoint is not named slow")
	c = config{watchdog: time.Minute, watchdogSet: true, slow: time.Second, slowSet: true}
	assert.Empty(t, c.offUnderDebugger(77))
	assert.Equal(t, time.Minute, c.watchdog, "set by the option or the flag")
	assert.Equal(t, time.Second, c.slow, "set by the option or the flag")
}

func TestTracerIn(t *testing.T) {
	assert.Equal(t, 4242, tracerIn("Name:\tkv.test\nState:\tS (sleeping)\nTracerPid:\t4242\nUid:\t0\n"))
	assert.Zero(t, tracerIn("Name:\tkv.test\nTracerPid:\t0\n"))
	assert.Zero(t, tracerIn("Name:\tkv.test\n"), "no such line: not known")
}

// TestWatchdogInAChild fails a seed whose task blocks outside the
// simulation for longer than a short watchdog, in the child process of
// TestADebuggerTurnsTheDefaultWatchdogOff.
func TestWatchdogInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_TRACED_CHILD") == "" {
		t.Skip("run by TestADebuggerTurnsTheDefaultWatchdogOff")
	}
	var opts []Option
	mode := os.Getenv("SIMTEST_TRACED_CHILD")
	if mode == "option" {
		opts = append(opts, Watchdog(50*time.Millisecond))
	}
	// Held at a breakpoint, say. Where a watchdog is set (mode "option",
	// or "flag" with -simwatchdog), the task is held far longer than
	// it, so that the watchdog fires however slowly a loaded machine
	// runs it under strace, and gives the run up.
	hold := 300 * time.Millisecond
	if mode != "1" {
		hold = time.Minute
	}
	Run(t, func(s *S) {
		time.Sleep(hold)
	}, append(opts, Seeds(1))...)
}

// Under strace, which traces the test as a debugger does, the default
// watchdog is off and the test says so; a watchdog set by the option or
// the flag stays.
func TestADebuggerTurnsTheDefaultWatchdogOff(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil || runtime.GOOS != "linux" {
		t.Skip("needs strace on Linux to trace the test")
	}
	bin, err := filepath.Abs(os.Args[0])
	require.NoError(t, err)
	traced := func(env string, args ...string) string {
		cmd := exec.Command(strace, append([]string{"-f", "-o", os.DevNull, bin, "-test.run=^TestWatchdogInAChild$", "-test.v"}, args...)...)
		cmd.Env = append(os.Environ(), "SIMTEST_TRACED_CHILD="+env)
		out, _ := cmd.CombinedOutput()
		if strings.Contains(string(out), "ptrace") && strings.Contains(string(out), "Operation not permitted") {
			t.Skip("this machine does not let strace trace: " + string(out))
		}
		return string(out)
	}
	out := traced("1")
	assert.Regexp(t, `\n\s+flags_test\.go:\d+: simtest: a debugger traces this test \(process `, out, "at the test's line")
	assert.Contains(t, out, "--- PASS")
	out = traced("option")
	assert.NotContains(t, out, "a debugger traces this test")
	assert.Contains(t, out, "blocked outside the simulation", "the option's watchdog stays")
	out = traced("flag", "-simwatchdog=50ms")
	assert.Contains(t, out, "blocked outside the simulation", "the flag's watchdog stays")
}

// TestSimallowgapsFlag: a quick go test of a few seeds fails for the
// gaps that a hundred seeds would not leave; -simallowgaps makes them
// warnings without an edit to the test, as AllowGaps does.
func TestSimallowgapsFlag(t *testing.T) {
	if os.Getenv("SIMTEST_GAPS_CHILD") != "" {
		Run(t, func(s *S) {
			assertions.Sometimes(s.Context(), s.Providers().Random.IntN(1000) == 1000, "n reaches 1000")
		})
		return
	}
	out, err := childOutput(t, "", "SIMTEST_GAPS_CHILD=1", "-test.run=^TestSimallowgapsFlag$", "-simseeds=3")
	require.Error(t, err, "a gap fails the test:\n%s", out)
	assert.Contains(t, out, "simtest: the test fails for 1 coverage gap, an assertion that the Run's 3 seeds did not exercise as it should:")
	out, err = childOutput(t, "", "SIMTEST_GAPS_CHILD=1", "-test.run=^TestSimallowgapsFlag$", "-test.v", "-simseeds=3", "-simallowgaps")
	require.NoError(t, err, "-simallowgaps makes it a warning:\n%s", out)
	assert.Contains(t, out, "simtest: 1 coverage gap (warnings), an assertion that the Run's 3 seeds did not exercise as it should:")

	c, err := resolve(false, flags{asserts: assertFlags{allowGaps: true}}, nil)
	require.NoError(t, err)
	assert.True(t, c.asserts.allowGaps)
}

// TestFreshInAChild is a Run of fresh seeds, in the child process of
// TestFreshBaseSeedIsLoggedAtTheRunsLine.
func TestFreshInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_FRESH_CHILD") == "" {
		t.Skip("run by TestFreshBaseSeedIsLoggedAtTheRunsLine")
	}
	Run(t, func(*S) {}, FreshSeeds(), Seeds(1))
}

// The fresh base seed is logged at the line that called Run, with the
// flag that runs the same seeds again.
func TestFreshBaseSeedIsLoggedAtTheRunsLine(t *testing.T) {
	out, err := childOutput(t, t.TempDir(), "SIMTEST_FRESH_CHILD=1", "-test.run=^TestFreshInAChild$", "-test.v")
	require.NoError(t, err, out)
	m := regexp.MustCompile(`\n\s+flags_test\.go:(\d+): simtest: fresh base seed (\d+) \(-simbase=(\d+) runs these seeds again\)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	assert.Equal(t, m[2], m[3])
	src, err := os.ReadFile("flags_test.go")
	require.NoError(t, err)
	line, _ := strconv.Atoi(m[1])
	assert.Contains(t, strings.Split(string(src), "\n")[line-1], "Run(t, func(*S) {}, FreshSeeds(), Seeds(1))")
}

// TestTimeoutInAChild runs seeds that take real time, more than go test's
// -timeout allows, in the child process of TestARunStopsBeforeTheTimeout:
// a count of them, or as many as a plateau of coverage takes.
func TestTimeoutInAChild(t *testing.T) {
	var opt Option
	switch os.Getenv("SIMTEST_TIMEOUT_CHILD") {
	case "":
		t.Skip("run by TestARunStopsBeforeTheTimeout")
	case "plateau":
		opt = UntilPlateau(100000)
	default:
		opt = Seeds(100000)
	}
	Run(t, func(*S) { time.Sleep(20 * time.Millisecond) }, opt)
}

// A Run that go test's -timeout would end stops before it, reports what
// its seeds did, and fails the test saying why, where the timeout would
// have ended the binary with a dump of its goroutines and no report.
func TestARunStopsBeforeTheTimeout(t *testing.T) {
	t.Parallel() // waits on a process of its own, beside the others that do
	out, err := childOutput(t, t.TempDir(), "SIMTEST_TIMEOUT_CHILD=plateau", "-test.run=^TestTimeoutInAChild$", "-test.timeout=3s")
	require.Error(t, err, out)
	assert.NotContains(t, out, "panic: test timed out", "a Run that a plateau ends, whose rest is unbounded")
	assert.Contains(t, out, "simtest: the Run stopped after ")

	results := filepath.Join(t.TempDir(), "results.jsonl")
	out, err = childOutput(t, t.TempDir(), "SIMTEST_TIMEOUT_CHILD=1", "-test.run=^TestTimeoutInAChild$", "-test.timeout=3s", "-simshard=0/2", "-simresults="+results)
	require.Error(t, err, out)
	assert.NotContains(t, out, "panic: test timed out")
	// The summary says how many seeds the shard was given, and that it
	// is shard 0.
	data, err := os.ReadFile(results)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"shard":0,"shards":2,`)
	assert.Contains(t, string(data), `"stopped_by":"go test's -timeout","cut_short":true,"seeds_planned":50000,`)
	assert.Regexp(t, `simtest: the Run stopped after \d+ of \d+ seeds, before go test's -timeout ends the test binary, [\d.]+s after this Run started, to report what its seeds found: raise -timeout, run fewer seeds \(-simseeds\), or give the Run a budget of wall time \(-simfor\) that fits. The -timeout is the whole test binary's, which every test of the package shares`, out)
	assert.Regexp(t, `simtest: \d+ seeds, \d+ passed, 0 failed`, out, "the report of the seeds that ran")
}

// TestSubtestInABodyInAChild calls t.Run inside a body, in the child
// process of TestASubtestInABodyIsNamedAsTheCause.
func TestSubtestInABodyInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_SUBTEST_CHILD") == "" {
		t.Skip("run by TestASubtestInABodyIsNamedAsTheCause")
	}
	Run(t, func(s *S) {
		t.Run("inner", func(*testing.T) { s.Sleep(time.Second) })
	}, Seeds(1))
}

// A subtest inside a body calls the simulation from a goroutine of the
// test's, not a task: the panic says so, and where t.Run goes instead.
func TestASubtestInABodyIsNamedAsTheCause(t *testing.T) {
	out, err := childOutput(t, t.TempDir(), "SIMTEST_SUBTEST_CHILD=1", "-test.run=^TestSubtestInABodyInAChild$")
	require.Error(t, err, out)
	assert.Contains(t, out, "a test's goroutine called into a running simulation (Sleep)")
	assert.Contains(t, out, "t.Run inside the body runs its function on such a goroutine: put t.Run around simtest.Run instead, a Run for each subtest")
}

// TestBubbleInABodyInAChild calls synctest.Test inside a body, in the
// child process of TestABubbleInABodyIsNamedAsTheCause.
func TestBubbleInABodyInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_BODY_BUBBLE_CHILD") == "" {
		t.Skip("run by TestABubbleInABodyIsNamedAsTheCause")
	}
	Run(t, func(s *S) {
		synctest.Test(t, func(*testing.T) { s.Sleep(time.Second) })
	}, Seeds(1))
}

// A synctest bubble inside a body calls the simulation from a goroutine
// of its own: the panic names the bubble, not t.Run.
func TestABubbleInABodyIsNamedAsTheCause(t *testing.T) {
	out, err := childOutput(t, t.TempDir(), "SIMTEST_BODY_BUBBLE_CHILD=1", "-test.run=^TestBubbleInABodyInAChild$")
	require.Error(t, err, out)
	assert.Contains(t, out, "a synctest bubble called into a running simulation (Sleep)")
	assert.Contains(t, out, "run synctest.Test outside simtest.Run")
	assert.NotContains(t, out, "put t.Run around simtest.Run")
}

// The rest of a Run is what its seeds left would take at the rate of
// those that ran: the shard's share of them, or its exploration's
// timelines, and no more than a budget of wall time leaves.
func TestRestOfARun(t *testing.T) {
	start := time.Now().Add(-40 * time.Second) // 40 s spent
	rest := func(c config, done int) time.Duration {
		r := &runner{cfg: c}
		r.rep.seeds = done
		return r.restOfRun(start)
	}
	// Time passes between start and each call: a second's slack.
	near := func(want, got time.Duration, msg string) {
		t.Helper()
		assert.InDelta(t, float64(want), float64(got), float64(time.Second), msg)
	}
	near(40*time.Second, rest(config{seeds: 20}, 10), "as long again")
	assert.Zero(t, rest(config{seeds: 20}, 20), "the last seed of a count: nothing left")
	near(10*time.Second, rest(config{seeds: 320, shard: 1, shards: 8}, 32), "the shard's 40 seeds")
	near(20*time.Second, rest(config{seeds: 1000, seedsSet: true, runFor: time.Minute}, 10), "the budget ends it first")
	assert.Equal(t, time.Duration(math.MaxInt64), rest(config{plateau: 50}, 10), "coverage ends it: as long as can be")
}

// Near go test's deadline, a Run stops unless the rest of its seeds would
// end in time; far from it, it goes on.
func TestNearTheDeadline(t *testing.T) {
	assert.False(t, (&testDeadline{}).near(time.Second, time.Hour), "no deadline")
	far := testDeadline{at: time.Now().Add(time.Minute), window: 2 * time.Minute}
	assert.False(t, far.near(time.Millisecond, time.Hour))
	soon := testDeadline{at: time.Now().Add(2 * time.Second), window: 30 * time.Second}
	assert.False(t, soon.near(10*time.Millisecond, 100*time.Millisecond), "the rest ends in time")
	assert.True(t, soon.near(10*time.Millisecond, time.Minute), "it would not")
	assert.True(t, soon.near(10*time.Millisecond, time.Duration(math.MaxInt64)), "an unbounded rest")
	assert.False(t, soon.near(10*time.Millisecond, 0), "the Run ends now")
	slow := testDeadline{at: time.Now().Add(3 * time.Second), window: 10 * time.Second}
	assert.True(t, slow.near(2*time.Second, time.Hour), "a seed of 2 s keeps 4 s to spare")
}

// Every boolean flag of the package refuses a value that is not a boolean
// in the same words, where the flag package alone says "parse error", and
// each still stands alone for true.
func TestBooleanFlagsReadAlike(t *testing.T) {
	for _, name := range []string{"simfresh", "simcheck", "simv", "simkeep", "simall", "simallowgaps", "simexplore"} {
		t.Run(name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			registerFlags(fs)
			err := fs.Parse([]string{"-" + name + "=nah"})
			assert.EqualError(t, err, `invalid boolean value "nah" for -`+name+`: wants true or false; "nah" is neither`)

			fs = flag.NewFlagSet("test", flag.ContinueOnError)
			registerFlags(fs)
			require.NoError(t, fs.Parse([]string{"-" + name}))
			assert.Equal(t, "true", fs.Lookup(name).Value.String())
		})
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	f := registerFlags(fs)
	assert.True(t, f.keep, "-simkeep is on by default")
	require.NoError(t, fs.Parse([]string{"-simkeep=false", "-simall"}))
	assert.False(t, f.keep)
	assert.True(t, f.all)
}

// A Replay option names the Run's seeds: the flags that choose the seeds
// of every Run of a go test do not apply to it, and the Run says so in a
// note rather than fail (a replay kept in a test file meets the flags CI
// gives the whole package). -simseed and -simrecipe, which name seeds too,
// win over the option as before, with no note.
func TestReplayOptionNotesTheSeedFlagsItOverrides(t *testing.T) {
	c, err := resolve(false, flags{seeds: 500, seedsIn: "-simseeds", fresh: true}, []Option{Replay(7, 9)})
	require.NoError(t, err)
	assert.Equal(t, []uint64{7, 9}, c.replays)
	assert.Equal(t, "simtest: simtest.Replay(7, 9) runs only the seeds it names, so this Run does not take -simseeds=500 and -simfresh, "+
		"which choose the seeds of the Runs that run a sequence; to run this test's own seeds, take the option out "+
		"(a failing seed kept under testdata/simtest replays first without it)", c.replayNote)

	c, err = resolve(false, flags{seeds: 50, seedsIn: "$MOONPOOL_SEEDS", runFor: "30m", plateau: 200, shard: "1/4", shardIn: "-simshard"}, []Option{ReplayRecipe("1/0:3")})
	require.NoError(t, err)
	assert.Contains(t, c.replayNote, `simtest: simtest.ReplayRecipe("1/0:3") runs only its timeline, so this Run does not take $MOONPOOL_SEEDS=50, -simfor=30m, -simplateau=200 and -simshard=1/4, `)

	for _, fl := range []flags{{}, {replays: []uint64{3}}, {recipe: "1/0:3"}, {base: 5, baseSet: true}, {check: true}} {
		c, err := resolve(false, fl, []Option{Replay(1)})
		require.NoError(t, err)
		assert.Empty(t, c.replayNote, "%+v", fl)
	}
	c, err = resolve(false, flags{seeds: 500, seedsIn: "-simseeds"}, nil)
	require.NoError(t, err)
	assert.Empty(t, c.replayNote)
}

func TestReplayOptionInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_REPLAY_OPTION_CHILD") == "" {
		t.Skip("run by TestReplayOptionRunsItsSeedsUnderSimseeds")
	}
	Run(t, func(*S) {}, Replay(7))
}

// A replay kept in a test file, in a go test given -simseeds and
// -simfresh for the whole package, runs its one seed, passes, and logs
// why it did not take the flags.
func TestReplayOptionRunsItsSeedsUnderSimseeds(t *testing.T) {
	out, err := childOutput(t, t.TempDir(), "SIMTEST_REPLAY_OPTION_CHILD=1", "-test.run=^TestReplayOptionInAChild$", "-test.v", "-simseeds=500", "-simfresh")
	require.NoError(t, err, out)
	assert.Contains(t, out, "simtest: simtest.Replay(7) runs only the seeds it names, so this Run does not take -simseeds=500 and -simfresh, ")
	assert.Contains(t, out, "simtest: 1 seed, 1 passed, 0 failed")
	assert.NotContains(t, out, "fresh base seed")
}

// TestBaseInAChild runs two subtests of one body, in the child process of
// TestSimbaseGivesEachTestItsOwnSeeds.
func TestBaseInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_BASE_CHILD") == "" {
		t.Skip("run by TestSimbaseGivesEachTestItsOwnSeeds")
	}
	for _, name := range []string{"small", "large"} {
		t.Run(name, func(t *testing.T) {
			Run(t, func(s *S) {}, Seeds(3))
		})
	}
}

// -simbase gives every test of the binary one base seed; the test's name
// is mixed into it, as into the default base, so that table subtests of
// one body do not spend a sweep on the same seeds, and the same -simbase
// runs the same seeds again.
func TestSimbaseGivesEachTestItsOwnSeeds(t *testing.T) {
	seedsOf := func(base string) map[string][]string {
		out, err := childOutput(t, t.TempDir(), "SIMTEST_BASE_CHILD=1", "-test.run=^TestBaseInAChild$", "-test.v", "-simbase="+base)
		require.NoError(t, err, out)
		seeds := make(map[string][]string)
		for _, m := range regexp.MustCompile(`(?m)^=== RUN   TestBaseInAChild/(\w+)$|simtest: seed=(\d+) `).FindAllStringSubmatch(out, -1) {
			if m[1] != "" {
				seeds["current"] = []string{m[1]}
				continue
			}
			name := seeds["current"][0]
			seeds[name] = append(seeds[name], m[2])
		}
		require.Len(t, seeds["small"], 3, out)
		require.Len(t, seeds["large"], 3, out)
		return seeds
	}
	first := seedsOf("20261206")
	assert.NotEqual(t, first["small"], first["large"], "each subtest its own seeds")
	again := seedsOf("20261206")
	assert.Equal(t, first["small"], again["small"], "the same -simbase runs the same seeds")
	other := seedsOf("1")
	assert.NotEqual(t, first["small"], other["small"])
}

// TestArtifactsAloneKeepNoSeedsTimeline: go test -artifacts wants the
// failing seed's timeline only, which that seed's run again keeps, so
// that a passing Run records no seed's timeline as it runs.
func TestArtifactsAloneKeepNoSeedsTimeline(t *testing.T) {
	c, err := resolve(false, flags{asserts: assertFlags{artifacts: true}}, nil)
	require.NoError(t, err)
	assert.False(t, c.asserts.keepsTimeline(), "no seed keeps its timeline as it runs")
	assert.True(t, c.asserts.drawsTimeline(), "the failing seed's run again draws it")
}
