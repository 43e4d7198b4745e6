package simtest

import (
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
	iexplore "github.com/moonpool-go/moonpool/internal/explore"
	"github.com/moonpool-go/moonpool/internal/sim"
)

func TestSimrecipeReplaysOneTimeline(t *testing.T) {
	c, err := resolve(false, flags{recipe: "42/10:7"}, nil)
	require.NoError(t, err)
	require.NotNil(t, c.recipe)
	assert.Equal(t, "42/10:7", c.recipe.String())
	assert.True(t, c.replaySet)
	assert.Equal(t, []uint64{42}, c.replays)
}

func TestSimrecipeRejectsBadInput(t *testing.T) {
	_, err := resolve(false, flags{recipe: "42/10"}, nil)
	assert.EqualError(t, err, `simtest: -simrecipe: explore: recipe "42/10": branch point 1, "10", is not draw:seed in decimal, such as 1034:99`)
	_, err = resolve(false, flags{recipe: "42/10:7", replays: []uint64{3}}, nil)
	assert.EqualError(t, err, "simtest: -simrecipe replays one timeline; drop -simseed, -simseeds and -simfresh")
}

func TestKeptRecipesRoundTrip(t *testing.T) {
	t.Chdir(t.TempDir())
	rec := explore.Recipe{Seed: 42}.Child(1034, 99).Child(2051, 7)
	path, wrote, err := keepRecipe("TestX", rec, 0, "it failed", "go test -simrecipe="+rec.String())
	require.NoError(t, err)
	assert.True(t, wrote)
	assert.Equal(t, "recipe-42_1034-99_2051-7", filepath.Base(path))
	_, wrote, err = keepRecipe("TestX", rec, 0, "it failed", "")
	require.NoError(t, err)
	assert.False(t, wrote, "a kept recipe is written once")
	got, err := keptRecipes("TestX")
	require.NoError(t, err)
	assert.Equal(t, []explore.Recipe{rec}, got)
	seeds, err := keptSeeds("TestX")
	require.NoError(t, err)
	assert.Empty(t, seeds, "plain Runs pass over kept recipes")
}

func TestABadKeptRecipeNamesItsFile(t *testing.T) {
	t.Chdir(t.TempDir())
	require.NoError(t, os.MkdirAll(keepPath("TestX"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(keepPath("TestX"), "recipe-42_10"), nil, 0o644))
	_, err := keptRecipes("TestX")
	assert.ErrorContains(t, err, "recipe-42_10: explore: recipe \"42/10\"")
	assert.ErrorContains(t, err, "delete the file")
}

func TestSimexploreExploresWithDefaults(t *testing.T) {
	c, err := resolve(false, flags{explore: true}, nil)
	require.NoError(t, err)
	require.NotNil(t, c.explore)
	assert.Equal(t, explore.Defaults(), *c.explore)

	own := explore.Defaults()
	own.Branches = 4
	c, err = resolve(false, flags{explore: true, budget: 100}, []Option{Explore(own)})
	require.NoError(t, err)
	own.Timelines = 100
	assert.Equal(t, own, *c.explore, "the Run's own Config, with the flag's budget")
}

func TestSimfaultmarksFollowsFaults(t *testing.T) {
	c, err := resolve(false, flags{explore: true, faultMarks: true}, nil)
	require.NoError(t, err)
	want := explore.Defaults()
	want.FaultMarks = true
	assert.Equal(t, want, *c.explore)
	_, err = resolve(false, flags{faultMarks: true}, nil)
	assert.EqualError(t, err, "simtest: -simfaultmarks makes an exploration branch where faults begin, and this Run does not explore; add -simexplore")
}

func TestSimtimelinesWantsAnExploration(t *testing.T) {
	_, err := resolve(false, flags{budget: 100}, nil)
	assert.EqualError(t, err, "simtest: -simtimelines sets an exploration's budget, and this Run does not explore; add -simexplore")
	var f timelinesFlag
	assert.EqualError(t, f.Set("0"), `-simtimelines wants a budget of timelines between 1 and 100000000, such as 10000; "0" is not one`)
	require.NoError(t, f.Set("500"))
	assert.Equal(t, "500", f.String())
}

// TestADeepKeptRecipeRoundTrips keeps a recipe as deep as the maze's
// failing timeline: written in a file name, it would pass the 255 bytes
// file systems take, and the failing timeline would not be kept.
func TestADeepKeptRecipeRoundTrips(t *testing.T) {
	t.Chdir(t.TempDir())
	rec := explore.Recipe{Seed: 12022735018023616522}
	for i := range 20 {
		rec = rec.Child(uint64(i+1), 18446744073709551615-uint64(i))
	}
	path, wrote, err := keepRecipe("TestX", rec, 0, "it failed", "go test -simrecipe="+rec.String())
	require.NoError(t, err)
	assert.True(t, wrote)
	assert.LessOrEqual(t, len(filepath.Base(path)), 255, "a file system takes the name")
	assert.True(t, strings.HasPrefix(filepath.Base(path), "recipe-12022735018023616522~"), path)
	_, wrote, err = keepRecipe("TestX", rec, 0, "it failed", "")
	require.NoError(t, err)
	assert.False(t, wrote, "a kept recipe is written once")

	short := explore.Recipe{Seed: 42}.Child(1034, 99)
	_, _, err = keepRecipe("TestX", short, 0, "it failed", "")
	require.NoError(t, err)
	got, err := keptRecipes("TestX")
	require.NoError(t, err)
	assert.ElementsMatch(t, []explore.Recipe{rec, short}, got)
}

func TestAHashedKeptRecipeWithoutItsLineNamesItsFile(t *testing.T) {
	t.Chdir(t.TempDir())
	require.NoError(t, os.MkdirAll(keepPath("TestX"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(keepPath("TestX"), "recipe-42~00ff"), []byte("# replay: x\n"), 0o644))
	_, err := keptRecipes("TestX")
	assert.ErrorContains(t, err, `recipe-42~00ff: its name is a hash and it holds no "# recipe: " line with the recipe; delete the file`)
}

// TestKeptTimelineLogsNameTheTest runs a failing exploration twice in a
// child test binary: the first keeps the failing timeline, the second
// runs it first. The log lines that say so name the test's line, as the
// Run's other lines do, not simtest's own.
func TestKeptTimelineLogsNameTheTest(t *testing.T) {
	if os.Getenv("SIMTEST_CHILD_KEPT") != "" {
		Run(t, func(s *S) {
			ctx, rnd := s.Context(), s.Providers().Random
			for _, msg := range []string{"first rare event", "second rare event"} {
				s.Sleep(time.Millisecond)
				hit := rnd.IntN(20) == 0
				assertions.Sometimes(ctx, hit, msg)
				if !hit {
					return
				}
			}
			s.Errorf("both rare events happened")
		}, Explore(explore.Defaults()), AllowGaps())
		return
	}
	dir := t.TempDir()
	run := func() string {
		out, err := childOutput(t, dir, "SIMTEST_CHILD_KEPT=1", "-test.run=^TestKeptTimelineLogsNameTheTest$")
		require.Error(t, err, "the exploration fails:\n%s", out)
		return out
	}
	first := run()
	assert.Regexp(t, `\n\s+explore_internal_test\.go:\d+: simtest: kept timeline \d+/`, first)
	again := run()
	assert.Regexp(t, `\n\s+explore_internal_test\.go:\d+: simtest: running 1 timeline kept from earlier failures first`, again)
	for _, out := range []string{first, again} {
		assert.NotRegexp(t, `\n\s+(explore_)?keep\.go:\d+:`, out)
	}
}

// TestAKeptRecipeThatPassesSaysWhy runs a passing exploring test in a
// child process over a kept recipe, as TestAKeptSeedThatPassesSaysWhy
// does over a kept seed: a file without a trace (an earlier version's),
// one with the trace the recipe still runs, one kept under a flag the
// child does not set, and one with another trace, which -simstrictkept
// makes fail the test.
func TestAKeptRecipeThatPassesSaysWhy(t *testing.T) {
	const name = "TestAKeptRecipeThatPassesSaysWhy"
	if os.Getenv("SIMTEST_KEPT_RECIPE_CHILD") != "" {
		cfg := explore.Defaults()
		cfg.Timelines = 2
		Run(t, func(s *S) {
			for range 10 {
				s.Providers().Random.IntN(2)
			}
		}, Explore(cfg))
		return
	}
	dir := t.TempDir()
	rec := explore.Recipe{Seed: 42}.Child(3, 5)
	path := filepath.Join(keepPath(name), recipeFile(rec))
	run := func(args ...string) (string, error) {
		return childOutput(t, dir, "SIMTEST_KEPT_RECIPE_CHILD=1", append([]string{"-test.run=^" + name + "$"}, args...)...)
	}
	keptUnder := func(trace uint64, flags ...string) {
		t.Helper()
		require.NoError(t, os.RemoveAll(filepath.Join(dir, keepDir)))
		line := strings.Join(append([]string{"go test -run '^" + name + "$' ./simtest", "-simrecipe=" + rec.String()}, flags...), " ")
		wd, _ := os.Getwd()
		require.NoError(t, os.Chdir(dir))
		_, _, err := keepRecipe(name, rec, trace, "it failed", line)
		require.NoError(t, os.Chdir(wd))
		require.NoError(t, err)
	}

	// A file an earlier version wrote, without a trace.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, keepPath(name)), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, path), nil, 0o644))
	out, err := run("-test.v")
	require.NoError(t, err, out)
	assert.Contains(t, out, "running 1 timeline kept from earlier failures first", out)
	assert.Contains(t, out, "simtest: kept timeline 42/3:5 passed; its file predates kept traces", out)
	m := regexp.MustCompile(`seed=42 trace=([0-9a-f]{16}) ok [^\n]*recipe=42/3:5`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	trace, err := strconv.ParseUint(m[1], 16, 64)
	require.NoError(t, err)

	keptUnder(trace, buildFlags()...)
	b, err := os.ReadFile(filepath.Join(dir, path))
	require.NoError(t, err)
	assert.Contains(t, string(b), fmt.Sprintf("\n# trace: %016x\n# recipe: 42/3:5\n", trace), "the file keeps the trace")
	out, err = run("-test.v")
	require.NoError(t, err, out)
	assert.Contains(t, out, "simtest: kept timeline 42/3:5 passed: once its bug is fixed, delete "+path, out)
	assert.NotContains(t, out, "no longer runs", out)

	keptUnder(trace, append([]string{"-planted"}, buildFlags()...)...)
	out, err = run("-test.v")
	require.NoError(t, err, out)
	assert.Contains(t, out, "simtest: kept timeline 42/3:5 passed, but it failed under other flags (-planted", out)
	// Kept under other flags, on whatever trace, it is only noted, even
	// under -simstrictkept, as README and debugging.md say: this run did
	// not run what failed.
	keptUnder(trace+1, append([]string{"-planted"}, buildFlags()...)...)
	out, err = run("-test.v", "-simstrictkept")
	require.NoError(t, err, out)
	assert.Contains(t, out, "simtest: kept timeline 42/3:5 passed, but it failed under other flags (-planted", out)

	keptUnder(trace+1, buildFlags()...)
	out, err = run("-test.v")
	require.NoError(t, err, out)
	assert.Contains(t, out, fmt.Sprintf("simtest: kept timeline 42/3:5 passed, but it no longer runs the execution that was kept (trace %016x; kept %016x)", trace, trace+1), out)
	strict, err := run("-simstrictkept")
	require.Error(t, err, "-simstrictkept fails the test: %s", strict)
	assert.Contains(t, strict, "once its bug is fixed, delete "+path+" and keep the bug's test as an assertion or a targeted test"+strictKeptNote, strict)
}

// TestASaturatedExplorationThatFailedInAChildSaysWhatItsMarksCost: when
// the failing timeline is a mark's child, found after the map stopped
// growing, the summary still counts the children since, the failing one
// last: the case where plain seeds may have got there sooner.
func TestASaturatedExplorationThatFailedInAChildSaysWhatItsMarksCost(t *testing.T) {
	e := &exploration{cfg: explore.Config{Timelines: 20000, Barren: 1}, rep: iexplore.Report{
		Timelines: 8840, Roots: 3000, Marks: 3, GrewAt: 17, QuietRoots: 2940,
		Failed: true, FailedFrom: 3, FoundAfter: 8840, Failure: explore.Recipe{Seed: 42}.Child(7, 9),
	}}
	got := e.summary(false, "")
	assert.Contains(t, got, "(saturated: nothing new in the 8823 timelines after, 2940 root seeds among them; "+
		"the other 5883 were children of marks, the last of them the one that failed, where plain seeds would have run 5883 root seeds more)", got)
	assert.Contains(t, got, "; timeline 8840 failed, a child of mark 3 at depth 1: recipe 42/7:9", got)
}

// TestTheMarkThatSpentMostAndFoundNothingIsNamed: the summary names, out
// of -v, the mark whose children took a quarter of all or more and found
// nothing, the step after it being the one they miss; not when a mark's
// child failed, nor for a mark that found something.
func TestTheMarkThatSpentMostAndFoundNothingIsNamed(t *testing.T) {
	rep := func(failedFrom int) iexplore.Report {
		return iexplore.Report{Timelines: 1400, Roots: 200, Marks: 3, GrewAt: 300, QuietRoots: 100, FailedFrom: failedFrom, Failed: failedFrom > 0,
			PerMark: []iexplore.MarkReport{
				{Parent: explore.Recipe{Seed: 7}, Timelines: 100, Found: 2},
				{Parent: explore.Recipe{Seed: 7}, From: 1, Timelines: 900, Found: 0},
				{Parent: explore.Recipe{Seed: 8}, Timelines: 200, Found: 0},
			}}
	}
	e := &exploration{cfg: explore.Config{Timelines: 4096}, rep: rep(0)}
	assert.Contains(t, e.summary(false, ""), "\nsimtest: mark 2 spent 900 timelines of the 1200 children and found nothing new: its children do not reach the step after it, "+
		"which draws before the mark settle or no assertion marks; place a Sometimes on what that step needs, or run plain seeds")
	e.rep = rep(3)
	assert.NotContains(t, e.summary(false, ""), "found nothing new", "a mark's child failed")
	e.rep = rep(0)
	e.rep.PerMark[1].Found = 1
	assert.NotContains(t, e.summary(false, ""), "found nothing new", "mark 3 took less than a quarter, and mark 2 found something")
}

// TestAFaultMarkNamesWhatTheFaultStruck: a mark's line words each kind of
// fault with what it struck, as the device told it.
func TestAFaultMarkNamesWhatTheFaultStruck(t *testing.T) {
	for _, c := range []struct {
		f    faultFound
		want string
	}{
		{faultFound{Fault: sim.Fault{Kind: "clog", On: "10.0.0.1", To: "10.0.0.3"}}, "clog 10.0.0.1 -> 10.0.0.3"},
		{faultFound{Fault: sim.Fault{Kind: "partition"}, strikes: "{10.0.0.1} | {10.0.0.2 10.0.0.3}"}, "partition {10.0.0.1} | {10.0.0.2 10.0.0.3}"},
		{faultFound{Fault: sim.Fault{Kind: "disk stall", On: "10.0.0.2"}}, "disk stall on 10.0.0.2"},
		{faultFound{Fault: sim.Fault{Kind: "sync failure", On: "10.0.0.2"}}, "sync failure on 10.0.0.2"},
		{faultFound{Fault: sim.Fault{Kind: "pause", On: "srv-0"}}, "pause of srv-0"},
		{faultFound{Fault: sim.Fault{Kind: "crash"}}, "crash"},
	} {
		assert.Equal(t, c.want, c.f.fault())
	}
}

// TestEveryMarkHintNamesSimvFalse: under go test -v with -simv=false the
// summary lists no mark, and its hint says why instead of naming -v.
func TestEveryMarkHintNamesSimvFalse(t *testing.T) {
	assert.Equal(t, "go test -v or -simv lists every mark", everyMarkHint(false, false))
	assert.Equal(t, "-simv=false lists no mark, even under go test -v; -simv lists every one", everyMarkHint(false, true))
	assert.Equal(t, "simtest.Verbose() lists every mark", everyMarkHint(true, false), "Simulate reads no flag")
}
