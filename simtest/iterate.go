package simtest

import (
	"fmt"
	"math"
	"time"

	"github.com/moonpool-go/moonpool/internal/plural"
)

// RunFor runs seeds until d of wall time is spent, as the -simfor flag
// does: a nightly job's budget. Seeds run one after the other (or on
// [Workers]) until a seed ends past d; the Run stops there, and the seeds
// that were still running are dropped, as after a failure. Unless a seed
// count is given too ([Seeds], -simseeds, MOONPOOL_SEEDS), which then
// bounds the Run as well, there is no other bound.
//
// How many seeds fit in d depends on the machine and its load, so the
// count varies from run to run: the report says how many ran. Each seed
// is still the same seed, with the same trace and replay line.
func RunFor(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("simtest.RunFor(%v): the wall time must be positive, such as 10*time.Minute", d)
		}
		c.runFor = d
		return nil
	})
}

// UntilPlateau runs seeds until the assertions' coverage stops growing,
// as the -simplateau flag does: the Run stops once n seeds in a row have
// reached nothing new to it (no Sometimes first true, no watermark at a
// new level, no frontier advanced, no new SometimesEach bucket; the
// progress that [Explore] and [Fuzz] follow). Unless a seed count is
// given too ([Seeds], -simseeds, MOONPOOL_SEEDS), which then bounds the
// Run as well, and under [RunFor], its time, there is no other bound; the
// coverage a Run can reach is finite, so it ends. Where it stops depends
// on the seeds only, not on the machine or on [Workers].
//
// An exploring Run ([Explore]) follows coverage itself and reports where
// it last grew; UntilPlateau is for plain seeds.
func UntilPlateau(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 1 {
			return fmt.Errorf("simtest.UntilPlateau(%d): the number of seeds without new coverage must be at least 1, such as 200", n)
		}
		c.plateau = n
		return nil
	})
}

// The ways a Run's seeds end other than their count or a failure, as
// the results' summary says them.
const (
	stoppedByWall    = "wall time"
	stoppedByPlateau = "coverage plateau"
)

// iteration is the state of a Run under RunFor or UntilPlateau.
type iteration struct {
	start   time.Time
	spent   time.Duration   // the wall time the Run had taken when its budget of wall time ended it
	covered map[uint64]bool // every progress signal the Run's seeds sent
	grew    int             // the seed count when coverage last grew
}

// unbounded reports whether the Run's seed count is left to its budget.
func (c *config) unbounded() bool {
	return (c.runFor > 0 || c.plateau > 0) && !c.seedsSet
}

// seedCount is how many seeds the Run's sequence holds.
func (c *config) seedCount() int {
	if c.unbounded() {
		return math.MaxInt
	}
	return c.seeds
}

// checkIteration rejects what RunFor and UntilPlateau cannot mean.
func (c *config) checkIteration() error {
	if c.explore != nil && (c.runFor > 0 || c.plateau > 0) {
		return fmt.Errorf("simtest: RunFor (-simfor) and UntilPlateau (-simplateau) bound a Run of plain seeds; an exploration is bounded by its budget of timelines (-simtimelines): drop one")
	}
	return nil
}

// iterating starts the Run's iteration state, if it has one.
func (r *runner) iterating() {
	if r.cfg.runFor > 0 || r.cfg.plateau > 0 {
		r.iter = &iteration{start: time.Now()}
		if r.cfg.plateau > 0 {
			r.iter.covered = make(map[uint64]bool)
		}
	}
}

// stop reports whether the Run stops after the seed o, just committed as
// the Run's seeds-th.
func (r *runner) stopIterating(o *seedOutcome, seeds int) bool {
	it := r.iter
	if it == nil {
		return false
	}
	if it.covered != nil {
		for _, sig := range o.signals {
			if !it.covered[sig] {
				it.covered[sig] = true
				it.grew = seeds
			}
		}
		if seeds-it.grew >= r.cfg.plateau {
			r.stoppedBy = stoppedByPlateau
			return true
		}
	}
	if spent := time.Since(it.start); r.cfg.runFor > 0 && spent >= r.cfg.runFor {
		r.stoppedBy, it.spent = stoppedByWall, spent
		return true
	}
	return false
}

// iterationLine is the report's line about a budget, or "".
func (r *runner) iterationLine() string {
	it := r.iter
	if it == nil {
		return ""
	}
	s := ""
	switch {
	case r.stoppedBy == stoppedByWall:
		s = fmt.Sprintf("\n    wall time of %v spent (-simfor): %s ran; how many depends on the machine, each seed's trace and replay line do not",
			r.cfg.runFor, plural.Count(r.rep.seeds, "seed"))
		s += overshot(r.cfg.runFor, it.spent)
	case r.cfg.runFor > 0:
		s = fmt.Sprintf("\n    %s ran within the wall time of %v (-simfor)", plural.Count(r.rep.seeds, "seed"), r.cfg.runFor)
	}
	if it.covered != nil {
		what := pluralWord(len(it.covered), "1 thing", fmt.Sprintf("%d things", len(it.covered)))
		if r.stoppedBy == stoppedByPlateau {
			s += fmt.Sprintf("\n    coverage stopped growing (-simplateau=%d): %s reached nothing new; it last grew at seed %d of %d, to %s reached",
				r.cfg.plateau, plural.Count(r.cfg.plateau, "seed"), it.grew, r.rep.seeds, what)
		} else {
			s += fmt.Sprintf("\n    coverage still growing (-simplateau=%d): it last grew at seed %d of %d, to %s reached",
				r.cfg.plateau, it.grew, r.rep.seeds, what)
		}
	}
	if r.stoppedBy == "" && r.cfg.seedsSet && r.rep.seeds >= r.cfg.seeds {
		// A count in the test's code (simtest.Seeds) ends a nightly
		// -simfor run long before its hours: say so.
		s += fmt.Sprintf("\n    the count of %d seeds (simtest.Seeds or -simseeds) ended the Run before its budget; give -simseeds a larger count for the budget to decide", r.cfg.seeds)
	}
	return s
}

// overshot says how long a Run whose budget of wall time was budget took,
// spent, when that is more than a tenth over: the budget is checked
// between seeds, and a long seed runs to its end past it. "" otherwise.
func overshot(budget, spent time.Duration) string {
	if spent-budget <= budget/10 {
		return ""
	}
	return fmt.Sprintf("; the Run took %v in all, past the budget, which is checked between seeds: the last seed ran on past it (a Run that must end in time gives -simfor less by its slowest seed)",
		roundWall(spent))
}

// restOfRun is how much wall time the Run's other seeds would take, at
// the rate of those run since start: the least of what a budget of wall
// time leaves and what the seeds its count leaves (the shard's, the
// exploration's budget of timelines) would take; as long as can be for a
// Run that coverage ends. Zero: the Run ends now.
func (r *runner) restOfRun(start time.Time) time.Duration {
	spent := time.Since(start)
	rest := time.Duration(math.MaxInt64)
	if r.cfg.runFor > 0 {
		rest = max(r.cfg.runFor-spent, 0)
	}
	n, done := r.seedsToRun(), r.rep.seeds
	if n == math.MaxInt || done == 0 {
		return rest
	}
	// The seeds left take what those done took, without the time a
	// replay check took beside them.
	if est := float64(spent-r.checkWall) / float64(done) * float64(max(n-done, 0)); est < float64(rest) {
		rest = time.Duration(est)
	}
	return rest
}

// seedsToRun is how many seeds (or timelines) the Run runs at most, kept
// ones included, or math.MaxInt.
func (r *runner) seedsToRun() int {
	if r.exp.exploring() {
		return r.exp.kept + r.exp.cfg.Timelines
	}
	n := r.cfg.seedCount()
	if n == math.MaxInt {
		return n
	}
	if r.cfg.sharded() {
		n = max(0, (n-r.cfg.shard+r.cfg.shards-1)/r.cfg.shards)
	}
	return n + len(r.kept)
}
