package simtest

import (
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// newWorkers makes a Workers for the Run's seeds and keeps it in pools,
// where leftoverLine looks.
func (r *runner) newWorkers() *sim.Workers {
	p := sim.NewWorkers()
	r.pools = append(r.pools, p)
	return p
}

// leftoverSettle is how long leftoverLine gives goroutines that were
// ending as the last seed ended (woken by its tasks' contexts) to end.
const leftoverSettle = 20 * time.Millisecond

// leftoverLine is the report's line of the goroutines that the seeds'
// tasks started with go statements and that still run after the Run, or
// "" (leftoverNote).
func (r *runner) leftoverLine() string {
	if note := leftoverNote(r.pools); note != "" {
		return "\n    " + note
	}
	return ""
}

// leftoverNote tells of the goroutines that tasks run on pools started
// with go statements and that still run (sim.Workers.Leftover), or "".
// They run on the wall clock, outside the simulation, and a library that
// starts one per use (a cache's janitor, a ticker) piles them up seed
// after seed, until the process is slow enough to fail a seed that has
// nothing wrong with it. When they could not be counted it says so: that
// is not "none".
func leftoverNote(pools []*sim.Workers) string {
	count := func() (n int, startedAs, in string, blind bool) {
		for _, p := range pools {
			k, s, i, looked := p.Leftover()
			n += k
			blind = blind || !looked
			if startedAs == "" {
				startedAs, in = s, i
			}
		}
		return n, startedAs, in, blind
	}
	if n, _, _, blind := count(); n == 0 && !blind {
		return ""
	}
	time.Sleep(leftoverSettle)
	n, startedAs, in, blind := count()
	switch {
	case n == 0 && !blind:
		return ""
	case n == 0:
		return "whether goroutines that the seeds' tasks started with go statements still run after the Run is not known: " +
			"they could not be counted, for a count stops the world, which waits for a program's code to call the host, " +
			"and a program's code in this test binary had run for over a second without calling it " +
			"(a spin, which the watchdog reports in the seed it belongs to: docs/programs.md)"
	}
	least := ""
	if blind {
		least = "at least "
	}
	return fmt.Sprintf("%s%s that the seeds' tasks started with go statements still %s after the Run, outside the simulation, and pile up seed after seed: "+
		"stop each when its seed ends, or start the work with p.Task.Go (a library that starts its own, a cache's janitor or a ticker, runs in a program: docs/production.md); "+
		"one was started as %s and is in %s",
		least, plural(n, "goroutine"), pluralWord(n, "runs", "run"), startedAs, in)
}
