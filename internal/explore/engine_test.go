package explore

import (
	"iter"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/internal/rng"
)

// maze is a run of locks behind gates: each gate passes one time in
// odds, the next gate is tried only past the one before, and the run
// fails when every gate is passed. Each gate passed is a discovery.
func maze(gates, odds int) func(explore.Recipe) Outcome {
	return func(r explore.Recipe) Outcome {
		s := rng.Branched(r.Seed, Branches(r))
		var o Outcome
		for g := range gates {
			s.IntN(1000) // a draw of something else between gates
			if s.IntN(odds) != 0 {
				o.Draws = s.Draws()
				return o
			}
			o.Discoveries = append(o.Discoveries, Discovery{Sig: uint64(g + 1), At: s.Draws()})
		}
		o.Failed, o.Draws = true, s.Draws()
		return o
	}
}

func seeds(n int) iter.Seq[uint64] {
	return func(yield func(uint64) bool) {
		for i := range n {
			if !yield(uint64(i) * 0x9e3779b97f4a7c15) {
				return
			}
		}
	}
}

// plain runs the same budget of root seeds without branching.
func plain(run func(explore.Recipe) Outcome, n int) (found int) {
	i := 0
	for seed := range seeds(n) {
		i++
		if run(explore.Recipe{Seed: seed}).Failed {
			return i
		}
	}
	return 0
}

func TestExplorationFindsTheMaze(t *testing.T) {
	// Four locks behind five gates of 1 in 20 each: 20^-20, about 10^-26,
	// per plain seed.
	run := maze(20, 20)
	cfg := explore.Defaults()
	rep := Run(cfg, seeds(cfg.Timelines), run)
	require.True(t, rep.Failed, "exploration found the bug: %+v", rep)
	assert.LessOrEqual(t, rep.Failure.Depth(), 20, "at most one branch point per gate")
	assert.True(t, run(rep.Failure).Failed, "the failing recipe replays the failure")
	assert.Equal(t, 20, rep.Covered)
	t.Logf("maze found after %d timelines (%d roots, %d marks), replay share %.0f%%",
		rep.FoundAfter, rep.Roots, rep.Marks, 100*float64(rep.Replayed)/float64(rep.Drawn))
	assert.Zero(t, plain(run, rep.Timelines), "plain seeds find a 10^-26 bug")
}

func TestExplorationIsTheSameEveryTime(t *testing.T) {
	cfg := explore.Defaults()
	var calls [2][]string
	for i := range calls {
		run := maze(20, 20)
		Run(cfg, seeds(cfg.Timelines), func(r explore.Recipe) Outcome {
			calls[i] = append(calls[i], r.String())
			return run(r)
		})
	}
	if d := cmp.Diff(calls[0], calls[1]); d != "" {
		t.Fatalf("two explorations ran different timelines (-first +second):\n%s", d)
	}
}

func TestBudgetBoundsTheExploration(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 50
	rep := Run(cfg, seeds(1000), maze(20, 20))
	assert.False(t, rep.Failed)
	assert.True(t, rep.Exhausted)
	assert.Equal(t, 50, rep.Timelines)
}

func TestDepthBoundsTheRecipes(t *testing.T) {
	cfg := explore.Defaults()
	cfg.MaxDepth = 3
	rep := Run(cfg, seeds(cfg.Timelines), maze(20, 20))
	assert.False(t, rep.Failed)
	assert.LessOrEqual(t, rep.MaxDepth, 3)
}

func TestNothingToFollowIsPlainSeeds(t *testing.T) {
	rep := Run(explore.Defaults(), seeds(10), func(explore.Recipe) Outcome { return Outcome{Draws: 5} })
	assert.Equal(t, Report{Timelines: 10, Roots: 10, QuietRoots: 10, Drawn: 50}, rep)
}

// TestRootsKeepTheirTurnBesideManyMarks has the first root seed make 22
// discoveries that lead nowhere, as a service's first run reaches most of
// its Sometimes assertions, and the bug lies with one root seed in 400.
// The marks' energy cut as barren pools to more than the budget; the
// roots still have their turn between the marks' turns, Barren of them
// each time, so the exploration meets the bug as plain seeds would, at
// worst a few times later.
func TestRootsKeepTheirTurnBesideManyMarks(t *testing.T) {
	cfg := explore.Defaults()
	rep := Run(cfg, from(0), manyBarrenMarks(false))
	require.False(t, rep.Failed)
	t.Logf("%d timelines: %d root seeds, %d marks, %d revivals", rep.Timelines, rep.Roots, rep.Marks, rep.Revived)
	assert.Equal(t, 22, rep.Marks)
	// The first root's 22 marks have their first turn, 64 children each
	// before they are cut; then a turn of 64 roots or more follows each
	// of the marks' turns of 256.
	assert.GreaterOrEqual(t, rep.Roots, (cfg.Timelines-22*cfg.Barren)/(cfg.Energy+cfg.Barren)*cfg.Barren, "root seeds")
	assert.GreaterOrEqual(t, rep.QuietRoots, cfg.Barren, "the roots had a turn since the map last grew")

	found := 0
	for k := range 20 {
		if Run(cfg, from(uint64(k)), manyBarrenMarks(true)).Failed {
			found++
		}
	}
	t.Logf("the bug found in %d of 20 explorations", found)
	assert.GreaterOrEqual(t, found, 10, "a bug that 1 root seed in 400 meets, in 20 explorations")
}

// manyBarrenMarks is a run that makes 22 discoveries that lead nowhere;
// with bug, a root seed fails one time in 400.
func manyBarrenMarks(bug bool) func(explore.Recipe) Outcome {
	return func(r explore.Recipe) Outcome {
		s := rng.Branched(r.Seed, Branches(r))
		var o Outcome
		for i := range 22 {
			s.IntN(1000)
			o.Discoveries = append(o.Discoveries, Discovery{Sig: uint64(i + 1), At: s.Draws()})
		}
		o.Failed = bug && r.Depth() == 0 && s.IntN(400) == 0
		s.IntN(1000)
		o.Draws = s.Draws()
		return o
	}
}

// TestASaturatedExplorationGivesTheRootsMore has every mark barren from
// the first root seed on: each marks' turn that finds nothing doubles the
// roots' next turn, until the roots are a third of the timelines run since
// the map grew, where a fixed turn of Barren roots left them one in five.
// The share stops there, however large the budget: a mark may yet have a
// rare step beneath it.
func TestASaturatedExplorationGivesTheRootsMore(t *testing.T) {
	for _, budget := range []int{4096, 100_000} {
		cfg := explore.Defaults()
		cfg.Timelines = budget
		rep := Run(cfg, from(0), manyBarrenMarks(false))
		require.False(t, rep.Failed)
		quiet := rep.Timelines - rep.GrewAt
		share := float64(rep.QuietRoots) / float64(quiet)
		t.Logf("budget %d: %d root seeds of the %d timelines after the map last grew, %.3f; %d revivals", budget, rep.QuietRoots, quiet, share, rep.Revived)
		assert.Greater(t, share, 0.3, "the roots' share of a saturated exploration")
		assert.Less(t, share, 0.34, "the roots' share of a saturated exploration")
	}
}

func TestTwoRareEvents(t *testing.T) {
	// Two events of 1 in 1,000, one after the other: about a million
	// plain seeds. The first mark's turn, twice the roots it took, meets
	// the second event 86 times in 100 when it took 1,000; after that the
	// first event is no longer new, so only adaptive splitting, which
	// gives the marks the turn of roots that find nothing, comes back to
	// it. A fixed count of 256 children meets it 23 times in 100.
	cfg := explore.Defaults()
	cfg.Timelines = 10_000
	rep := Run(cfg, seeds(cfg.Timelines), maze(2, 1000))
	require.True(t, rep.Failed, "%+v", rep)
	t.Logf("two 1-in-1,000 events found after %d timelines (%d roots, %d revivals)", rep.FoundAfter, rep.Roots, rep.Revived)
	assert.Positive(t, rep.Revived)

	cfg.Barren = 0
	assert.False(t, Run(cfg, seeds(cfg.Timelines), maze(2, 1000)).Failed, "a fixed count of 256 children per mark")
}

// TestARareMarkGetsTwiceItsCost has the 300th root seed make the only
// discovery: its mark cost 300 timelines, and gets 600 children before a
// root seed runs again, where a mark cheaper than Energy would get Energy.
func TestARareMarkGetsTwiceItsCost(t *testing.T) {
	var rare uint64
	for seed := range seeds(300) {
		rare = seed // the 300th
	}
	for _, c := range []struct {
		name   string
		barren int
		want   int
	}{
		{"adaptive", explore.Defaults().Barren, 600},
		{"fixed", 0, explore.Defaults().Energy},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := explore.Defaults()
			cfg.Barren = c.barren
			var depths []int
			Run(cfg, seeds(cfg.Timelines), func(r explore.Recipe) Outcome {
				depths = append(depths, r.Depth())
				if r.Depth() == 0 && r.Seed == rare {
					return Outcome{Draws: 3, Discoveries: []Discovery{{Sig: 1, At: 1}}}
				}
				return Outcome{Draws: 3}
			})
			require.Greater(t, len(depths), 300)
			children := 0
			for _, d := range depths[300:] {
				if d == 0 {
					break
				}
				children++
			}
			assert.Equal(t, c.want, children, "children of the mark before the next root seed")
		})
	}
}

// TestTwoRareEventsCloseToTheFloor compares 100 explorations of two
// events of 1 in 1,000 with the oracle that spends nothing beside the
// first mark's children: the same root seeds until one meets the first
// event, then the same children of its mark, in order, until one meets the
// second. What the exploration runs more is roots and other marks.
func TestTwoRareEventsCloseToTheFloor(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 100_000
	run := maze(2, 1000)
	var ours, floor int
	for k := range 100 {
		rep := Run(cfg, from(uint64(k)), run)
		require.True(t, rep.Failed, "exploration %d", k)
		ours += rep.FoundAfter
		floor += sameChildren(from(uint64(k)), run)
	}
	ratio := float64(ours) / float64(floor)
	t.Logf("two 1-in-1,000 events: %d timelines against %d, %.3f", ours/100, floor/100, ratio)
	assert.Less(t, ratio, 1.05, "timelines beside the first mark's children (1.105 when a mark's turn was Energy alone, 1.025 before the roots' turn grew in a saturated exploration)")
}

// sameChildren is the oracle of TestTwoRareEventsCloseToTheFloor.
func sameChildren(roots iter.Seq[uint64], run func(explore.Recipe) Outcome) int {
	n := 0
	for seed := range roots {
		n++
		root := explore.Recipe{Seed: seed}
		o := run(root)
		if o.Failed {
			return n
		}
		if len(o.Discoveries) == 0 {
			continue
		}
		at := o.Discoveries[0].At
		for i := 0; ; i++ {
			n++
			if run(root.Child(at, childSeed(root, at, i))).Failed {
				return n
			}
		}
	}
	return n
}

// either is two events of 1 in odds in one run, either first: the second
// is the run's last draw, so it leaves nothing to branch.
func either(odds int) func(explore.Recipe) Outcome {
	return func(r explore.Recipe) Outcome {
		s := rng.Branched(r.Seed, Branches(r))
		var o Outcome
		hit := 0
		for e := range 2 {
			s.IntN(1000)
			if s.IntN(odds) == 0 {
				hit++
				o.Discoveries = append(o.Discoveries, Discovery{Sig: uint64(e + 1), At: s.Draws()})
			}
		}
		o.Failed, o.Draws = hit == 2, s.Draws()
		return o
	}
}

func TestBarrenMarksAreCut(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 20_000
	rep := Run(cfg, seeds(cfg.Timelines), either(1000))
	require.True(t, rep.Failed, "%+v", rep)
	assert.Positive(t, rep.Cuts)
	spent := 0
	for _, m := range rep.PerMark {
		spent += m.Timelines
		assert.Equal(t, 1, m.Depth)
	}
	assert.Equal(t, rep.Timelines-rep.Roots, spent, "every branch is some mark's child")
	assert.Len(t, rep.PerMark, rep.Marks)
	t.Logf("either of two 1-in-1,000 events first, found after %d timelines: %+v", rep.FoundAfter, rep.PerMark)
}

func TestProductiveMarksEarnMore(t *testing.T) {
	// A gate of 1 in 2 behind a mark, 40 times: each batch of the mark
	// above the frontier grows the map, and earns the mark another.
	cfg := explore.Defaults()
	cfg.Energy, cfg.Barren, cfg.Branches = 16, 16, 8
	rep := Run(cfg, seeds(cfg.Timelines), maze(40, 2))
	require.True(t, rep.Failed, "%+v", rep)
	var most int
	for _, m := range rep.PerMark {
		most = max(most, m.Timelines)
	}
	t.Logf("found after %d timelines; a mark ran at most %d children", rep.FoundAfter, most)
}

// TestBatchesOnEveryCoreGiveTheSameExploration runs each batch of children
// at once, one goroutine each, and gets the exploration of one at a time:
// the same timelines read, the same report.
func TestBatchesOnEveryCoreGiveTheSameExploration(t *testing.T) {
	cfg := explore.Defaults()
	run := maze(20, 20)
	var one []string
	want := Run(cfg, seeds(cfg.Timelines), func(r explore.Recipe) Outcome {
		one = append(one, r.String())
		return run(r)
	})
	var all []string
	got := RunBatches(cfg, seeds(cfg.Timelines), func(batch []explore.Recipe) []Outcome {
		out := make([]Outcome, len(batch))
		var wg sync.WaitGroup
		for i, r := range batch {
			wg.Go(func() { out[i] = run(r) })
		}
		wg.Wait()
		for i, r := range batch {
			all = append(all, r.String())
			if out[i].Failed {
				return out[:i+1]
			}
		}
		return out
	})
	assert.Equal(t, want, got)
	if d := cmp.Diff(one, all); d != "" {
		t.Fatalf("the timelines differ (-one at a time +batches at once):\n%s", d)
	}
}

func TestDiscoveriesAtOneDrawAreOneMark(t *testing.T) {
	// Each gate passed reports two discoveries at once, as a Sometimes
	// and a SometimesEach bucket of one step would.
	twice := func(r explore.Recipe) Outcome {
		o := maze(5, 4)(r)
		var both []Discovery
		for _, d := range o.Discoveries {
			both = append(both, d, Discovery{Sig: d.Sig + 100, At: d.At})
		}
		o.Discoveries = both
		return o
	}
	rep := Run(explore.Defaults(), seeds(1000), twice)
	require.True(t, rep.Failed)
	assert.Equal(t, 10, rep.Covered)
	assert.LessOrEqual(t, rep.Marks, 5, "one mark per draw, not per discovery: %+v", rep.PerMark)
}

// BenchmarkTwoRareEvents reports the timelines until two events of 1 in
// 1,000 meet (mean, median and 90th percentile over many explorations from
// different root seeds), one after the other (the second tried only past
// the first) and either first, with Defaults and with a fixed count of
// Defaults' 256 children per mark, each beside the ideal over the same
// explorations and its ratio to it. Plain seeds take 1,000,000 on average.
//
// The ideal is the best an explorer that learns only from discoveries can
// do, played by an oracle that knows where each event's draw is: it runs
// the same root seeds until one makes a discovery, then re-draws exactly
// the missing event's draw until it happens. Its expectation is exact:
// 1/p for the first event and 1/p for the second, 1,999 with p = 1/1,000
// (the root that meets the first event meets the second one time in
// 1,000); either first, (1-p)/q + 1/p with q = 2p-p^2 the chance that a
// root meets at least one, 1,499.75. The ideal-forward rows are the oracle
// held to a recipe's branching, which keeps a prefix and re-draws all that
// follows: a root whose only event is the later one teaches it nothing, so
// it waits for the first event to open the run, 1,999 again.
//
// The stepwise rows are the same chance of 1 in 1,000,000 a run, each
// event reported as three steps of 1 in 10 (a Sometimes on each): partial
// progress, which the explorer follows step by step. Its ideal is
// 1/p + 5(1-p)/p = 55 with p = 1/10: the timeline that meets a step
// meets the next one time in 10.
func BenchmarkTwoRareEvents(b *testing.B) {
	const p = 1.0 / 1000
	fixed := explore.Defaults()
	fixed.Barren = 0
	seqIdeal := ideal(maze(2, 1000), anyDiscovery, 1000, 2)
	eitherIdeal := ideal(either(1000), anyDiscovery, 1000, 2)
	forwardIdeal := ideal(either(1000), firstDiscovered, 1000, 2)
	stepIdeal := ideal(maze(6, 10), anyDiscovery, 10, 6)
	for _, c := range []struct {
		name  string
		n     int                          // explorations
		cfg   explore.Config               // the explorer's, when explore is nil
		ideal func(iter.Seq[uint64]) int   // the oracle, or nil
		exact float64                      // the oracle's expectation
		best  []func(iter.Seq[uint64]) int // the ideals to report a ratio to: x-ideal, x-forward
		run   func(explore.Recipe) Outcome
	}{
		{name: "sequential/ideal", n: 1000, ideal: seqIdeal, exact: (2 - p) / p},
		{name: "sequential/adaptive", n: 1000, cfg: explore.Defaults(), best: fns(seqIdeal), run: maze(2, 1000)},
		{name: "sequential/fixed", n: 100, cfg: fixed, best: fns(seqIdeal), run: maze(2, 1000)},
		{name: "either/ideal", n: 1000, ideal: eitherIdeal, exact: (1-p)/(2*p-p*p) + 1/p},
		{name: "either/ideal-forward", n: 1000, ideal: forwardIdeal, exact: (2 - p) / p},
		{name: "either/adaptive", n: 1000, cfg: explore.Defaults(), best: fns(eitherIdeal, forwardIdeal), run: either(1000)},
		{name: "either/fixed", n: 100, cfg: fixed, best: fns(eitherIdeal, forwardIdeal), run: either(1000)},
		{name: "stepwise/ideal", n: 1000, ideal: stepIdeal, exact: 1/0.1 + 5*0.9/0.1},
		{name: "stepwise/adaptive", n: 1000, cfg: explore.Defaults(), best: fns(stepIdeal), run: maze(6, 10)},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.cfg.Timelines = 100_000
			for b.Loop() {
				var found []int
				best := make([]float64, len(c.best))
				missed := 0
				for k := range c.n {
					for i, f := range c.best {
						best[i] += float64(f(from(uint64(k))))
					}
					if c.ideal != nil {
						found = append(found, c.ideal(from(uint64(k))))
						continue
					}
					rep := Run(c.cfg, from(uint64(k)), c.run)
					if !rep.Failed {
						missed++
						continue
					}
					found = append(found, rep.FoundAfter)
				}
				mean := reportFound(b, found)
				b.ReportMetric(float64(missed)*100/float64(c.n), "missed/100")
				if c.exact > 0 {
					b.ReportMetric(c.exact, "exact")
				}
				if missed > 0 {
					continue // a mean that leaves out the missed is no ratio to the ideal's
				}
				for i, name := range []string{"x-ideal", "x-forward"}[:len(best)] {
					b.ReportMetric(mean/(best[i]/float64(c.n)), name)
				}
			}
		})
	}
}

func fns(f ...func(iter.Seq[uint64]) int) []func(iter.Seq[uint64]) int { return f }

// reportFound reports the mean, median and 90th percentile of found, and
// returns the mean.
func reportFound(b *testing.B, found []int) float64 {
	if len(found) == 0 {
		return 0
	}
	slices.Sort(found)
	sum := 0
	for _, n := range found {
		sum += n
	}
	mean := float64(sum) / float64(len(found))
	b.ReportMetric(mean, "timelines/found")
	b.ReportMetric(float64(found[len(found)/2]), "median")
	b.ReportMetric(float64(found[len(found)*9/10]), "p90")
	return mean
}

// ideal is the oracle of BenchmarkTwoRareEvents for a run of events of 1
// in odds, all of which fail it: it runs root seeds until one fails or is
// useful, then re-draws the draw of the next event missing, alone, from a
// stream of the root's, each timeline going on to the events after it
// while they happen, until all have; it returns the timelines run in all.
func ideal(run func(explore.Recipe) Outcome, useful func(Outcome) bool, odds, events int) func(iter.Seq[uint64]) int {
	return func(roots iter.Seq[uint64]) int {
		n := 0
		for seed := range roots {
			n++
			o := run(explore.Recipe{Seed: seed})
			if o.Failed {
				return n
			}
			if !useful(o) {
				continue
			}
			s := rng.New(mix(seed, 0x6f7261636c65))
			for met := len(o.Discoveries); met < events; {
				n++
				for met < events && s.IntN(odds) == 0 {
					met++
				}
			}
			return n
		}
		return n
	}
}

// anyDiscovery is useful to an oracle that can re-draw either event's draw.
func anyDiscovery(o Outcome) bool { return len(o.Discoveries) > 0 }

// firstDiscovered is useful to an oracle held to a recipe's branching: the
// first event's draw has the other's after it, to re-draw.
func firstDiscovered(o Outcome) bool {
	return slices.ContainsFunc(o.Discoveries, func(d Discovery) bool { return d.Sig == 1 })
}

// from is root seeds of their own for each k.
func from(k uint64) iter.Seq[uint64] {
	return func(yield func(uint64) bool) {
		for i := uint64(0); ; i++ {
			if !yield(mix(mix(0x7365656473, k), i)) {
				return
			}
		}
	}
}

func TestADiscoveryAtTheLastDrawIsNoMark(t *testing.T) {
	rep := Run(explore.Defaults(), seeds(3000), either(1000))
	for _, m := range rep.PerMark {
		assert.Equal(t, uint64(1), m.Sig, "only the first event leaves draws to branch: %+v", m)
	}
	assert.NotEmpty(t, rep.PerMark)
}

// TestExplorationKeepsItsBooks explores made-up runs under made-up
// configurations: whatever they are, every timeline runs once, after its
// parent and branching inside its parent's run, within the budget and the
// depth, and the report's counts add up to what ran.
func TestExplorationKeepsItsBooks(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := explore.Config{
			Timelines: rapid.IntRange(1, 400).Draw(t, "timelines"),
			Branches:  rapid.IntRange(1, 6).Draw(t, "branches"),
			MaxDepth:  rapid.IntRange(1, 6).Draw(t, "depth"),
		}
		cfg.Energy = rapid.IntRange(cfg.Branches, 40).Draw(t, "energy")
		if rapid.Bool().Draw(t, "adaptive") {
			cfg.Barren = rapid.IntRange(cfg.Branches, cfg.Energy).Draw(t, "barren")
		}
		require.NoError(t, cfg.Validate())
		// A run of steps draws, each a discovery one time in odds, of one
		// of sigs signals; it fails one time in fail.
		steps := rapid.IntRange(0, 12).Draw(t, "steps")
		odds := rapid.IntRange(1, 6).Draw(t, "odds")
		sigs := rapid.IntRange(1, 20).Draw(t, "sigs")
		fail := rapid.IntRange(2, 5000).Draw(t, "fail")
		draws := map[string]uint64{} // each timeline run, and its draws
		var ran []string
		rep := Run(cfg, seeds(cfg.Timelines), func(r explore.Recipe) Outcome {
			key := r.String()
			_, again := draws[key]
			require.False(t, again, "timeline %s ran twice", key)
			if d := r.Depth(); d > 0 {
				parent := explore.Recipe{Seed: r.Seed, Branches: r.Branches[:d-1]}
				pd, ok := draws[parent.String()]
				require.True(t, ok, "timeline %s ran before its parent", key)
				require.Less(t, r.Branches[d-1].At, pd, "timeline %s branches inside its parent's run", key)
				_, err := explore.ParseRecipe(key)
				require.NoError(t, err)
			}
			s := rng.Branched(r.Seed, Branches(r))
			var o Outcome
			for range steps {
				if v := s.IntN(odds * sigs); v < sigs {
					o.Discoveries = append(o.Discoveries, Discovery{Sig: uint64(v), At: s.Draws()})
				}
			}
			o.Failed = s.IntN(fail) == 0
			o.Draws = s.Draws()
			draws[key] = o.Draws
			ran = append(ran, key)
			return o
		})
		require.Equal(t, len(ran), rep.Timelines)
		require.LessOrEqual(t, rep.Timelines, cfg.Timelines)
		require.LessOrEqual(t, rep.MaxDepth, cfg.MaxDepth)
		require.Len(t, rep.PerMark, rep.Marks)
		spent := 0
		for _, m := range rep.PerMark {
			spent += m.Timelines
			require.LessOrEqual(t, m.Depth, cfg.MaxDepth)
			require.GreaterOrEqual(t, m.Left, 0)
		}
		require.Equal(t, rep.Timelines-rep.Roots, spent, "every branch is some mark's child")
		require.GreaterOrEqual(t, rep.EnergyLeft, 0)
		require.LessOrEqual(t, rep.GrewAt, rep.Timelines)
		require.NotEqual(t, rep.Failed, rep.Exhausted, "it ends failed or with the budget spent: %+v", rep)
		if rep.Failed {
			require.Equal(t, rep.Timelines, rep.FoundAfter)
			require.Equal(t, ran[len(ran)-1], rep.Failure.String())
		}
	})
}

// TestTheRootsTurnDoesNotOverflow asks whether the roots' turn is over
// after many barren turns of the marks: the turn doubles with each, up
// to far past what an int of 32 bits holds, and must stay unfinished
// rather than wrap to a negative length that ends it at once.
func TestTheRootsTurnDoesNotOverflow(t *testing.T) {
	cfg := explore.Config{Barren: 4}
	rep := &Report{Timelines: 5000, GrewAt: 100, QuietRoots: 10}
	assert.False(t, rootsTurnOver(cfg, rep, 1000, 40), "4<<40 timelines are not yet idle")
	assert.True(t, rootsTurnOver(cfg, rep, 1<<20, 18), "1<<20 idle timelines end a turn of 4<<18")
}
