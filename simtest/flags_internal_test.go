package simtest

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlagsAreOnlyATestBinarysOwn(t *testing.T) {
	t.Parallel() // waits on a process of its own, beside the others that do
	if testing.Short() {
		t.Skip("builds a command")
	}
	out, err := exec.Command("go", "run", "./testdata/flagless").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "done\n", string(out), "a command that imports simtest takes none of its flags")
}

func TestDocListsEveryFlag(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^//\t-(sim\w+)`).FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	var own []string
	flag.VisitAll(func(f *flag.Flag) {
		if isOwnFlag(f.Name) {
			own = append(own, f.Name)
			assert.True(t, documented[f.Name], "doc.go's flag table lists -%s", f.Name)
		}
	})
	assert.Len(t, own, 30, "every flag isOwnFlag names is registered")
	for name := range documented {
		assert.True(t, slices.Contains(own, name), "doc.go lists -%s, which is not a flag", name)
	}
	assert.Contains(t, string(doc), seedsEnv)
	assert.Contains(t, string(doc), flagsEnv)

	// The README's list of flags, the first a reader sees, names each too.
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	for _, name := range own {
		assert.Regexp(t, "`-"+name+`\b`, string(readme), "README.md's flags name -%s", name)
	}
}

// TestDocListsTheFlagsAReplayDoesNotTake: doc.go names the flags a
// replay takes none of from the environment, those readFlags skips.
func TestDocListsTheFlagsAReplayDoesNotTake(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	text := strings.ReplaceAll(string(doc), "\n// ", " ")
	m := regexp.MustCompile(`none of the flags that choose a sequence's seeds \(([^)]*)\)`).FindStringSubmatch(text)
	require.NotNil(t, m, "doc.go says which flags a replay does not take from the environment")
	var listed []string
	for f := range strings.SplitSeq(m[1], ", ") {
		listed = append(listed, strings.TrimPrefix(f, "-"))
	}
	assert.ElementsMatch(t, seedChoosingFlags(), listed)
}

func TestReplayLineKeepsUserFlagsThatStartWithSim(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	registerFlags(fs)
	fs.Bool("simulated-users", false, "a test's own flag")
	require.NoError(t, fs.Parse([]string{"-simulated-users", "-simv", "-simseed=3"}))
	flags := userFlags(fs)
	assert.Contains(t, flags, "-simulated-users", "a flag of the test's that starts with sim")
	assert.Equal(t, []string{"-simulated-users"}, flags, "this package's flags are not repeated")
}

func TestSeedsFromTheEnvironment(t *testing.T) {
	t.Setenv(seedsEnv, "7")
	c, err := resolve(false, commandLine(), nil)
	require.NoError(t, err)
	assert.Equal(t, 7, c.seeds)

	c, err = resolve(false, commandLine(), []Option{Seeds(3)})
	require.NoError(t, err)
	assert.Equal(t, 7, c.seeds, "like -simseeds, the variable wins over the option")

	c, err = resolve(false, readFlags([]string{"-simseed=3"}, os.LookupEnv), nil)
	require.NoError(t, err, "a replay line runs as printed where the variable is set")
	assert.Equal(t, []uint64{3}, c.replays)
	c, err = resolve(false, readFlags([]string{"-simrecipe=42/10:7"}, os.LookupEnv), nil)
	require.NoError(t, err, "a timeline's replay line runs as printed where the variable is set")
	assert.Equal(t, "42/10:7", c.recipe.String())
	_, err = resolve(false, readFlags([]string{"-simseed=3", "-simseeds=5"}, os.LookupEnv), nil)
	assert.ErrorContains(t, err, "-simseed replays the seeds it names and -simseeds asks for 5", "the flags given together are still an error")

	t.Setenv(seedsEnv, "lots")
	_, err = resolve(false, commandLine(), nil)
	assert.EqualError(t, err, `simtest: $MOONPOOL_SEEDS is "lots"; set it to a positive number of seeds, such as 1000, or unset it`)
}

// env is an environment for readFlags: the variables set, and those read.
type env struct {
	vars map[string]string
	read []string
}

func (e *env) lookup(name string) (string, bool) {
	e.read = append(e.read, name)
	v, ok := e.vars[name]
	return v, ok
}

func TestFlagsFromTheEnvironment(t *testing.T) {
	read := func(vars map[string]string, given ...string) (config, error) {
		return resolve(false, readFlags(given, (&env{vars: vars}).lookup), nil)
	}

	c, err := read(map[string]string{flagsEnv: " -simv=false  -simseeds=50 -simall -simworkers=2 "})
	require.NoError(t, err)
	assert.Equal(t, 50, c.seeds)
	assert.True(t, c.quiet, "-simv=false from the variable")
	assert.True(t, c.keepGoing, "a bare boolean flag from the variable")
	assert.Equal(t, 2, c.workers)

	c, err = read(map[string]string{flagsEnv: "-simseeds=50 -simv=false"}, "-simseeds=7", "-simv=true")
	require.NoError(t, err)
	assert.Equal(t, 7, c.seeds, "the command line wins over the variable")
	assert.True(t, c.verbose, "the command line wins over the variable")

	c, err = read(map[string]string{flagsEnv: "-simseeds=50", seedsEnv: "9"})
	require.NoError(t, err)
	assert.Equal(t, 50, c.seeds, "$MOONPOOL_FLAGS wins over its shorthand")
	c, err = read(map[string]string{flagsEnv: "-simv=false", seedsEnv: "9", shardEnv: "1/3"})
	require.NoError(t, err)
	assert.Equal(t, 9, c.seeds, "the shorthands are flags in the same set")
	assert.Equal(t, [2]int{1, 3}, [2]int{c.shard, c.shards})

	c, err = read(map[string]string{flagsEnv: "-simseeds=50 -simfresh -simfor=1m -simplateau=9 -simshard=1/2 -simall"}, "-simseed=3")
	require.NoError(t, err, "a replay line runs as printed where the variable holds a sweep's flags")
	assert.Equal(t, []uint64{3}, c.replays)
	assert.True(t, c.keepGoing, "flags that do not choose seeds still apply")

	for value, want := range map[string]string{
		"-simseeds=lots":     `simtest: $MOONPOOL_FLAGS is "-simseeds=lots", and its -simseeds=lots: -simseeds wants a positive number of seeds, such as 1000; "lots" is not one; fix it or unset it`,
		"-simseeds lots":     `simtest: $MOONPOOL_FLAGS is "-simseeds lots", and its -simseeds=lots: -simseeds wants a positive number of seeds`,
		"-simv=false -run=x": `simtest: $MOONPOOL_FLAGS is "-simv=false -run=x", and -run is not one of this package's flags; it holds this package's -sim flags, separated by spaces and without quotes, such as MOONPOOL_FLAGS="-simv=false -simseeds=50"; fix it or unset it`,
		"-test.v":            `simtest: $MOONPOOL_FLAGS is "-test.v", and -test.v is a flag of the test binary, not of this package`,
		"-simseed=3 -update": `simtest: $MOONPOOL_FLAGS is "-simseed=3 -update", and -update is a flag of the test binary, not of this package, which reads the variable once the binary's flags are read; it holds this package's -sim flags, separated by spaces and without quotes, such as MOONPOOL_FLAGS="-simv=false -simseeds=50"; give -update on go test's command line instead (an editor's test flags setting, such as VS Code's go.testFlags), and take it out of $MOONPOOL_FLAGS`,
		"simv=false":         `simtest: $MOONPOOL_FLAGS is "simv=false", and "simv=false" is not a flag; it holds this package's -sim flags`,
		"-simseeds":          `simtest: $MOONPOOL_FLAGS is "-simseeds", and its -simseeds has no value; it holds this package's -sim flags`,
		"-simv=false 50":     `simtest: $MOONPOOL_FLAGS is "-simv=false 50", and "50" is not a flag; it holds this package's -sim flags`,
		`-simjson="a b"`:     `simtest: $MOONPOOL_FLAGS is "-simjson=\"a b\"", with quotes in it; it holds this package's -sim flags`,
		"-simworkers=none":   `-simworkers wants a number of seeds to run at once, such as 2; "none" is not one (the environment gave flags too: $MOONPOOL_FLAGS="-simworkers=none")`,
		"-simshard=2/2":      `simtest: $MOONPOOL_FLAGS's -simshard=2/2: the shard is counted from 0 and must be below the number of shards; give 0 to 1`,
	} {
		_, err := read(map[string]string{flagsEnv: value})
		require.Error(t, err, value)
		assert.Contains(t, err.Error(), want, value)
	}
	_, err = read(map[string]string{flagsEnv: "-simworkers=none"}, "-simworkers=1")
	assert.NoError(t, err, "the command line's value is the one checked")
	for _, tc := range []struct {
		vars  map[string]string
		given []string
		why   string
	}{
		{map[string]string{seedsEnv: "0"}, []string{"-simseeds=5"}, "the command line's -simseeds wins over $MOONPOOL_SEEDS"},
		{map[string]string{shardEnv: "9/2"}, []string{"-simshard=0/2"}, "the command line's -simshard wins over $MOONPOOL_SHARD"},
		{map[string]string{flagsEnv: "-simseeds=0"}, []string{"-simseeds=5"}, "the command line's -simseeds wins over $MOONPOOL_FLAGS's"},
		{map[string]string{seedsEnv: "0", flagsEnv: "-simseeds=5"}, nil, "$MOONPOOL_FLAGS's -simseeds wins over $MOONPOOL_SEEDS"},
		{map[string]string{flagsEnv: "-simseeds=0 -simshard=9/2 -simfor=never"}, []string{"-simseed=5"}, "a replay line takes none of the flags that choose the seeds"},
		{map[string]string{seedsEnv: "0", shardEnv: "x"}, []string{"-simseed=5"}, "a replay line takes neither shorthand"},
	} {
		c, err := read(tc.vars, tc.given...)
		require.NoError(t, err, tc.why)
		if slices.Contains(tc.given, "-simseeds=5") || tc.vars[flagsEnv] == "-simseeds=5" {
			assert.Equal(t, 5, c.seeds, tc.why)
		}
	}
}

func TestFlagsSayWhereTheShardAndSeedsCameFrom(t *testing.T) {
	for _, tc := range []struct {
		vars             map[string]string
		given            []string
		seedsIn, shardIn string
	}{
		{nil, []string{"-simseeds=5", "-simshard=0/2"}, "-simseeds", "-simshard"},
		{map[string]string{seedsEnv: "5", shardEnv: "0/2"}, nil, "$" + seedsEnv, "$" + shardEnv},
		{map[string]string{flagsEnv: "-simseeds=5 -simshard=0/2"}, nil, "$" + flagsEnv + "'s -simseeds", "$" + flagsEnv + "'s -simshard"},
		{map[string]string{seedsEnv: "5", shardEnv: "0/2"}, []string{"-simseeds=6", "-simshard=1/2"}, "-simseeds", "-simshard"},
	} {
		fl := readFlags(tc.given, (&env{vars: tc.vars}).lookup)
		require.NoError(t, fl.err)
		assert.Equal(t, tc.seedsIn, fl.seedsIn, "%v %q", tc.vars, tc.given)
		assert.Equal(t, tc.shardIn, fl.shardIn, "%v %q", tc.vars, tc.given)
	}
}

// TestFlagsFromTheEnvironmentAreReadEvenUnset checks that every variable is
// looked up whatever the command line gives: go test's cache keys a
// result on the variables the test looked up, set or not.
func TestFlagsFromTheEnvironmentAreReadEvenUnset(t *testing.T) {
	for _, given := range [][]string{nil, {"-simseed=3"}, {"-simseeds=5", "-simshard=0/2"}} {
		e := &env{}
		readFlags(given, e.lookup)
		assert.ElementsMatch(t, []string{flagsEnv, seedsEnv, shardEnv}, e.read, "given %q", given)
	}
}

// TestGoTestCacheKeysOnFlagsFromTheEnvironment runs go test on a package
// of one Run, under one $MOONPOOL_FLAGS and then another: go test's cache
// keys on the variables a test read, so the second result is not the
// first's, cached; and under the first again, it is.
func TestGoTestCacheKeysOnFlagsFromTheEnvironment(t *testing.T) {
	t.Parallel() // waits on a process of its own, beside the others that do
	if testing.Short() {
		t.Skip("builds and runs a test binary")
	}
	goTest := func(flags string) string {
		cmd := exec.Command("go", "test", "./testdata/envcache")
		cmd.Env = append(os.Environ(), flagsEnv+"="+flags, "GOFLAGS=")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		return string(out)
	}
	// A base of its own, so that no result of an earlier go test is cached.
	first := fmt.Sprintf("-simbase=%d", time.Now().UnixNano())
	assert.NotContains(t, goTest(first), "(cached)")
	assert.Contains(t, goTest(first), "(cached)", "the same variable: the result is cached")
	out := goTest(first + " -simseeds=3")
	assert.NotContains(t, out, "(cached)", "another variable: the test runs again")
}

// TestAnErrorNotesTheEnvironmentOnlyWhereItHelps: an error of settings
// the environment gave in part names the variables, unless it names one
// already or no flag is part of it (an option's).
func TestAnErrorNotesTheEnvironmentOnlyWhereItHelps(t *testing.T) {
	fl := readFlags(nil, (&env{vars: map[string]string{seedsEnv: "5"}}).lookup)
	_, err := resolve(false, fl, []Option{nil})
	assert.EqualError(t, err, "simtest: a nil Option was passed; remove it")
	_, err = resolve(false, fl, []Option{Seeds(0)})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "the environment gave flags too")

	fl = readFlags(nil, (&env{vars: map[string]string{shardEnv: "2/2"}}).lookup)
	_, err = resolve(false, fl, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "$MOONPOOL_SHARD=2/2: the shard")
	assert.NotContains(t, err.Error(), "the environment gave flags too", "the error names the variable already")

	fl = readFlags(nil, (&env{vars: map[string]string{flagsEnv: "-simworkers=none"}}).lookup)
	_, err = resolve(false, fl, nil)
	assert.ErrorContains(t, err, `(the environment gave flags too: $MOONPOOL_FLAGS="-simworkers=none")`)
}

func TestTimelineMaxFlag(t *testing.T) {
	var f sizeFlag
	require.NoError(t, f.Set("0"))
	assert.Equal(t, 0, f.v)
	assert.True(t, f.set)
	require.NoError(t, f.Set("2000000"))
	assert.Equal(t, 2000000, f.v)
	assert.EqualError(t, f.Set("-1"), `-simtimelinemax wants a number of entries, such as 1000000, or 0 to keep them all; "-1" is not one`)

	c := assertConfig{}
	assert.Equal(t, DefaultTimelineMax, c.timelineMax())
	c.override(assertFlags{keepMax: 0, keepMaxSet: true})
	assert.Equal(t, 0, c.timelineMax(), "0 keeps all")
}

// -simscale multiplies each Run's own count, its Seeds or the default
// (-short's too), where -simseeds sets one count for every Run and wins
// over it; a replay line runs as printed, whatever the variable scales.
func TestScaleMultipliesEachRunsOwnCount(t *testing.T) {
	read := func(short bool, opts []Option, vars map[string]string, given ...string) (config, error) {
		return resolve(short, readFlags(given, (&env{vars: vars}).lookup), opts)
	}
	for _, tc := range []struct {
		short bool
		opts  []Option
		vars  map[string]string
		given []string
		want  int
	}{
		{false, nil, nil, []string{"-simscale=10"}, 10 * DefaultSeeds},
		{true, nil, nil, []string{"-simscale=10"}, 10 * DefaultShortSeeds},
		{false, []Option{Seeds(30)}, nil, []string{"-simscale=10"}, 300},
		{false, []Option{Seeds(30)}, map[string]string{flagsEnv: "-simscale=10"}, nil, 300},
		{false, []Option{Seeds(30)}, nil, []string{"-simscale=10", "-simseeds=7"}, 7},
		{false, []Option{Seeds(30)}, nil, []string{"-simscale=1"}, 30},
		// A count past what a product can hold runs as many as there are,
		// never fewer than the Run's own, nor a count wrapped negative.
		{false, []Option{Seeds(math.MaxInt)}, nil, []string{"-simscale=10"}, math.MaxInt},
		{false, []Option{Seeds(math.MaxInt / 4)}, nil, []string{"-simscale=10"}, math.MaxInt},
		{false, []Option{Seeds(math.MaxInt32)}, nil, []string{"-simscale=2"}, int(min(2*int64(math.MaxInt32), math.MaxInt))},
	} {
		c, err := read(tc.short, tc.opts, tc.vars, tc.given...)
		require.NoError(t, err, "%v %v", tc.given, tc.vars)
		assert.Equal(t, tc.want, c.seeds, "%v %v short=%v", tc.given, tc.vars, tc.short)
	}
	c, err := read(false, nil, map[string]string{flagsEnv: "-simscale=10"}, "-simseed=3")
	require.NoError(t, err)
	assert.Equal(t, []uint64{3}, c.replays, "a replay line takes no -simscale from the environment")
	_, err = read(false, nil, nil, "-simscale=0")
	assert.ErrorContains(t, err, `-simscale wants a positive whole factor of every Run's own count of seeds, such as 10; "0" is not one`)
}

func TestFocusFlag(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := newFlags(fs)
	require.NoError(t, fs.Parse([]string{"-simfocus=kv-0, kv-2"}))
	assert.Equal(t, []string{"kv-0", "kv-2"}, []string(f.focus))
	err := fs.Parse([]string{"-simfocus=kv-0,,kv-2"})
	assert.ErrorContains(t, err, `-simfocus wants process names joined by commas, such as kv-0,kv-2; "kv-0,,kv-2" has an empty one`)

	c := assertConfig{focus: []string{"from-option"}}
	c.override(assertFlags{focus: []string{"kv-1"}})
	assert.Equal(t, []string{"kv-1"}, c.focus, "the flag wins over the option")
}

// commandLine reads the flags the test binary parsed again, from their
// values as they print: each must print as a value that sets it as it
// was set (-simfocus once printed "", and failed every run given it).
func TestEveryFlagReadsAgainAsItPrints(t *testing.T) {
	samples := map[string]string{
		"simseed": "3,5", "simbase": "7", "simseeds": "40", "simscale": "2", "simfresh": "true",
		"simcheck": "true", "simverify": "true", "simv": "false", "simkeep": "false", "simstrictkept": "true",
		"simall": "true", "simallowgaps": "true", "simresults": "out/r.json", "simworkers": "2", "simshard": "1/3",
		"simfor": "30m", "simplateau": "50", "simcover": "c.out", "simjson": "r.json", "simtimeline": "t.jsonl",
		"simhtml": "t.html", "simrecipe": "42/1034:99", "simexplore": "true", "simfaultmarks": "true",
		"simtimelines": "512", "simslow": "3s", "simwatchdog": "0s", "simmaxwall": "2m0s", "simtimelinemax": "100",
		"simfocus": "kv-0, kv-2",
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	newFlags(fs)
	var args []string
	fs.VisitAll(func(f *flag.Flag) {
		require.True(t, isOwnFlag(f.Name), "%s is one of the package's flags (isOwnFlag)", f.Name)
		v, ok := samples[f.Name]
		require.True(t, ok, "the test gives -%s a value", f.Name)
		args = append(args, "-"+f.Name+"="+v)
	})
	require.NoError(t, fs.Parse(args))
	var printed []string
	fs.Visit(func(f *flag.Flag) { printed = append(printed, "-"+f.Name+"="+f.Value.String()) })
	want, got := readFlags(args, noEnv), readFlags(printed, noEnv)
	require.NoError(t, want.err)
	require.NoError(t, got.err, "the flags as they print: %q", printed)
	assert.Equal(t, want, got)
	assert.Equal(t, []string{"kv-0", "kv-2"}, got.asserts.focus)
}

// noEnv is an environment with no variables.
func noEnv(string) (string, bool) { return "", false }
