package explore

import (
	"iter"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	assert.Equal(t, Report{Timelines: 10, Roots: 10, Drawn: 50}, rep)
}

func TestTwoRareEvents(t *testing.T) {
	// Two events of 1 in 1,000, one after the other: about a million
	// plain seeds. A mark's 256 children meet the second event 23 times
	// in 100; after that the first event is no longer new, so only
	// adaptive splitting, which gives the marks the turn of roots that
	// find nothing, comes back to it.
	cfg := explore.Defaults()
	cfg.Timelines = 10_000
	rep := Run(cfg, seeds(cfg.Timelines), maze(2, 1000))
	require.True(t, rep.Failed, "%+v", rep)
	t.Logf("two 1-in-1,000 events found after %d timelines (%d roots, %d revivals)", rep.FoundAfter, rep.Roots, rep.Revived)
	assert.Positive(t, rep.Revived)

	cfg.Barren = 0
	assert.False(t, Run(cfg, seeds(cfg.Timelines), maze(2, 1000)).Failed, "a fixed count of 256 children per mark")
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

// BenchmarkTwoRareEvents reports the mean timelines until two events of
// 1 in 1,000 meet, over 100 explorations from different root seeds, one
// after the other (the second tried only past the first) and either
// first, with Defaults and with a fixed count of Defaults' 256 children
// per mark. Plain seeds take about 1,000,000.
func BenchmarkTwoRareEvents(b *testing.B) {
	fixed := explore.Defaults()
	fixed.Barren = 0
	for _, c := range []struct {
		name string
		cfg  explore.Config
		run  func(explore.Recipe) Outcome
	}{
		{"sequential/adaptive", explore.Defaults(), maze(2, 1000)},
		{"sequential/fixed", fixed, maze(2, 1000)},
		{"either/adaptive", explore.Defaults(), either(1000)},
		{"either/fixed", fixed, either(1000)},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.cfg.Timelines = 100_000
			for b.Loop() {
				var sum, missed int
				var all []int
				for k := range 100 {
					rep := Run(c.cfg, from(uint64(k)), c.run)
					if !rep.Failed {
						missed++
						continue
					}
					sum += rep.FoundAfter
					all = append(all, rep.FoundAfter)
				}
				slices.Sort(all)
				b.ReportMetric(float64(sum)/float64(max(1, len(all))), "timelines/found")
				if len(all) > 0 {
					b.ReportMetric(float64(all[len(all)/2]), "median")
				}
				b.ReportMetric(float64(missed), "missed/100")
			}
		})
	}
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
