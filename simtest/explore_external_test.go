package simtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/simtest"
	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

// twoRare fails when two events of 1 in 50 happen one after the other,
// each a Sometimes for exploration to follow.
func twoRare(s *simtest.S) {
	ctx, rnd := s.Context(), s.Providers().Random
	for i := range 2 {
		s.Sleep(time.Millisecond)
		hit := rnd.IntN(50) == 0
		assertions.Sometimes(ctx, hit, []string{"first rare event", "second rare event"}[i])
		if !hit {
			return
		}
	}
	s.Errorf("both rare events happened")
}

func TestExploreFindsTwoRareEvents(t *testing.T) {
	res := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps())
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Contains(t, res.Report, "simtest: explored ")
	assert.Contains(t, res.Report, "both rare events happened")
	assert.Contains(t, res.Replay, "simtest.ReplayRecipe(")
	t.Logf("found after %d timelines", res.Seeds)
}

func TestExploreIsTheSameEveryTime(t *testing.T) {
	run := func() []simtest.SeedResult {
		return simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps()).PerSeed
	}
	if d := cmp.Diff(run(), run()); d != "" {
		t.Fatalf("two explorations differ (-first +second):\n%s", d)
	}
}

// TestASkippingTimelineIsNoFailure: a body that skips on a branch ends
// the Run as a skip, and the exploration's report says what is left of
// its budget, not that the timeline failed.
func TestASkippingTimelineIsNoFailure(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 200
	res := simtest.Simulate(func(s *simtest.S) {
		ctx, rnd := s.Context(), s.Providers().Random
		s.Sleep(time.Millisecond)
		hit := rnd.IntN(5) == 0
		assertions.Sometimes(ctx, hit, "a rare event")
		if hit {
			s.Sleep(time.Millisecond)
			if rnd.IntN(3) == 0 {
				s.Skip("the rare event needs a server this machine does not have")
			}
		}
	}, simtest.Explore(cfg), simtest.AllowGaps())
	require.True(t, res.Skipped, res.Report)
	require.Zero(t, res.Failed, res.Report)
	assert.Regexp(t, `branched at 1 mark\), .*; \d+ of the budget of 200 timelines left`, res.Report)
	assert.NotRegexp(t, `timeline \d+ failed`, res.Report)
}

func TestExploreRejectsABadConfig(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 0
	res := simtest.Simulate(twoRare, simtest.Explore(cfg))
	assert.False(t, res.OK())
	assert.Contains(t, res.Report, "simtest: Explore: explore: Timelines is 0; give a budget between 1 and")
}

func TestExploreWithNothingToFollowSaysSo(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 20
	res := simtest.Simulate(func(s *simtest.S) { s.Sleep(time.Second) }, simtest.Explore(cfg))
	require.True(t, res.OK(), res.Report)
	assert.Equal(t, 20, res.Seeds)
	assert.Contains(t, res.Report, "simtest: nothing to follow")
}

func TestABudgetOfOneTimeline(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 1
	res := simtest.Simulate(twoRare, simtest.Explore(cfg), simtest.AllowGaps())
	require.True(t, res.OK(), res.Report)
	assert.Equal(t, 1, res.Seeds)
	assert.Contains(t, res.Report, "simtest: explored 1 timeline (1 root seed, 0 branched at 0 marks)")
	assert.Contains(t, res.Report, "; the budget of 1 timeline is spent")
}

// TestExploreWithProgressOnlyAtTheEndSaysSo: each run's one discovery
// comes after its last draw, which no child can branch from; the report
// says why nothing was branched.
func TestExploreWithProgressOnlyAtTheEndSaysSo(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 50
	res := simtest.Simulate(func(s *simtest.S) {
		hit := s.Providers().Random.IntN(5) == 0
		s.Sleep(time.Second)
		assertions.Sometimes(s.Context(), hit, "a rare event, checked at the end")
	}, simtest.Explore(cfg), simtest.AllowGaps())
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, "(50 root seeds, 0 branched at 0 marks), 1 discovery covered")
	assert.Contains(t, res.Report, "simtest: nothing to branch: every discovery came after its run's last draw")
	assert.NotContains(t, res.Report, "nothing to follow")
}

func TestReplayRecipeThatDoesNotFit(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) { s.Providers().Random.IntN(2) }, simtest.ReplayRecipe("1/500:2"))
	assert.False(t, res.OK())
	assert.Contains(t, res.Report, "simtest: -simrecipe=1/500:2 branches at draw 500 (counting from 0), but the run made only 1 draw;")
}

// TestReplayRecipeBranchingAtTheRunsEndDoesNotFit: draws count from 0, so
// a run of n draws has no draw n; a recipe that branches there would
// replay the root seed's run under the recipe's name.
func TestReplayRecipeBranchingAtTheRunsEndDoesNotFit(t *testing.T) {
	body := func(s *simtest.S) {
		s.Providers().Random.IntN(2)
		s.Sleep(time.Millisecond)
		s.Providers().Random.IntN(2)
	}
	far := simtest.Simulate(body, simtest.ReplayRecipe("1/1000000:2"))
	m := regexp.MustCompile(`the run made only (\d+) draws`).FindStringSubmatch(far.Report)
	require.NotNil(t, m, far.Report)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	require.Positive(t, n)

	at := simtest.Simulate(body, simtest.ReplayRecipe(fmt.Sprintf("1/%d:2", n)))
	assert.False(t, at.OK(), "a branch at draw %d of a run of %d draws:\n%s", n, n, at.Report)
	assert.Contains(t, at.Report, fmt.Sprintf("branches at draw %d (counting from 0), but the run made only %d draws", n, n))
	last := simtest.Simulate(body, simtest.ReplayRecipe(fmt.Sprintf("1/%d:2", n-1)))
	assert.True(t, last.OK(), "a branch at the run's last draw fits:\n%s", last.Report)
}

func TestReplayRecipeRejectsBadText(t *testing.T) {
	res := simtest.Simulate(twoRare, simtest.ReplayRecipe("seven"))
	assert.False(t, res.OK())
	assert.Contains(t, res.Report, `simtest: ReplayRecipe: explore: recipe "seven" does not start with a decimal root seed`)
}

// TestExploringRunRunsKeptRecipesFirst keeps a failing timeline where a
// test keeps its seeds: the next exploring Run of the test runs it first
// and fails on it at once.
func TestExploringRunRunsKeptRecipesFirst(t *testing.T) {
	found := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps())
	rec, ok := strings.CutPrefix(found.Replay, "simtest.ReplayRecipe(")
	require.True(t, ok, found.Replay)
	rec, err := strconv.Unquote(strings.TrimSuffix(rec, ")"))
	require.NoError(t, err)

	t.Chdir(t.TempDir())
	dir := filepath.Join("testdata", "simtest", "TestKeptRecipe")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	name := "recipe-" + strings.NewReplacer("/", "_", ":", "-").Replace(rec)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	r := runIn("TestKeptRecipe", func(r *recorder) {
		simtest.Run(r, twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps())
	})
	out := r.output()
	require.True(t, r.failed, out)
	assert.Contains(t, out, "running 1 timeline kept from earlier failures first")
	assert.Contains(t, out, "1 seed, 0 passed, 1 failed")
	assert.Contains(t, out, "a kept timeline failed, so the exploration did not start")
	assert.Contains(t, out, "-simrecipe="+rec)
}

// TestAKeptRecipeThatNoLongerFitsFailsTheTest keeps a timeline that
// branches past the end of the test's runs, as one kept before the test
// changed would: its run is the root seed's, and it guards nothing. The
// exploration goes on, and the test fails naming the file to delete.
func TestAKeptRecipeThatNoLongerFitsFailsTheTest(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := filepath.Join("testdata", "simtest", "TestStaleRecipe")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "recipe-42_1000000-5"), nil, 0o644))
	cfg := explore.Defaults()
	cfg.Timelines = 20
	r := runIn("TestStaleRecipe", func(r *recorder) {
		simtest.Run(r, twoRare, simtest.Explore(cfg), simtest.AllowGaps())
	})
	out := r.output()
	assert.True(t, r.failed, out)
	assert.Contains(t, out, "simtest: the kept timeline 42/1000000:5 branches at draw 1000000 (counting from 0), but its run made only ")
	assert.Contains(t, out, "delete "+filepath.Join(dir, "recipe-42_1000000-5"))
	assert.Contains(t, out, "simtest: explored 21 timelines (1 kept from earlier failures, ", "the exploration went on, after the kept timeline")
}

// TestAKeptRootSeedRunsOnce keeps the exploration's first root seed: it
// runs first, as kept seeds do, and the roots pass over it after, as a
// plain Run's seeds pass over the kept ones.
func TestAKeptRootSeedRunsOnce(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg := explore.Defaults()
	cfg.Timelines = 5
	body := func(s *simtest.S) { s.Sleep(time.Millisecond) }
	explored := func() (string, []string) {
		r := runIn("TestKeptRoot", func(r *recorder) { simtest.Run(r, body, simtest.Explore(cfg), simtest.Verbose()) })
		out := r.output()
		require.False(t, r.failed, out)
		return out, regexp.MustCompile(`seed=\d+ trace=[0-9a-f]+`).FindAllString(out, -1)
	}
	_, first := explored()
	require.Len(t, first, 5)
	seed := strings.TrimPrefix(strings.Fields(first[0])[0], "seed=")
	dir := filepath.Join("testdata", "simtest", "TestKeptRoot")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, seed), nil, 0o644))

	out, again := explored()
	assert.Contains(t, out, "running 1 timeline kept from earlier failures first")
	assert.Equal(t, first[0], again[0], "the kept seed runs first")
	assert.Equal(t, 1, strings.Count(out, first[0]+" "), "and once:\n%s", out)
	assert.Len(t, again, 6, "the kept seed, and a budget of 5 timelines")
}

// TestAKeptTimelineThatSkipsSaysSo: a kept seed whose run now skips (the
// test changed since it failed) stops the Run before it explores, and
// the report says it skipped, not that it failed.
func TestAKeptTimelineThatSkipsSaysSo(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := filepath.Join("testdata", "simtest", "TestKeptSkip")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "42"), nil, 0o644))
	r := runIn("TestKeptSkip", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { s.Skip("no server here") }, simtest.Explore(explore.Defaults()))
	})
	out := r.output()
	assert.True(t, r.skipped, out)
	assert.False(t, r.failed, out)
	assert.Contains(t, out, "a kept timeline skipped the test, so the exploration did not start")
}

// TestJSONReportHitsReplayWhereTheyHappened checks the replay of each
// assertion's first hit in the JSON report: outside go test it is the
// option, not a go test command; in a timeline that branched from its
// seed it is the timeline's recipe, since the seed alone does not get
// there.
func TestJSONReportHitsReplayWhereTheyHappened(t *testing.T) {
	type hit struct {
		Seed   uint64 `json:"seed"`
		Replay string `json:"replay"`
	}
	hits := func(path string) map[string]hit {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var rep struct {
			Assertions []struct {
				Message   string `json:"message"`
				FirstPass *hit   `json:"first_pass"`
			} `json:"assertions"`
		}
		require.NoError(t, json.Unmarshal(b, &rep))
		out := map[string]hit{}
		for _, a := range rep.Assertions {
			if a.FirstPass != nil {
				out[a.Message] = *a.FirstPass
			}
		}
		return out
	}

	path := filepath.Join(t.TempDir(), "report.json")
	res := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.JSONReport(path))
	require.Equal(t, 1, res.Failed, res.Report)
	require.Contains(t, res.Replay, "simtest.ReplayRecipe(")
	got := hits(path)
	// The second rare event held only in the timeline that failed.
	assert.Equal(t, res.Replay, got["second rare event"].Replay)
	first := got["first rare event"]
	assert.Equal(t, fmt.Sprintf("simtest.Replay(%d)", first.Seed), first.Replay, "a root seed's hit")

	path = filepath.Join(t.TempDir(), "plain.json")
	res = simtest.Simulate(twoRare, simtest.Seeds(300), simtest.KeepGoing(), simtest.AllowGaps(), simtest.JSONReport(path))
	first = hits(path)["first rare event"]
	require.NotZero(t, first.Seed, res.Report)
	assert.Equal(t, fmt.Sprintf("simtest.Replay(%d)", first.Seed), first.Replay)
}

func TestExplorationInTheJSONReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	res := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.JSONReport(path))
	require.Equal(t, 1, res.Failed, res.Report)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Exploration struct {
			Timelines  int    `json:"timelines"`
			Budget     int    `json:"budget"`
			Left       int    `json:"budget_left"`
			Failing    string `json:"failing_recipe"`
			Progressed bool   `json:"had_progress_to_follow"`
			Roots      int    `json:"root_seeds"`
			Marks      int    `json:"marks"`
			Spent      int    `json:"energy_spent"`
			EnergyLeft int    `json:"energy_left"`
			GrewAt     int    `json:"coverage_last_grew_at"`
			PerMark    []struct {
				Parent    string `json:"parent_recipe"`
				From      int    `json:"from_mark"`
				Depth     int    `json:"depth"`
				Timelines int    `json:"timelines"`
			} `json:"per_mark"`
		} `json:"exploration"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, res.Seeds, rep.Exploration.Timelines)
	assert.Equal(t, explore.Defaults().Timelines-res.Seeds, rep.Exploration.Left)
	assert.Contains(t, res.Replay, rep.Exploration.Failing)
	assert.True(t, rep.Exploration.Progressed)

	ex := rep.Exploration
	assert.Equal(t, ex.Timelines-ex.Roots, ex.Spent, "every branch is energy spent")
	require.Len(t, ex.PerMark, ex.Marks)
	spent := 0
	for _, m := range ex.PerMark {
		spent += m.Timelines
		assert.NotEmpty(t, m.Parent)
	}
	assert.Equal(t, ex.Spent, spent, "the marks' children are the energy spent")
	assert.Positive(t, ex.EnergyLeft)
	assert.Equal(t, ex.Timelines, ex.GrewAt, "the failing timeline grew the coverage map")
}

func TestVerboseExplorationListsEveryMark(t *testing.T) {
	res := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.Verbose())
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Contains(t, res.Report, "simtest: energy: ")
	assert.Regexp(t, `mark 1: depth 1, at draw \d+ of root seed \d+: \d+ timelines?, 1 discovery`, res.Report)
	quiet := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps())
	assert.Contains(t, quiet.Report, "; simtest.Verbose() lists every mark", "Simulate reads no flag of go test")
	assert.NotContains(t, quiet.Report, "-simv")
	assert.NotContains(t, quiet.Report, "mark 1:")
}

// TestExplorationIsTheSameOnAnyNumberOfWorkers runs an exploration on 1, 2
// and 4 workers: the same timelines with the same traces, the same
// failure and replay, the same assertion table and the same exploration
// report, whatever runs at once.
func TestExplorationIsTheSameOnAnyNumberOfWorkers(t *testing.T) {
	type run struct {
		PerSeed     []simtest.SeedResult
		Replay      string
		Exploration json.RawMessage
		Assertions  json.RawMessage
	}
	explored := func(workers int) run {
		path := filepath.Join(t.TempDir(), "report.json")
		res := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps(),
			simtest.Workers(workers), simtest.JSONReport(path))
		require.Equal(t, 1, res.Failed, res.Report)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var rep struct {
			Exploration json.RawMessage `json:"exploration"`
			Assertions  json.RawMessage `json:"assertions"`
		}
		require.NoError(t, json.Unmarshal(b, &rep))
		require.NotEmpty(t, rep.Exploration)
		return run{res.PerSeed, res.Replay, rep.Exploration, rep.Assertions}
	}
	one := explored(1)
	for _, n := range []int{2, 4} {
		if d := cmp.Diff(one, explored(n)); d != "" {
			t.Errorf("the exploration on %d workers differs from one worker's (-1 +%d):\n%s", n, n, d)
		}
	}
}

// TestExplorationRunsABatchAtOnce sees two timelines of a batch running
// at the same time on 2 workers. Each timeline waits a while (in real
// time, outside the simulation) for another to start; one at a time, none
// ever does.
func TestExplorationRunsABatchAtOnce(t *testing.T) {
	var running, peak atomic.Int64
	body := func(s *simtest.S) {
		n := running.Add(1)
		defer running.Add(-1)
		for i := 0; n < 2 && i < 10_000; i++ {
			runtime.Gosched()
			n = running.Load()
		}
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		twoRare(s)
	}
	res := simtest.Simulate(body, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.Workers(2))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Equal(t, int64(2), peak.Load(), "two timelines ran at once")
}

// TestSiblingTimelinesHaveTheirOwnTraceIDs: children of one mark often
// run the same steps and differ only in what they drew, which the trace
// hash does not cover; the recipe folded into a branched timeline's
// trace id tells them apart, and its replay gives the same id.
func TestSiblingTimelinesHaveTheirOwnTraceIDs(t *testing.T) {
	res := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps())
	require.Equal(t, 1, res.Failed, res.Report)
	type id struct{ seed, trace uint64 }
	seen := make(map[id]int)
	for i, sr := range res.PerSeed {
		if j, ok := seen[id{sr.Seed, sr.Trace}]; ok {
			t.Fatalf("timelines %d and %d of seed %d have one trace id %016x", j+1, i+1, sr.Seed, sr.Trace)
		}
		seen[id{sr.Seed, sr.Trace}] = i
	}
	rec, ok := strings.CutPrefix(res.Replay, "simtest.ReplayRecipe(")
	require.True(t, ok, res.Replay)
	rec, err := strconv.Unquote(strings.TrimSuffix(rec, ")"))
	require.NoError(t, err)
	again := simtest.Simulate(twoRare, simtest.ReplayRecipe(rec), simtest.AllowGaps())
	require.Equal(t, 1, again.Failed, again.Report)
	assert.Equal(t, res.PerSeed[len(res.PerSeed)-1].Trace, again.PerSeed[0].Trace)

	plain := simtest.Simulate(twoRare, simtest.Replay(res.PerSeed[0].Seed), simtest.AllowGaps())
	assert.Equal(t, res.PerSeed[0].Trace, plain.PerSeed[0].Trace, "a root seed's trace id is its plain trace hash")
}

// BenchmarkExploreWorkers explores a body of a few hundred steps per
// timeline on 1 and 2 workers: the same timelines, the wall time shared.
func BenchmarkExploreWorkers(b *testing.B) {
	body := func(s *simtest.S) {
		for range 300 {
			s.Sleep(time.Millisecond)
		}
		twoRare(s)
	}
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			var timelines int
			for b.Loop() {
				res := simtest.Simulate(body, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.Workers(n))
				timelines = res.Seeds
			}
			b.ReportMetric(float64(timelines), "timelines")
		})
	}
}

func TestASaturatedExplorationSaysSo(t *testing.T) {
	// One rare event of 1 in 5 and no bug: the map stops growing early.
	body := func(s *simtest.S) {
		s.Sleep(time.Millisecond)
		assertions.Sometimes(s.Context(), s.Providers().Random.IntN(5) == 0, "a rare event")
		s.Sleep(time.Millisecond)
	}
	cfg := explore.Defaults()
	cfg.Timelines = 200
	res := simtest.Simulate(body, simtest.Explore(cfg), simtest.AllowGaps())
	require.True(t, res.OK(), res.Report)
	assert.Regexp(t, `coverage last grew at timeline \d+ \(saturated: nothing new in the 1\d\d timelines after, 1\d\d root seeds among them\)`, res.Report)
}

// TestASaturatedExplorationSaysWhatItsMarksCost: every run makes the same
// three discoveries, which lead nowhere. The summary counts the children
// the barren marks had since the map last grew, as many root seeds as
// plain seeds would have run in their place.
func TestASaturatedExplorationSaysWhatItsMarksCost(t *testing.T) {
	body := func(s *simtest.S) {
		for _, msg := range []string{"first", "second", "third"} {
			s.Providers().Random.IntN(10)
			assertions.Sometimes(s.Context(), true, msg)
		}
		s.Providers().Random.IntN(10)
	}
	cfg := explore.Defaults()
	cfg.Timelines = 1000
	path := filepath.Join(t.TempDir(), "report.json")
	res := simtest.Simulate(body, simtest.Explore(cfg), simtest.AllowGaps(), simtest.JSONReport(path))
	require.True(t, res.OK(), res.Report)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Exploration struct {
			Quiet      int  `json:"timelines_after_last_growth"`
			QuietRoots int  `json:"root_seeds_after_last_growth"`
			Saturated  bool `json:"saturated"`
		} `json:"exploration"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	require.True(t, rep.Exploration.Saturated, res.Report)
	children := rep.Exploration.Quiet - rep.Exploration.QuietRoots
	require.Positive(t, children)
	assert.Contains(t, res.Report, fmt.Sprintf("(saturated: nothing new in the %d timelines after, %d root seeds among them; the other %d were children of marks that found nothing, where plain seeds would have run %d root seeds more)",
		rep.Exploration.Quiet, rep.Exploration.QuietRoots, children, children))
}

// TestManyMarksOfOneRootSuggestCoverageOnly: a workload whose coverage
// assertions every run reaches makes its marks in the first root seed's
// run; the summary names them, and how to take them out of the marks.
// Named so, they make none, and the summary says nothing of them.
func TestManyMarksOfOneRootSuggestCoverageOnly(t *testing.T) {
	steps := []string{"a put served", "a get served", "a leader elected", "a snapshot taken", "a follower caught up", "a lease renewed"}
	body := func(s *simtest.S) {
		for _, msg := range steps {
			s.Providers().Random.IntN(10)
			assertions.Sometimes(s.Context(), true, msg)
		}
		s.Providers().Random.IntN(10)
	}
	cfg := explore.Defaults()
	cfg.Timelines = 100
	res := simtest.Simulate(body, simtest.Explore(cfg), simtest.AllowGaps())
	require.True(t, res.OK(), res.Report)
	assert.Regexp(t, `\nsimtest: root seed \d+ made 6 of the 6 marks in its own run, at 6 assertions; if they are coverage \(what every run reaches\) rather than steps toward the bug, `+
		`name them so that they make no marks: cfg.CoverageOnly = \[\]string\{"a put served", "a get served", "a leader elected", "a snapshot taken", "a follower caught up", "a lease renewed"\}(\n|$)`, res.Report)

	cfg.CoverageOnly = steps
	res = simtest.Simulate(body, simtest.Explore(cfg), simtest.AllowGaps())
	require.True(t, res.OK(), res.Report)
	assert.NotContains(t, res.Report, "cfg.CoverageOnly")
	assert.Contains(t, res.Report, "branched at 0 marks")
}

// TestMarksOfAWatermarkSuggestNoCoverageOnly: marks a watermark made, a
// step toward its threshold each, are no coverage, and CoverageOnly would
// not take them out: the summary suggests nothing for the one Sometimes
// among them.
func TestMarksOfAWatermarkSuggestNoCoverageOnly(t *testing.T) {
	body := func(s *simtest.S) {
		assertions.Sometimes(s.Context(), true, "a payment was answered")
		for _, msg := range []string{"an attempt outlasted the timeout", "a queue outgrew its bound", "a lease outlived its term", "a retry outran its budget", "a log outgrew its segment"} {
			s.Providers().Random.IntN(10)
			assertions.SometimesGreaterThan(s.Context(), 900, 1000, msg)
		}
		s.Providers().Random.IntN(10)
	}
	cfg := explore.Defaults()
	cfg.Timelines = 100
	res := simtest.Simulate(body, simtest.Explore(cfg), simtest.AllowGaps())
	require.True(t, res.OK(), res.Report)
	require.Regexp(t, `branched at [5-9] marks`, res.Report)
	assert.NotContains(t, res.Report, "cfg.CoverageOnly", res.Report)
}

// onceAMark makes a discovery in every run, midway: the first root seed's
// run marks it, and no other timeline finds anything new.
func onceAMark(s *simtest.S) {
	s.Sleep(time.Millisecond)
	assertions.Sometimes(s.Context(), true, "midway")
	s.Providers().Random.IntN(10)
	s.Sleep(time.Millisecond)
}

// TestAMarksChildrenAloneAreNoSaturation: when coverage stops growing
// while only a mark's children run, no fresh root seed has been tried,
// and the report does not call the exploration saturated.
func TestAMarksChildrenAloneAreNoSaturation(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 40
	path := filepath.Join(t.TempDir(), "report.json")
	res := simtest.Simulate(onceAMark, simtest.Explore(cfg), simtest.AllowGaps(), simtest.JSONReport(path))
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, "explored 40 timelines (1 root seed, 39 branched at 1 mark)")
	assert.Contains(t, res.Report, "coverage last grew at timeline 1 (nothing new in the 39 timelines after, and no root seed among them: not saturated)")
	assert.NotContains(t, res.Report, "saturated:")

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Exploration struct {
			Quiet      int  `json:"timelines_after_last_growth"`
			QuietRoots int  `json:"root_seeds_after_last_growth"`
			Saturated  bool `json:"saturated"`
		} `json:"exploration"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, 39, rep.Exploration.Quiet)
	assert.Zero(t, rep.Exploration.QuietRoots)
	assert.False(t, rep.Exploration.Saturated)
}

// TestTheSeedListTellsTimelinesApart: the timelines of one root seed are
// lines of the report's seed list with the same seed; each branched one
// ends with its recipe, which replays that line.
func TestTheSeedListTellsTimelinesApart(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 40
	res := simtest.Simulate(onceAMark, simtest.Explore(cfg), simtest.AllowGaps())
	require.True(t, res.OK(), res.Report)
	lines := regexp.MustCompile(`seed=\d+ trace=[0-9a-f]+ ok .*`).FindAllString(res.Report, -1)
	require.Len(t, lines, 6, "the first three and the last three:\n%s", res.Report)
	seeds := map[string]bool{}
	for i, l := range lines {
		seeds[strings.Fields(l)[0]] = true
		assert.NotContains(t, lines[:i], l, "each line tells its timeline apart")
		if i == 0 {
			assert.NotContains(t, l, "recipe=", "the root seed is a plain seed's line")
			continue
		}
		_, recipe, ok := strings.Cut(l, " recipe=")
		require.True(t, ok, "a branched timeline's line ends with its recipe: %s", l)
		again := simtest.Simulate(onceAMark, simtest.ReplayRecipe(recipe), simtest.AllowGaps())
		require.True(t, again.OK(), again.Report)
		assert.Contains(t, again.Report, l, "the recipe replays the line")
	}
	assert.Len(t, seeds, 1, "every timeline is of the one root seed")
}

// TestALateErrorNamesTheTimelineOfItsS reports through the S of an
// exploration's run after that run ended: the failure names the run the
// S was of, and replays it, not the timeline committed last. The S of
// the root seed that first met the rare event errs two runs later, once
// the first of its mark's children has been committed; so does the S of
// that child, a timeline of the same seed.
func TestALateErrorNamesTheTimelineOfItsS(t *testing.T) {
	var root uint64
	var kept [2]*simtest.S
	runs, keptAt := 0, [2]int{}
	body := func(s *simtest.S) {
		runs++
		for i, k := range kept {
			if k != nil && runs == keptAt[i]+2 {
				k.Errorf("late error %d", i)
			}
		}
		ctx, rnd := s.Context(), s.Providers().Random
		s.Sleep(time.Millisecond)
		hit := rnd.IntN(10) == 0
		assertions.Sometimes(ctx, hit, "a rare event")
		switch {
		case !hit:
		case root == 0:
			root, kept[0], keptAt[0] = s.Seed(), s, runs
		case kept[1] == nil && s.Seed() == root:
			kept[1], keptAt[1] = s, runs
		}
		s.Sleep(time.Millisecond)
		rnd.IntN(2) // draws after the event, for its children to draw afresh
	}
	cfg := explore.Defaults()
	cfg.Timelines = 100
	res := simtest.Simulate(body, simtest.Explore(cfg), simtest.AllowGaps())
	require.NotZero(t, root)
	require.NotNil(t, kept[1], "a child of the root's mark met the rare event, as its prefix did")
	seed := strconv.FormatUint(root, 10)
	assert.Contains(t, res.Report, "an error was reported to the S of seed "+seed+" after the seed ended")
	assert.Regexp(t, `late error 0\n\s+replay: simtest\.Replay\(`+seed+`\)\n`, res.Report)
	assert.Regexp(t, `an error was reported to the S of timeline `+seed+`/\d+:\d+ after the seed ended`, res.Report)
	assert.Regexp(t, `late error 1\n\s+replay: simtest\.ReplayRecipe\("`+seed+`/\d+:\d+"\)\n`, res.Report)
}

// TestTheEnergyLineCountsMarksAndCuts has one mark, found by the first
// root, and nothing beneath it: the mark is cut, revived when the roots
// find nothing either, and cut again. The energy line counts one mark
// cut as barren, and the times it was.
func TestTheEnergyLineCountsMarksAndCuts(t *testing.T) {
	body := func(s *simtest.S) {
		ctx, rnd := s.Context(), s.Providers().Random
		s.Sleep(time.Millisecond)
		assertions.Sometimes(ctx, rnd.IntN(2) == 0, "a coin comes up heads")
		s.Sleep(time.Millisecond)
		rnd.IntN(2)
	}
	cfg := explore.Defaults()
	cfg.Timelines = 1000
	res := simtest.Simulate(body, simtest.Explore(cfg), simtest.AllowGaps(), simtest.Verbose())
	require.True(t, res.OK(), res.Report)
	require.Contains(t, res.Report, "branched at 1 mark)", "one mark")
	m := regexp.MustCompile(`mark 1: .*, cut (\d+) times`).FindStringSubmatch(res.Report)
	require.NotNil(t, m, "the mark was cut more than once:\n%s", res.Report)
	assert.Contains(t, res.Report, "; 1 mark cut as barren "+m[1]+" times, ")
}

// TestALateStrayNamesItsTimeline has a goroutine of no simulation call
// into the worlds of two timelines of one root seed after each ended: the
// root's run, which first met the rare event, and its mark's first
// child. Each fails the test once, naming its own run and replay.
func TestALateStrayNamesItsTimeline(t *testing.T) {
	var root uint64
	var late [2]func()
	runs, lateAt := 0, [2]int{}
	body := func(s *simtest.S) {
		runs++
		for i, f := range late {
			if f != nil && runs == lateAt[i]+2 {
				goAndWait(f)
			}
		}
		ctx, p := s.Context(), s.Providers()
		s.Sleep(time.Millisecond)
		hit := p.Random.IntN(10) == 0
		assertions.Sometimes(ctx, hit, "a rare event")
		stray := func() { _ = p.Time.Sleep(context.Background(), time.Second) }
		switch {
		case !hit:
		case root == 0:
			root, late[0], lateAt[0] = s.Seed(), stray, runs
		case late[1] == nil && s.Seed() == root:
			late[1], lateAt[1] = stray, runs
		}
		s.Sleep(time.Millisecond)
		p.Random.IntN(2) // draws after the event, for its children to draw afresh
	}
	cfg := explore.Defaults()
	cfg.Timelines = 100
	res := simtest.Simulate(body, simtest.Explore(cfg), simtest.AllowGaps())
	require.NotNil(t, late[1], "a child of the root's mark met the rare event, as its prefix did")
	seed := strconv.FormatUint(root, 10)
	assert.Regexp(t, `simtest: seed `+seed+` failed after it ended: .*\n\s+replay: simtest\.Replay\(`+seed+`\)\n`, res.Report)
	assert.Regexp(t, `simtest: timeline `+seed+`/\d+:\d+ failed after it ended: .*\n\s+replay: simtest\.ReplayRecipe\("`+seed+`/\d+:\d+"\)\n`, res.Report)
}

// TestAFailingTimelinesFilesNameItsRecipe: the timeline file and the HTML
// timeline of a failing branched timeline name its recipe, which replays
// it, not only its root seed, which does not.
func TestAFailingTimelinesFilesNameItsRecipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.jsonl")
	var doc *timelinehtml.Doc
	res := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps(),
		simtest.TimelineFile(path), simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	require.Equal(t, 1, res.Failed, res.Report)
	q, ok := strings.CutPrefix(res.Replay, "simtest.ReplayRecipe(")
	require.True(t, ok, res.Replay)
	rec, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
	require.NoError(t, err)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	first, _, _ := strings.Cut(string(b), "\n")
	var entry struct {
		Seed   uint64 `json:"seed"`
		Recipe string `json:"recipe"`
	}
	require.NoError(t, json.Unmarshal([]byte(first), &entry))
	assert.Equal(t, rec, entry.Recipe)
	assert.Equal(t, res.FirstFailing, entry.Seed)

	require.NotNil(t, doc)
	assert.Equal(t, "Simulate, timeline "+rec, doc.Title)
	assert.Equal(t, res.Replay, doc.Replay)
}

// TestEveryTimelineIsALineWithItsRecipe: the results file has a line per
// timeline, a branched one with its recipe, so that each line names the
// run it was and no two are the same.
func TestEveryTimelineIsALineWithItsRecipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	res := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.ResultsFile(path))
	require.Equal(t, 1, res.Failed, res.Report)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	type line struct {
		Seed   uint64 `json:"seed"`
		Recipe string `json:"recipe"`
	}
	var lines []line
	for _, text := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(text, `{"summary"`) {
			continue
		}
		var l line
		require.NoError(t, json.Unmarshal([]byte(text), &l))
		lines = append(lines, l)
	}
	require.Len(t, lines, res.Seeds)
	seen := map[line]bool{}
	branched := 0
	for i, l := range lines {
		assert.False(t, seen[l], "line %d names a run already named: %+v", i+1, l)
		seen[l] = true
		assert.Equal(t, res.PerSeed[i].Recipe, l.Recipe)
		if l.Recipe != "" {
			branched++
			rec, err := explore.ParseRecipe(l.Recipe)
			require.NoError(t, err)
			assert.Equal(t, l.Seed, rec.Seed)
			assert.Positive(t, rec.Depth())
		}
	}
	assert.Positive(t, branched)
	last := lines[len(lines)-1]
	assert.Equal(t, fmt.Sprintf("simtest.ReplayRecipe(%q)", last.Recipe), res.Replay, "the failing timeline's line")

	// A merge of the results lists the timelines as the Run did.
	sweep, err := simtest.MergeResults(path)
	require.NoError(t, err)
	assert.Contains(t, sweep.String(), " recipe="+last.Recipe+"\n", "the merged seed list ends the last timeline's line with its recipe")
}

// TestKeptTimelinesCountAmongTheTimelines: the timelines kept from
// earlier failures run first, and the exploration's report counts them
// with the roots and branches, so that its timelines are the Run's seeds,
// whether a kept one stops the Run or the exploration goes on after them.
func TestKeptTimelinesCountAmongTheTimelines(t *testing.T) {
	type exploration struct {
		Timelines int    `json:"timelines"`
		Kept      int    `json:"kept_timelines"`
		Roots     int    `json:"root_seeds"`
		Spent     int    `json:"energy_spent"`
		Left      int    `json:"budget_left"`
		Failed    string `json:"failing_recipe"`
		FoundAt   int    `json:"failing_timeline"`
	}
	report := func() (int, exploration) {
		b, err := os.ReadFile("report.json")
		require.NoError(t, err)
		var rep struct {
			Seeds       int          `json:"seeds"`
			Exploration *exploration `json:"exploration"`
		}
		require.NoError(t, json.Unmarshal(b, &rep), string(b))
		require.NotNil(t, rep.Exploration, string(b))
		return rep.Seeds, *rep.Exploration
	}

	found := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps())
	rec, ok := strings.CutPrefix(found.Replay, "simtest.ReplayRecipe(")
	require.True(t, ok, found.Replay)
	rec, err := strconv.Unquote(strings.TrimSuffix(rec, ")"))
	require.NoError(t, err)

	t.Chdir(t.TempDir())
	dir := filepath.Join("testdata", "simtest", "TestKeptCount")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "recipe-"+strings.NewReplacer("/", "_", ":", "-").Replace(rec)), nil, 0o644))
	r := runIn("TestKeptCount", func(r *recorder) {
		simtest.Run(r, twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.JSONReport("report.json"))
	})
	out := r.output()
	require.True(t, r.failed, out)
	assert.Contains(t, out, "simtest: explored 1 timeline (1 kept from earlier failures, 0 root seeds, 0 branched at 0 marks)")
	assert.Contains(t, out, "a kept timeline failed, so the exploration did not start: timeline 1, recipe "+rec)
	seeds, exp := report()
	assert.Equal(t, 1, seeds)
	assert.Equal(t, exploration{Timelines: 1, Kept: 1, Left: explore.Defaults().Timelines, Failed: rec, FoundAt: 1}, exp)

	// A kept seed that passes now: the exploration goes on after it.
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "42"), nil, 0o644))
	// Else this Run's report would go beside the first's, which it keeps.
	require.NoError(t, os.Remove("report.json"))
	cfg := explore.Defaults()
	cfg.Timelines = 20
	r = runIn("TestKeptCount", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { s.Sleep(time.Millisecond) }, simtest.Explore(cfg), simtest.JSONReport("report.json"))
	})
	out = r.output()
	require.False(t, r.failed, out)
	assert.Contains(t, out, "simtest: explored 21 timelines (1 kept from earlier failures, 20 root seeds, 0 branched at 0 marks)")
	seeds, exp = report()
	assert.Equal(t, 21, seeds)
	assert.Equal(t, exploration{Timelines: 21, Kept: 1, Roots: 20}, exp, "the kept seed spends none of the budget")
}

// TestEachMarkNamesWhatItFollows: a mark is made at a discovery, and the
// verbose report and the JSON report name the assertion whose progress
// made it, with the progress (a bucket) when there is more to say than
// that it came true.
func TestEachMarkNamesWhatItFollows(t *testing.T) {
	res := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.Verbose())
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Regexp(t, `mark 1: depth 1, at draw \d+ of root seed \d+: [^\n]*; follows Sometimes "first rare event" \(explore_external_test\.go:\d+\)(\n|$)`, res.Report)

	// A SometimesEach's first bucket is also its first true: the mark
	// names it once, by the bucket.
	steps := func(s *simtest.S) {
		ctx, rnd := s.Context(), s.Providers().Random
		for step := range 3 {
			s.Sleep(time.Millisecond)
			if rnd.IntN(4) != 0 {
				return
			}
			assertions.SometimesEach(ctx, "a step taken", "step", step)
		}
		s.Errorf("every step taken")
	}
	path := filepath.Join(t.TempDir(), "report.json")
	res = simtest.Simulate(steps, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.Verbose(), simtest.JSONReport(path))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Regexp(t, `mark 1: [^\n]*; follows SometimesEach "a step taken" \(explore_external_test\.go:\d+\): a new bucket \(step=0\)(\n|$)`, res.Report)
	assert.NotRegexp(t, `follows SometimesEach "a step taken" \([^)]*\) and`, res.Report)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	type followed struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
		Site    *struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"site"`
		Progress string `json:"progress"`
	}
	var rep struct {
		Exploration struct {
			PerMark []struct {
				Follows []followed `json:"follows"`
			} `json:"per_mark"`
		} `json:"exploration"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	marks := rep.Exploration.PerMark
	require.NotEmpty(t, marks, string(b))
	for i, m := range marks {
		require.Len(t, m.Follows, 1, "mark %d: one discovery at its draw", i+1)
		f := m.Follows[0]
		assert.Equal(t, "SometimesEach", f.Kind)
		assert.Equal(t, "a step taken", f.Message)
		require.NotNil(t, f.Site)
		assert.Equal(t, "explore_external_test.go", filepath.Base(f.Site.File))
		assert.Positive(t, f.Site.Line)
		assert.Regexp(t, `^a new bucket \(step=\d\)$`, f.Progress)
	}
	assert.Equal(t, "a new bucket (step=0)", marks[0].Follows[0].Progress)
}

// rootFailure fails on its first draw, one seed in 10, before anything it
// reports: a branch keeps its parent's first draw, so only a root seed
// fails. Its Sometimes gives the exploration marks to branch from.
func rootFailure(s *simtest.S) {
	ctx, rnd := s.Context(), s.Providers().Random
	if rnd.IntN(10) == 0 {
		s.Errorf("the first draw failed")
	}
	for range 3 {
		s.Sleep(time.Millisecond)
		assertions.Sometimes(ctx, rnd.IntN(3) == 0, "a coin came up")
	}
}

// TestTheReportSaysWhatFoundTheFailure: the exploration's summary, and its
// JSON report, say whether the failing timeline was a root seed, which no
// branch led to, or a child of which mark.
func TestTheReportSaysWhatFoundTheFailure(t *testing.T) {
	type exploration struct {
		Timeline int    `json:"failing_timeline"`
		Recipe   string `json:"failing_recipe"`
		Root     bool   `json:"failing_timeline_is_root"`
		From     int    `json:"failing_from_mark"`
		Roots    int    `json:"root_seeds"`
	}
	report := func(path string) exploration {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var rep struct {
			Exploration exploration `json:"exploration"`
		}
		require.NoError(t, json.Unmarshal(b, &rep), string(b))
		return rep.Exploration
	}

	path := filepath.Join(t.TempDir(), "root.json")
	res := simtest.Simulate(rootFailure, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.JSONReport(path))
	require.Equal(t, 1, res.Failed, res.Report)
	ex := report(path)
	require.Greater(t, ex.Timeline, ex.Roots, "branches ran before the failing root: %s", res.Report)
	assert.Regexp(t, fmt.Sprintf(`; timeline %d failed, the run of root seed \d+ itself, the %d(st|nd|rd|th) root \(no branch led to it: plain seeds run that seed too, as their %d(st|nd|rd|th), where the exploration took %d timelines\): recipe %s;`,
		ex.Timeline, ex.Roots, ex.Roots, ex.Timeline, regexp.QuoteMeta(ex.Recipe)), res.Report)
	assert.True(t, ex.Root)
	assert.Zero(t, ex.From)

	path = filepath.Join(t.TempDir(), "branch.json")
	res = simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.JSONReport(path))
	require.Equal(t, 1, res.Failed, res.Report)
	ex = report(path)
	rec, err := explore.ParseRecipe(ex.Recipe)
	require.NoError(t, err)
	require.Positive(t, rec.Depth(), res.Report)
	assert.Contains(t, res.Report, fmt.Sprintf("; timeline %d failed, a child of mark %d at depth %d: recipe %s;", ex.Timeline, ex.From, rec.Depth(), ex.Recipe))
	assert.False(t, ex.Root)
	assert.Positive(t, ex.From)
}

// TestTheAssertionTableOfAnExplorationSaysItCountsTimelines: branches
// re-run their parents' starts, so the table's counts are of timelines
// that share steps; the table says so, and counts as before.
func TestTheAssertionTableOfAnExplorationSaysItCountsTimelines(t *testing.T) {
	res := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps())
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Regexp(t, fmt.Sprintf(`  assertions: 2, 0 failed, 0 gaps\n    \(explored: SEEDS and "true in" count the %d timelines, \d+ of them branches that re-ran the start of the timeline they branched from; a step's count does not say how rare it is among plain seeds\)\n    STATUS`, res.Seeds), res.Report)
	assert.Regexp(t, fmt.Sprintf(`Sometimes +\d+ +\d+ +%d +true in \d+ seeds +"first rare event"`, res.Seeds), res.Report, "every timeline reached the first event's assertion")

	plain := simtest.Simulate(twoRare, simtest.Seeds(20), simtest.AllowGaps())
	assert.NotContains(t, plain.Report, "(explored:")
	cfg := explore.Defaults()
	cfg.Timelines = 20
	unbranched := simtest.Simulate(func(s *simtest.S) { s.Sleep(time.Second) }, simtest.Explore(cfg))
	assert.NotContains(t, unbranched.Report, "(explored:", "no branch: the timelines are plain seeds")
}

// TestAPlainRunTellsOfKeptRecipes: a plain Run passes over the recipes an
// exploration kept, and says so in one line that names them and the
// command that runs them, with the flags they failed under.
func TestAPlainRunTellsOfKeptRecipes(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := filepath.Join("testdata", "simtest", "TestPlainKept")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	one := filepath.Join(dir, "recipe-42_7-5")
	require.NoError(t, os.WriteFile(one, []byte("# replay: go test -run '^TestPlainKept$' ./simtest -simrecipe=42/7:5 -planted\n"), 0o644))
	body := func(s *simtest.S) { s.Sleep(time.Millisecond) }
	plain := func() string {
		r := runIn("TestPlainKept", func(r *recorder) { simtest.Run(r, body, simtest.Seeds(3)) })
		require.False(t, r.failed, r.output())
		return r.output()
	}
	out := plain()
	assert.Contains(t, out, "simtest: this plain run passes over the kept recipe "+one+", a timeline that failed an exploration; an exploring run runs it first: go test -run '^TestPlainKept$' ./simtest -simexplore -planted\n")
	assert.Equal(t, 1, strings.Count(out, "kept recipe"), out)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "recipe-43_9-6"), nil, 0o644))
	out = plain()
	assert.Regexp(t, regexp.QuoteMeta("simtest: this plain run passes over the 2 kept recipes in "+dir+", timelines that failed explorations; an exploring run runs them first: go test -run '^TestPlainKept$' ./simtest -simexplore")+`( -short| -race)*\n`, out,
		"the recipes do not agree on their flags: the command has this run's")

	// An exploring run runs them, a replay runs one seed, and a fuzz
	// input is one run: none says it.
	cfg := explore.Defaults()
	cfg.Timelines = 5
	r := runIn("TestPlainKept", func(r *recorder) { simtest.Run(r, body, simtest.Explore(cfg)) })
	assert.NotContains(t, r.output(), "passes over")
	r = runIn("TestPlainKept", func(r *recorder) { simtest.Run(r, body, simtest.Replay(1)) })
	assert.NotContains(t, r.output(), "passes over")
	ft, err := simtest.NewFuzzTarget("TestPlainKept", body)
	require.NoError(t, err)
	_, _, r = runInput(t, ft, "TestPlainKept", nil)
	require.False(t, r.failed, r.output())
	assert.NotContains(t, r.output(), "passes over")
}

// TestCoverageOnlyAssertionsMakeNoMarks: a Sometimes true in every run
// makes a mark of the first root seed's run, unless the exploration
// keeps it for coverage only; it is counted in the assertion table
// either way, and a CoverageOnly message that names no assertion is
// noted.
func TestCoverageOnlyAssertionsMakeNoMarks(t *testing.T) {
	body := func(s *simtest.S) {
		ctx, rnd := s.Context(), s.Providers().Random
		rnd.IntN(10)
		assertions.Sometimes(ctx, true, "a request was served")
		rnd.IntN(10)
		assertions.Sometimes(ctx, rnd.IntN(5) == 0, "a rare step")
		rnd.IntN(10)
	}
	type exploration struct {
		PerMark []struct {
			Follows []struct {
				Message string `json:"message"`
			} `json:"follows"`
		} `json:"per_mark"`
	}
	follows := func(cfg explore.Config) (msgs []string, report string) {
		path := filepath.Join(t.TempDir(), "report.json")
		res := simtest.Simulate(body, simtest.Explore(cfg), simtest.AllowGaps(), simtest.JSONReport(path))
		require.True(t, res.OK(), res.Report)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var rep struct {
			Exploration exploration `json:"exploration"`
		}
		require.NoError(t, json.Unmarshal(b, &rep))
		for _, m := range rep.Exploration.PerMark {
			for _, f := range m.Follows {
				msgs = append(msgs, f.Message)
			}
		}
		return msgs, res.Report
	}
	cfg := explore.Defaults()
	cfg.Timelines = 100
	msgs, _ := follows(cfg)
	assert.Contains(t, msgs, "a request was served", "a Sometimes true in every run makes a mark")

	cfg.CoverageOnly = []string{"a request was served", "a typo"}
	msgs, report := follows(cfg)
	assert.Equal(t, []string{"a rare step"}, msgs, "the marks follow the rare step alone")
	assert.Regexp(t, `ok +Sometimes +100 +0 +100 +true in 100 seeds +"a request was served"`, report, "the assertion table counts it as ever")
	assert.Contains(t, report, `simtest: explore.Config.CoverageOnly names "a typo", but no assertion of this Run has that message`)
	assert.NotContains(t, report, `CoverageOnly names "a request was served"`)
}

// TestTheTableNamesTheTimelineAFailureWasFirstSeenIn: an Always that
// fails in a branched timeline was not failed by its seed's own run, and
// the assertion table names the timeline, which the JSON report's replay
// and a replay of the recipe agree with.
func TestTheTableNamesTheTimelineAFailureWasFirstSeenIn(t *testing.T) {
	body := func(s *simtest.S) {
		ctx, rnd := s.Context(), s.Providers().Random
		both := true
		for i := range 2 {
			s.Sleep(time.Millisecond)
			hit := rnd.IntN(50) == 0
			assertions.Sometimes(ctx, hit, []string{"first rare event", "second rare event"}[i])
			both = both && hit
		}
		assertions.Always(ctx, !both, "the rare events never meet")
	}
	path := filepath.Join(t.TempDir(), "report.json")
	res := simtest.Simulate(body, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.JSONReport(path))
	require.Equal(t, 1, res.Failed, res.Report)
	rec, ok := strings.CutPrefix(res.Replay, "simtest.ReplayRecipe(")
	require.True(t, ok, res.Replay)
	rec, err := strconv.Unquote(strings.TrimSuffix(rec, ")"))
	require.NoError(t, err)
	assert.Regexp(t, `^FAILED Always \d+ 1 \d+ first in timeline `+regexp.QuoteMeta(rec)+` `, tableLine(t, res.Report, "the rare events never meet"))

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Assertions []struct {
			Message   string `json:"message"`
			FirstFail *struct {
				Replay string `json:"replay"`
			} `json:"first_failure"`
		} `json:"assertions"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	var replay string
	for _, a := range rep.Assertions {
		if a.Message == "the rare events never meet" && a.FirstFail != nil {
			replay = a.FirstFail.Replay
		}
	}
	assert.Equal(t, res.Replay, replay, "the JSON report's first failure replays the same timeline:\n%s", b)

	again := simtest.Simulate(body, simtest.ReplayRecipe(rec), simtest.AllowGaps())
	assert.Equal(t, 1, again.Failed, again.Report)
	assert.Regexp(t, `^FAILED Always 0 1 1 first in timeline `+regexp.QuoteMeta(rec)+` `, tableLine(t, again.Report, "the rare events never meet"))
}

// rareThenMeet makes one mark, on a Sometimes of 1 in 50: the root seed
// that first hits it is the first timeline past it, and its children
// follow, drawing afresh after it. The next two past it wait (in real time, a bound only) for each
// other, and then does meet what they were given; later ones, such as a
// timeline run again alone, pass.
func rareThenMeet(meet func(s *simtest.S, n int32, other bool)) func(s *simtest.S) {
	var came atomic.Int32
	met := make(chan struct{})
	return func(s *simtest.S) {
		s.Sleep(time.Millisecond)
		hit := s.Providers().Random.IntN(50) == 0
		assertions.Sometimes(s.Context(), hit, "the rare event")
		if !hit {
			return
		}
		// A draw after the mark, for its children to draw afresh.
		s.Sleep(time.Duration(1+s.Providers().Random.IntN(10)) * time.Millisecond)
		n := came.Add(1)
		if n == 1 || n > 3 {
			return
		}
		if n == 3 {
			close(met)
		}
		other := false
		s.Slow(func() {
			select {
			case <-met:
				other = true
			case <-time.After(10 * time.Second): // a bound only
			}
		})
		meet(s, n, other)
	}
}

// An exploration on several workers runs a mark's children at once: a
// timeline that fails beside another and not alone is run again alone
// after, and the report and PerSeed say so, as for a plain Run's seeds.
func TestExplorationRunsATimelineThatFailedBesideOthersAgainAlone(t *testing.T) {
	body := rareThenMeet(func(s *simtest.S, _ int32, other bool) {
		if other {
			s.Errorf("this timeline met another")
		}
	})
	res := simtest.Simulate(body, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.Workers(2))
	require.Equal(t, 1, res.Failed, res.Report)
	last := res.PerSeed[len(res.PerSeed)-1]
	require.NotEmpty(t, last.Recipe, "a child failed: %s", res.Report)
	assert.Contains(t, res.Report, fmt.Sprintf("timeline %s failed beside other timelines on 2 workers, and not alone: "+
		"run again alone after the Run's timelines, in this process, it took the same path", last.Recipe), res.Report)
	require.NotNil(t, last.Alone, res.Report)
	assert.Equal(t, simtest.AloneRun{Trace: last.Trace, Outcome: simtest.OutcomePass}, *last.Alone)
}

// An exploration on several workers charges a failure of the test's own
// testing.T to the first timeline in the batch's order that was running
// then, and says it is a guess among the timelines then running, as a
// plain Run on several workers does.
func TestExplorationChargesTheTestsOwnTByGuess(t *testing.T) {
	var recipe string
	r := runIn("TestOwnTExplored", func(r *recorder) {
		body := rareThenMeet(func(s *simtest.S, n int32, _ bool) {
			if n == 3 {
				r.Errorf("a timeline fails the test's own t")
				return
			}
			s.Slow(func() {
				for end := time.Now().Add(10 * time.Second); !r.Failed() && time.Now().Before(end); { // a bound only
					time.Sleep(time.Millisecond)
				}
			})
		})
		simtest.Run(r, body, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.Workers(2))
	})
	out := r.output()
	require.True(t, r.failed)
	m := regexp.MustCompile(`timeline (\S+) failed: the test failed through its own testing.T`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	recipe = m[1]
	assert.Regexp(t, `this timeline is a guess: the Run ran 2 timelines at once, timelines `+regexp.QuoteMeta(recipe)+`, \S+ were running when the test's testing.T was marked failed, `+
		`and a failure of the test's own testing.T is charged to the first of them in the batch's order; `+
		`on one worker \(go test -run '\^TestOwnTExplored\$' [^)]*-simworkers=1[^)]*\) the timelines run one at a time, which pins it to the timeline that made it`, out)
}
