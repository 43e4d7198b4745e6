package simtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/plural"
)

// Slow runs f, a stretch of the seed that may take long in real time (a
// linearizability check, a large comparison, a heavy search), with the
// [Watchdog] held off: while f runs the seed is not reported as busy or
// blocked, and the watchdog counts again from f's end. The test's -timeout
// still bounds it. Call it from the body or from any task of the seed.
func (s *S) Slow(f func()) {
	if f == nil {
		s.Helper()
		s.Fatalf("s.Slow: the function is nil; pass the stretch of the seed that may take long")
	}
	s.w.Slow(f)
}

// DefaultSlowSeed is how long in real time a seed may take before the
// report names it (see [SlowSeed]).
const DefaultSlowSeed = 10 * time.Second

// SlowSeed names in the Run's report every seed that takes longer than d
// of real time (default [DefaultSlowSeed]; zero names none), as the
// -simslow flag does. A slow seed does not fail: it is a seed to look at,
// a workload that does more than it means to or a check that grows with
// the history, and a sweep of many seeds pays for it each time. The time
// counted is the seed's whole run, both runs under [CheckDeterminism].
func SlowSeed(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < 0 {
			return fmt.Errorf("simtest.SlowSeed(%v): the duration must not be negative; pass 0 to name no seed", d)
		}
		c.slow, c.slowSet = d, true
		return nil
	})
}

// maxListedSlow is how many slow seeds a report names.
const maxListedSlow = 10

// slowLine is the report's line of slow seeds, or "".
func (r *report) slowLine() string {
	if r.slowSeeds == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n    %s took longer than %v of real time (-simslow, simtest.SlowSeed):", plural.Count(r.slowSeeds, "seed"), r.slow)
	for _, s := range r.slowest {
		fmt.Fprintf(&b, " seed=%d (%v)", s.seed, roundWall(s.wall))
	}
	if more := r.slowSeeds - len(r.slowest); more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	return b.String()
}

// slowSeed is a seed that took longer than the Run's SlowSeed.
type slowSeed struct {
	seed uint64
	wall time.Duration
}
