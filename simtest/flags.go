package simtest

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cmdFlags are the package's command-line flags. They are registered only
// in test binaries (testing.Testing), so that a command that runs
// simulations does not take them; elsewhere cmd is nil and every Run sees
// the defaults. The flags are read-only once the test binary has parsed
// its command line; each Run copies what it needs into its configuration.
type cmdFlags struct {
	seed                        seedsFlag
	base                        seedFlag
	seeds                       countFlag
	fresh, check, keep, verify  bool
	strictKept                  bool
	v                           boolFlag
	all, allowGaps              bool
	cover, json, timeline, html string
	results                     string
	workers                     givenString
	shard                       string
	runFor                      string
	plateau                     countFlag
	scale                       countFlag
	recipe                      string
	explore                     bool
	faultMarks                  bool
	timelines                   timelinesFlag
	slow, watchdog, maxWall     durationFlag
	timelineMax                 sizeFlag
	focus                       focusFlag
}

var cmd = registerFlags(flag.CommandLine)

// fileOrDir ends the usage of the flags that name a Run's file.
const fileOrDir = " (or into this directory, a path ending in /, a file per test under its package's directory; " +
	"under go test ./... every package's test binary writes to one file, so give a directory)"

// artifactsUsage ends the usage of -simtimeline and -simhtml.
const artifactsUsage = "; without it, under go test -artifacts, a failing seed's goes to the test's artifact directory"

// registerFlags registers the flags on fs in a test binary, and returns
// nil elsewhere.
func registerFlags(fs *flag.FlagSet) *cmdFlags {
	if !testing.Testing() {
		return nil
	}
	return newFlags(fs)
}

// newFlags registers the flags on fs, in any binary.
func newFlags(fs *flag.FlagSet) *cmdFlags {
	f := &cmdFlags{base: seedFlag{name: "-simbase"}, plateau: countFlag{name: "-simplateau"},
		scale:    countFlag{name: "-simscale", want: "a positive whole factor of every Run's own count of seeds, such as 10"},
		slow:     durationFlag{name: "-simslow", want: "a duration of real time such as 30s, or 0 to name no seed"},
		watchdog: durationFlag{name: "-simwatchdog", want: "a duration of real time such as 1m, or 0 to turn the watchdog off"},
		maxWall:  durationFlag{name: "-simmaxwall", want: "a duration of real time such as 5m, or 0 to remove the bound"}}
	fs.Var(&f.seed, "simseed", "simtest: replay only this `seed` (a decimal number from a failure's replay line), or these seeds, comma-separated")
	fs.Var(&f.base, "simbase", "simtest: derive each Run's seeds from this base `seed` and the test's name, instead of the name alone: the shards of a nightly sweep share one, such as the date")
	fs.Var(&f.seeds, "simseeds", "simtest: run this many seeds per Run (default 100, 10 under -short, or $"+seedsEnv+")")
	fs.Var(&f.scale, "simscale", "simtest: run this many times each Run's own count of seeds (its simtest.Seeds, or the default; -short's too), as a nightly job runs ten times a pull request's; -simseeds, a count for every Run, wins over it")
	boolVar(fs, &f.fresh, "simfresh", false, "simtest: draw a fresh base seed for every Run instead of one derived from the test name")
	boolVar(fs, &f.check, "simcheck", false, "simtest: run every seed twice and fail when the two runs differ: in their traces, or in how they end")
	boolVar(fs, &f.verify, "simverify", false, "simtest: run a failing seed's replay line once more in a fresh process of the test binary, and say in the report whether it fails there the same way (-simcheck's two runs share one process)")
	fs.Var(&f.v, "simv", "simtest: log every seed's line and log lines, not only a failing seed's; -simv=false logs no seed's line, even under -v or -json")
	boolVar(fs, &f.keep, "simkeep", true, "simtest: keep failing seeds under testdata/simtest and run them first; given as -simkeep=true with -simseed, keep the replayed seed if it fails")
	boolVar(fs, &f.strictKept, "simstrictkept", false, "simtest: fail the test when a kept seed or exploration recipe, or a fuzz input whose trace is kept, run under the flags it failed under, passes on another execution than the one that failed: the code along its path changed, and its passing proves little (one kept under other flags is only noted)")
	boolVar(fs, &f.all, "simall", false, "simtest: run every seed, past failing ones, and report the failing seeds and the failure rate (go test's -failfast stops between tests, not between a Run's seeds)")
	boolVar(fs, &f.allowGaps, "simallowgaps", false, "simtest: log coverage gaps (a Sometimes never true, an Always never reached) as warnings instead of failing the test, as simtest.AllowGaps does")
	fs.StringVar(&f.results, "simresults", "", "simtest: write a line of JSON for every seed (seed, trace, outcome, simulated time, steps, first failure) to this `file`"+fileOrDir)
	fs.Var(&f.workers, "simworkers", "simtest: run this `many` seeds of each Run at once (default 1; more than the cores only costs memory); a passing Run reports the same, but for the workers its summary names")
	fs.StringVar(&f.shard, "simshard", "", "simtest: run shard `i/n` of each Run's seeds: the seeds at places i, i+n, i+2n... (default $"+shardEnv+"); cmd/moonpool-merge merges the shards' -simresults")
	fs.StringVar(&f.runFor, "simfor", "", "simtest: run seeds until this much wall `time` is spent, such as 30m (the count then varies from run to run; each seed's replay line does not)")
	fs.Var(&f.plateau, "simplateau", "simtest: run seeds until `n` seeds in a row reach no new assertion coverage")
	fs.StringVar(&f.cover, "simcover", "", "simtest: write each Run's assertion coverage profile, for go tool cover -html, to this `file`"+fileOrDir)
	fs.StringVar(&f.json, "simjson", "", "simtest: write each Run's report, with its assertion table, as JSON to this `file`"+fileOrDir)
	fs.StringVar(&f.timeline, "simtimeline", "", "simtest: write the whole timeline of each Run's last seed (its failing seed, if one failed) as JSON lines to this `file`"+fileOrDir+artifactsUsage)
	fs.Var(&f.timelineMax, "simtimelinemax", fmt.Sprintf("simtest: keep this `many` of the last entries of the timeline that -simtimeline, -simhtml and go test -artifacts write, and of its devices' operations (default %d; 0 keeps them all)", DefaultTimelineMax))
	fs.Var(&f.focus, "simfocus", "simtest: a failed seed's window shows the entries of these `processes` alone (names joined by commas, such as kv-0,kv-2), besides the failure's, the phases and the errors (simtest.WindowFocus)")
	fs.StringVar(&f.html, "simhtml", "", "simtest: write the timeline of each Run's last seed (its failing seed, if one failed) as one self-contained HTML page to this `file`"+fileOrDir+artifactsUsage)
	boolVar(fs, &f.explore, "simexplore", false, "simtest: explore from each Run's seeds (package explore), with explore.Defaults() unless the Run passes simtest.Explore")
	fs.Var(&f.slow, "simslow", "simtest: name in the report every seed that takes longer than this `duration` of real time (default 10s; 0 names none)")
	fs.Var(&f.watchdog, "simwatchdog", "simtest: fail a seed whose task has not come back to the scheduler for this `duration` of real time (default 10s; 0 turns it off, as a debugger attached does)")
	fs.Var(&f.maxWall, "simmaxwall", fmt.Sprintf("simtest: fail a seed whose simulated time stands still for this `duration` of real time while its tasks run and one waits for the clock to move (default %v, %v under the race detector; 0 removes the bound), as simtest.MaxWallPerInstant sets it", DefaultMaxWallPerInstant, DefaultMaxWallPerInstant*10))
	boolVar(fs, &f.faultMarks, "simfaultmarks", false, "simtest: an exploring Run branches progress made after an injected fault also where the fault began, so that children draw its length and hosts afresh (explore.Config.FaultMarks)")
	fs.Var(&f.timelines, "simtimelines", "simtest: the budget of timelines of an exploring Run (default 4096)")
	fs.StringVar(&f.recipe, "simrecipe", "", "simtest: replay only this exploration timeline (a `recipe` such as 42/1034:99 from a failure's replay line)")
	return f
}

// isOwnFlag reports whether name is one of this package's flags.
func isOwnFlag(name string) bool {
	switch name {
	case "simseed", "simbase", "simseeds", "simscale", "simfresh", "simcheck", "simverify", "simv", "simkeep", "simstrictkept", "simall", "simallowgaps", "simresults", "simworkers", "simshard", "simfor", "simplateau", "simcover", "simjson", "simtimeline", "simhtml", "simrecipe", "simexplore", "simfaultmarks", "simtimelines", "simslow", "simwatchdog", "simmaxwall", "simtimelinemax", "simfocus":
		return true
	}
	return false
}

// seedsEnv names the environment variable that sets the number of seeds
// when -simseeds is not given, as RAPID_CHECKS does for rapid: a nightly
// job sets it once for every test of a go test ./... run.
const seedsEnv = "MOONPOOL_SEEDS"

// flagsEnv names the environment variable that gives this package's flags
// to every test binary of a go test: go test ./... -simv=false gives them
// also to the packages that do not link simtest, which fail on a flag
// they do not define. $MOONPOOL_SEEDS and $MOONPOOL_SHARD are short for
// its -simseeds and -simshard.
const flagsEnv = "MOONPOOL_FLAGS"

// givenString is a string flag that knows whether it was given: an
// empty -simworkers= is a mistake, not the default.
type givenString struct {
	v   string
	set bool
}

func (f *givenString) String() string {
	if f == nil {
		return ""
	}
	return f.v
}

func (f *givenString) Set(s string) error {
	f.v, f.set = s, true
	return nil
}

// focusFlag is -simfocus's list of process names. It prints as it was
// given, for commandLine reads the command line's flags again from their
// values.
type focusFlag []string

func (f *focusFlag) String() string {
	if f == nil {
		return ""
	}
	return strings.Join(*f, ",")
}

func (f *focusFlag) Set(s string) error {
	var names []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n == "" {
			return fmt.Errorf("-simfocus wants process names joined by commas, such as kv-0,kv-2; %q has an empty one", s)
		}
		names = append(names, n)
	}
	*f = names
	return nil
}

// boolFlag is a bool flag that knows whether it was given: -simv=false
// says something its default does not.
type boolFlag struct{ v, set bool }

func (f *boolFlag) IsBoolFlag() bool { return true }

func (f *boolFlag) String() string {
	if f == nil {
		return "false"
	}
	return strconv.FormatBool(f.v)
}

func (f *boolFlag) Set(s string) error {
	v, err := parseBool(s)
	if err != nil {
		return err
	}
	f.v, f.set = v, true
	return nil
}

// parseBool reads a boolean flag's value, with the error every one of this
// package's boolean flags gives: the flag package's own says only "parse
// error".
func parseBool(s string) (bool, error) {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("wants true or false; %q is neither", s)
	}
	return v, nil
}

// boolValue is a plain boolean flag, as flag.BoolVar makes, that reads its
// value with parseBool.
type boolValue struct{ p *bool }

// boolVar registers a boolValue on fs, as fs.BoolVar registers a bool.
func boolVar(fs *flag.FlagSet, p *bool, name string, value bool, usage string) {
	*p = value
	fs.Var(&boolValue{p}, name, usage)
}

func (b *boolValue) IsBoolFlag() bool { return true }

func (b *boolValue) String() string {
	if b == nil || b.p == nil {
		return "false"
	}
	return strconv.FormatBool(*b.p)
}

func (b *boolValue) Set(s string) error {
	v, err := parseBool(s)
	if err != nil {
		return err
	}
	*b.p = v
	return nil
}

// seedFlag is one seed, of the flag named by name (-simbase).
type seedFlag struct {
	v    uint64
	set  bool
	name string
}

func (f *seedFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.FormatUint(f.v, 10)
}

func (f *seedFlag) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s wants a decimal seed such as 20261203; %q is not one", f.name, s)
	}
	f.v, f.set = v, true
	return nil
}

// seedsFlag is -simseed: one seed, or several separated by commas.
type seedsFlag struct {
	v []uint64
}

func (f *seedsFlag) String() string {
	if f == nil {
		return ""
	}
	out := make([]string, len(f.v))
	for i, v := range f.v {
		out[i] = strconv.FormatUint(v, 10)
	}
	return strings.Join(out, ",")
}

func (f *seedsFlag) Set(s string) error {
	var seeds []uint64
	for part := range strings.SplitSeq(s, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(part), 10, 64)
		if err != nil {
			if strings.Contains(s, ",") {
				return fmt.Errorf("-simseed wants decimal seeds separated by commas, such as 12,34; %q in %q is not a seed", part, s)
			}
			return fmt.Errorf("-simseed wants a decimal seed such as 1234, as printed in a failure's replay line; %q is not one", s)
		}
		seeds = append(seeds, v)
	}
	f.v = seeds
	return nil
}

// durationFlag is a duration of real time, at least zero: -simslow,
// -simwatchdog. want says what it takes, for the error.
type durationFlag struct {
	name, want string
	v          time.Duration
	set        bool
}

func (f *durationFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return f.v.String()
}

func (f *durationFlag) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%s wants %s; %q is not one", f.name, f.want, s)
	}
	f.v, f.set = v, true
	return nil
}

// sizeFlag is a number, at least zero: -simtimelinemax.
type sizeFlag struct {
	v   int
	set bool
}

func (f *sizeFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.Itoa(f.v)
}

func (f *sizeFlag) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return fmt.Errorf("-simtimelinemax wants a number of entries, such as 1000000, or 0 to keep them all; %q is not one", s)
	}
	f.v, f.set = v, true
	return nil
}

// countFlag is a positive number of seeds: -simseeds, or the flag
// named by name.
type countFlag struct {
	v    int
	set  bool
	name string // "" for -simseeds
	want string // what it wants, where not a number of seeds
}

func (f *countFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.Itoa(f.v)
}

func (f *countFlag) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		if f.want != "" {
			return fmt.Errorf("%s wants %s; %q is not one", f.name, f.want, s)
		}
		if f.name != "" {
			return fmt.Errorf("%s wants a positive number of seeds, such as 200; %q is not one", f.name, s)
		}
		return fmt.Errorf("-simseeds wants a positive number of seeds, such as 1000; %q is not one", s)
	}
	f.v, f.set = v, true
	return nil
}

// flags are the command-line settings a Run sees; tests of this package
// build their own.
type flags struct {
	replays []uint64 // -simseed
	base    uint64
	baseSet bool
	seeds   int
	seedsIn string // where seeds came from: -simseeds, $MOONPOOL_SEEDS or $MOONPOOL_FLAGS's -simseeds
	scale   int    // -simscale; 0 when not given
	fresh   bool
	check   bool
	verify  bool // -simverify
	// checking is set in the process that checks another's replay line
	// ($MOONPOOL_REPLAY_CHECK): it checks none of its own, and writes no
	// file.
	checking bool
	verbose  bool
	quiet    bool // -simv=false: no seed's line, even under -v
	noKeep   bool
	// strictKept is -simstrictkept: a kept seed or input that passes on
	// another execution fails the test.
	strictKept bool
	// keepGiven is set when -simkeep=true was given: a replay then keeps
	// its seed if it fails, as a Run of the test's own seeds does.
	keepGiven bool
	all       bool
	results   string
	workers   string // -simworkers, checked by resolve
	// workersSet is set when -simworkers was given, even empty: an empty
	// count is as wrong as a word.
	workersSet bool
	shard      string        // -simshard or $MOONPOOL_SHARD, checked by resolve
	shardIn    string        // where shard came from, for errors
	runFor     string        // -simfor, checked by resolve
	plateau    int           // -simplateau
	recipe     string        // -simrecipe (explore.go)
	explore    bool          // -simexplore
	faultMarks bool          // -simfaultmarks
	budget     int           // -simtimelines
	slow       time.Duration // -simslow
	slowSet    bool
	// watchdog is -simwatchdog, when watchdogSet.
	watchdog    time.Duration
	watchdogSet bool
	// maxWall is -simmaxwall, when maxWallSet.
	maxWall    time.Duration
	maxWallSet bool
	asserts    assertFlags // assert_options.go
	run        string      // go test's -run
	err        error       // a bad setting, found reading them
	// env names the variables that set flags, as they are, when any did:
	// an error of the settings then names them.
	env string
}

// commandLine reads the flags: those given on the command line, and for
// those it leaves unset, the environment's ($MOONPOOL_FLAGS, and its
// shorthands $MOONPOOL_SEEDS and $MOONPOOL_SHARD). A bad setting is an
// error that resolve reports.
func commandLine() flags {
	var given []string
	if cmd != nil && flag.Parsed() {
		flag.Visit(func(f *flag.Flag) {
			if isOwnFlag(f.Name) {
				given = append(given, "-"+f.Name+"="+f.Value.String())
			}
		})
	}
	fl := readFlags(given, os.LookupEnv)
	if f := flag.Lookup("test.run"); f != nil {
		fl.run = f.Value.String()
	}
	// Go 1.26's go test -artifacts; a Go before it has no such flag.
	if f := flag.Lookup("test.artifacts"); f != nil {
		fl.asserts.artifacts = f.Value.String() == "true"
	}
	if flag.Parsed() && fl.err == nil {
		fl.err = unreadFlags(flag.Args())
	}
	fl.checking = os.Getenv(replayCheckEnv) != ""
	return fl
}

// readFlags reads this package's flags from given, the command line's
// (each as -name=value), and from the environment that lookup reads, in
// one flag set, so that a flag takes the same values, and gives the same
// errors, wherever it is given. A flag on the command line wins over the
// environment's. The variables are read even when unset: go test's cache
// keys a test's result on the variables it read (os.LookupEnv reports
// them), so a cached result never stands for other settings.
func readFlags(given []string, lookup func(string) (string, bool)) flags {
	fs := flag.NewFlagSet(flagsEnv, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := newFlags(fs)
	replays := false
	for _, a := range given {
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		replays = replays || name == "simseed" || name == "simrecipe"
	}
	// A replay line runs as printed where the environment holds a sweep's
	// flags: those that choose the seeds of a sequence give way to the
	// seeds the command line names.
	skip := func(name string) bool {
		return replays && slices.Contains(seedChoosingFlags(), name)
	}
	var fl flags
	// Every variable is looked up first, whatever the command line gives.
	var short [2]string
	for i, env := range []string{seedsEnv, shardEnv} {
		short[i], _ = lookup(env)
	}
	all, _ := lookup(flagsEnv)
	var envArgs []string // $MOONPOOL_FLAGS's flags, each as name=value
	if strings.TrimSpace(all) != "" {
		var err error
		if envArgs, err = envFlags(all); err != nil {
			fl.err = err
			return fl
		}
	}
	// A value the command line, or $MOONPOOL_FLAGS over its shorthand,
	// overrides, or one a replay skips, is not read at all: a bad one
	// there fails nothing, as the one that wins is the one checked.
	overridden := func(name string, by []string) bool {
		return slices.ContainsFunc(by, func(a string) bool {
			n, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
			return n == name
		})
	}
	from := map[string]string{} // the flags the environment set, and where
	var env []string            // the variables read that set any
	for i, sh := range []struct{ env, name string }{{seedsEnv, "simseeds"}, {shardEnv, "simshard"}} {
		v := short[i]
		if v == "" || skip(sh.name) || overridden(sh.name, given) || overridden(sh.name, envArgs) {
			continue
		}
		if err := fs.Set(sh.name, v); err != nil {
			fl.err = fmt.Errorf("simtest: $%s is %q: %w; fix it or unset it", sh.env, v, err)
			if sh.env == seedsEnv {
				fl.err = fmt.Errorf("simtest: $%s is %q; set it to a positive number of seeds, such as 1000, or unset it", seedsEnv, v)
			}
			return fl
		}
		from[sh.name] = "$" + sh.env
		env = append(env, fmt.Sprintf("$%s=%s", sh.env, v))
	}
	applied := false
	for _, a := range envArgs {
		name, value, _ := strings.Cut(a, "=")
		if skip(name) || overridden(name, given) {
			continue
		}
		if err := fs.Set(name, value); err != nil {
			fl.err = fmt.Errorf("simtest: $%s is %q, and its -%s: %w; fix it or unset it", flagsEnv, all, a, err)
			return fl
		}
		from[name] = "$" + flagsEnv + "'s -" + name
		applied = true
	}
	if applied {
		env = append(env, fmt.Sprintf("$%s=%q", flagsEnv, all))
	}
	for _, a := range given {
		name, value, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if err := fs.Set(name, value); err != nil {
			fl.err = fmt.Errorf("simtest: -%s: %w", name, err)
			return fl
		}
		delete(from, name)
	}
	fl = flags{
		replays: f.seed.v,
		slow:    f.slow.v, slowSet: f.slow.set,
		watchdog: f.watchdog.v, watchdogSet: f.watchdog.set,
		maxWall: f.maxWall.v, maxWallSet: f.maxWall.set,
		base: f.base.v, baseSet: f.base.set,
		seeds: f.seeds.v, scale: f.scale.v,
		fresh: f.fresh, check: f.check, verify: f.verify, verbose: f.v.v, quiet: f.v.set && !f.v.v, noKeep: !f.keep, strictKept: f.strictKept,
		all: f.all, results: f.results, workers: f.workers.v, workersSet: f.workers.set, shard: f.shard, runFor: f.runFor, plateau: f.plateau.v, recipe: f.recipe,
		explore: f.explore, faultMarks: f.faultMarks, budget: f.timelines.v,
		asserts: assertFlags{cover: f.cover, json: f.json, timeline: f.timeline, html: f.html, allowGaps: f.allowGaps,
			keepMax: f.timelineMax.v, keepMaxSet: f.timelineMax.set, focus: f.focus},
		// Where the command line gave one, from has no entry for it.
		seedsIn: cmp.Or(from["simseeds"], "-simseeds"), shardIn: cmp.Or(from["simshard"], "-simshard"),
	}
	if len(from) > 0 {
		fl.env = strings.Join(env, " and ")
	}
	fs.Visit(func(g *flag.Flag) { fl.keepGiven = fl.keepGiven || g.Name == "simkeep" && f.keep })
	return fl
}

// seedChoosingFlags are the flags that choose the seeds of a sequence,
// which a replay line does not take from the environment, as doc.go
// lists them.
func seedChoosingFlags() []string {
	return []string{"simseeds", "simscale", "simbase", "simfresh", "simfor", "simplateau", "simshard"}
}

// envFlags splits $MOONPOOL_FLAGS into its flags, each as name=value
// (a boolean flag given bare as name=true), in their order, and refuses
// what is not one of this package's flags. It checks the syntax, not the
// values: readFlags sets those that are not overridden, and names a bad
// one's flag.
func envFlags(v string) ([]string, error) {
	const want = "it holds this package's -sim flags, separated by spaces and without quotes, such as " + flagsEnv + `="-simv=false -simseeds=50"`
	if strings.ContainsAny(v, `"'`) {
		return nil, fmt.Errorf("simtest: $%s is %q, with quotes in it; %s; fix it or unset it", flagsEnv, v, want)
	}
	fs := flag.NewFlagSet(flagsEnv, flag.ContinueOnError)
	newFlags(fs)
	var out []string
	for args := strings.Fields(v); len(args) > 0; args = args[1:] {
		// The flag package's syntax: -name, --name, -name=value, and
		// -name value for a flag that is not a boolean.
		name, ok := strings.CutPrefix(args[0], "-")
		name = strings.TrimPrefix(name, "-")
		if !ok || name == "" || name[0] == '=' {
			return nil, fmt.Errorf("simtest: $%s is %q, and %q is not a flag; %s; fix it or unset it", flagsEnv, v, args[0], want)
		}
		name, value, hasValue := strings.Cut(name, "=")
		f := fs.Lookup(name)
		if f == nil && flag.CommandLine.Lookup(name) != nil {
			// The test's own flag, or go test's: the variable cannot
			// carry it, as the flag package read those before any test.
			return nil, fmt.Errorf("simtest: $%s is %q, and -%s is a flag of the test binary, not of this package, which reads the variable once the binary's flags are read; %s; give -%s on go test's command line instead (an editor's test flags setting, such as VS Code's go.testFlags), and take it out of $%s",
				flagsEnv, v, name, want, name, flagsEnv)
		}
		if f == nil {
			return nil, fmt.Errorf("simtest: $%s is %q, and -%s is not one of this package's flags; %s; fix it or unset it", flagsEnv, v, name, want)
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && ok && b.IsBoolFlag() {
			value, hasValue = "true", true
		}
		if !hasValue {
			if len(args) < 2 {
				return nil, fmt.Errorf("simtest: $%s is %q, and its -%s has no value; %s; fix it or unset it", flagsEnv, v, name, want)
			}
			args = args[1:]
			value = args[0]
		}
		out = append(out, name+"="+value)
	}
	return out, nil
}

// unreadFlags reports flags the test binary was given but did not read:
// those after an argument that is not a flag, where the flag package
// stops. go test hands the binary, as they are, every argument after the
// first flag it does not know (a test's flag, -simseeds=100 or -simseeds
// 100), the package path among them: in go test -simseeds=100 . -planted,
// -planted would be dropped without a word, and the Run test something
// other than what was asked.
func unreadFlags(args []string) error {
	const (
		afterTestFlags = "go test passes on to the test binary, as they are, the arguments after the first flag it does not know, such as a test's -simseeds=100"
		pathFirst      = "put the package path before the test's flags (go test ./pkg -simseeds=100 -planted)"
	)
	if len(args) > 0 && args[0] != "." && (strings.HasPrefix(args[0], "./") || strings.HasPrefix(args[0], "../") || strings.HasSuffix(args[0], "/...")) {
		return fmt.Errorf("simtest: the test binary was given the package path %q as an argument, so go test tested the package of the current directory, not that one (%s); %s", args[0], afterTestFlags, pathFirst)
	}
	for i, a := range args {
		if i > 0 && strings.HasPrefix(a, "-") && a != "-" {
			return fmt.Errorf("simtest: the test binary stopped reading flags at %q, so it did not read %s (%s, the package path among them); %s",
				args[0], strings.Join(args[i:], " "), afterTestFlags, pathFirst)
		}
	}
	return nil
}

// selectsSubtests reports whether go test's -run pattern names subtests,
// as a fuzz input's replay line does: -run '^FuzzKV$/^30c8c1a56ec36eca$'.
func (fl flags) selectsSubtests() bool { return strings.Contains(fl.run, "/") }

// replayConflicts refuses options that choose the seeds besides a replay
// (Replay, ReplayRecipe), which runs only its own: a count (Seeds) or a
// fresh base (FreshSeeds) would be dropped without a word. BaseSeed is
// not among them: it gives a replayed seed its place in the sequence.
func (c *config) replayConflicts() error {
	if !c.replaySet {
		return nil
	}
	what := "Replay replays the seeds it names"
	if c.recipe != nil {
		what = "ReplayRecipe replays one timeline"
	}
	switch {
	case c.seedsSet:
		return fmt.Errorf("simtest: %s and Seeds(%d) asks for a count of seeds; keep one of the two options", what, c.seeds)
	case c.fresh:
		return fmt.Errorf("simtest: %s and FreshSeeds draws new ones; keep one of the two options", what)
	}
	return nil
}

// replayOverrides says which of the flags fl, which choose the seeds of
// every Run of a go test, the Run configured by c leaves aside because its
// Replay or ReplayRecipe option names its seeds; "" when none is given.
// It is a note, not an error: a replay kept in a test file meets the flags
// a CI job gives the whole package (go test ./... -simseeds=500), and an
// error there would fail the package for a test that replays as it was
// written to.
func replayOverrides(c config, fl flags) string {
	var given []string
	if fl.seeds > 0 {
		given = append(given, fmt.Sprintf("%s=%d", fl.seedsIn, fl.seeds))
	}
	if fl.scale > 1 {
		given = append(given, fmt.Sprintf("-simscale=%d", fl.scale))
	}
	if fl.fresh {
		given = append(given, "-simfresh")
	}
	if fl.runFor != "" {
		given = append(given, "-simfor="+fl.runFor)
	}
	if fl.plateau > 0 {
		given = append(given, fmt.Sprintf("-simplateau=%d", fl.plateau))
	}
	if fl.shard != "" {
		given = append(given, fl.shardIn+"="+fl.shard)
	}
	if len(given) == 0 {
		return ""
	}
	option := "simtest.Replay(" + strings.ReplaceAll((&seedsFlag{v: c.replays}).String(), ",", ", ") + ") runs only the seeds it names"
	if c.recipe != nil {
		option = fmt.Sprintf("simtest.ReplayRecipe(%q) runs only its timeline", c.recipe.String())
	}
	return fmt.Sprintf("simtest: %s, so this Run does not take %s, which choose the seeds of the Runs that run a sequence; "+
		"to run this test's own seeds, take the option out (a failing seed kept under %s replays first without it)",
		option, joinAnd(given), keepDir)
}

// joinAnd joins words as a sentence lists them: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// resolve applies the options and then the flags, which win, and rejects
// combinations that cannot be meant. An error of settings that the
// environment gave in part names the variables, which a reader of the
// command line does not see.
func resolve(short bool, fl flags, opts []Option) (config, error) {
	if fl.err != nil {
		return defaultConfig(short), fl.err
	}
	c, err := resolveFlags(short, fl, opts)
	if err != nil && fl.env != "" && !errors.As(err, new(noEnvNote)) {
		err = fmt.Errorf("%w (the environment gave flags too: %s)", err, fl.env)
	}
	return c, err
}

// noEnvNote marks an error of resolveFlags that resolve notes no
// variable on: an option's, which no flag is part of, and one that names
// the variable that gave the flag already.
type noEnvNote struct{ error }

func (e noEnvNote) Unwrap() error { return e.error }

// scaleSeeds is n seeds scaled by k (-simscale), or as many as an int
// holds where the product would not fit: a count meant as no bound, such
// as Seeds(math.MaxInt), stays one, where a product that wraps would run
// none.
func scaleSeeds(n, k int) int {
	if k > 1 && n > math.MaxInt/k {
		return math.MaxInt
	}
	return n * max(k, 1)
}

func resolveFlags(short bool, fl flags, opts []Option) (config, error) {
	c := defaultConfig(short)
	for _, o := range opts {
		if o == nil {
			return c, noEnvNote{fmt.Errorf("simtest: a nil Option was passed; remove it")}
		}
		if err := o.apply(&c); err != nil {
			return c, noEnvNote{err}
		}
	}
	if c.network != nil {
		c.chaos.Network = *c.network
	}
	if c.storage != nil {
		c.chaos.Storage = *c.storage
	}
	if c.network != nil || c.storage != nil {
		// Each part validated alone; together they can still disagree:
		// a Randomize that draws clogs for a network with no clog length.
		if err := c.chaos.Validate(); err != nil {
			return c, fmt.Errorf("simtest: the chaos configuration with the Network or Storage option in it does not validate: %w", err)
		}
	}
	if c.fresh && c.baseSet {
		return c, fmt.Errorf("simtest: FreshSeeds and BaseSeed both choose the base seed; keep one")
	}
	if err := c.replayConflicts(); err != nil {
		return c, err
	}
	if len(fl.replays) > 0 && fl.seeds > 0 {
		return c, fmt.Errorf("simtest: -simseed replays the seeds it names and -simseeds asks for %d; give one of the two flags", fl.seeds)
	}
	if len(fl.replays) > 0 && fl.fresh {
		return c, fmt.Errorf("simtest: -simseed replays the seeds it names and -simfresh draws new ones; give one of the two flags")
	}
	if len(fl.replays) > 0 && fl.baseSet {
		return c, fmt.Errorf("simtest: -simseed replays the seeds it names, whatever the base seed, and -simbase gives the base seed of a sequence to run; give one of the two flags")
	}
	if c.replaySet && len(fl.replays) == 0 && fl.recipe == "" {
		c.replayNote = replayOverrides(c, fl)
	}
	if len(fl.replays) > 0 {
		// The flags win: a seed from a replay line runs as printed, not
		// as a timeline of a ReplayRecipe left in the test.
		c.replays, c.replaySet, c.recipe = fl.replays, true, nil
	}
	if fl.slowSet {
		c.slow, c.slowSet = fl.slow, true
	}
	if fl.watchdogSet {
		if fl.watchdog > 0 && fl.watchdog < MinWatchdog {
			return c, fmt.Errorf("simtest: -simwatchdog=%v: the watchdog is 0 (off) or at least simtest.MinWatchdog (%v); raise it", fl.watchdog, MinWatchdog)
		}
		c.watchdog, c.watchdogSet = fl.watchdog, true
	}
	if fl.maxWallSet {
		c.maxStill, c.maxStillSet = fl.maxWall, true
	}
	if fl.baseSet {
		if fl.fresh {
			return c, fmt.Errorf("simtest: -simbase gives the base seed and -simfresh draws one; give one of the two flags")
		}
		c.baseSeed, c.baseSet, c.fresh, c.baseByFlag = fl.base, true, false, true
	}
	if err := c.replayRecipe(fl); err != nil {
		return c, err
	}
	if err := c.exploreFlags(fl); err != nil {
		return c, err
	}
	if fl.seeds > 0 {
		c.seeds, c.seedsSet = fl.seeds, true
	} else if fl.scale > 1 && len(c.replays) == 0 {
		// The Run's own count, scaled: a count of its own is kept small
		// or large on purpose, and the factor keeps the proportion.
		c.seeds = scaleSeeds(c.seeds, fl.scale)
	}
	if fl.runFor != "" {
		d, err := time.ParseDuration(fl.runFor)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("simtest: -simfor wants a positive wall time such as 30m or 1h30m; %q is not one", fl.runFor)
		}
		c.runFor = d
	}
	if fl.plateau > 0 {
		c.plateau = fl.plateau
	}
	c.fresh = c.fresh || fl.fresh
	c.check = c.check || fl.check
	c.verify = c.verify || fl.verify
	c.verbose = c.verbose || fl.verbose
	if fl.quiet {
		c.verbose, c.quiet = false, true
	}
	c.keep = c.keep && !fl.noKeep
	c.keepReplay = fl.keepGiven
	c.strictKept = fl.strictKept
	c.keepGoing = c.keepGoing || fl.all
	if fl.results != "" {
		c.resultsPath = fl.results
	}
	if fl.workers != "" || fl.workersSet {
		n, err := strconv.Atoi(fl.workers)
		if err != nil {
			return c, fmt.Errorf("-simworkers wants a number of seeds to run at once, such as 2; %q is not one", fl.workers)
		}
		if err := checkWorkers(n, "-simworkers="+fl.workers); err != nil {
			return c, err
		}
		c.workers = n
	}
	if fl.shard != "" {
		i, n, err := parseShard(fl.shard, fl.shardIn)
		if err != nil {
			err = fmt.Errorf("simtest: %w", err)
			if fl.shardIn != "-simshard" {
				err = noEnvNote{err} // it names the variable
			}
			return c, err
		}
		c.shard, c.shards = i, n
	}
	c.asserts.override(fl.asserts)
	if fl.checking {
		c.checking()
	}
	if err := c.checkIteration(); err != nil {
		return c, err
	}
	if c.fresh && c.sharded() && !c.replaySet {
		return c, fmt.Errorf("simtest: a shard (-simshard=%d/%d) with fresh seeds (-simfresh, FreshSeeds) would draw a sequence of its own; give every shard one base seed with -simbase=N, such as the date", c.shard, c.shards)
	}
	if c.replaySet {
		// A replay runs the seeds it names, whatever the shard: its report
		// and its files are not the shard's, and must not stand for them.
		c.shard, c.shards = 0, 0
	}
	return c, nil
}
