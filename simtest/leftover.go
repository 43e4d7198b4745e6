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
// nothing wrong with it.
func leftoverNote(pools []*sim.Workers) string {
	count := func() (n int, startedAs, in string) {
		for _, p := range pools {
			k, s, i := p.Leftover()
			n += k
			if startedAs == "" {
				startedAs, in = s, i
			}
		}
		return n, startedAs, in
	}
	if n, _, _ := count(); n == 0 {
		return ""
	}
	time.Sleep(leftoverSettle)
	n, startedAs, in := count()
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%s that the seeds' tasks started with go statements still %s after the Run, outside the simulation, and pile up seed after seed: "+
		"stop each when its seed ends, or start the work with p.Task.Go (a library that starts its own, a cache's janitor or a ticker, runs in a program: docs/production.md); "+
		"one was started as %s and is in %s",
		plural(n, "goroutine"), pluralWord(n, "runs", "run"), startedAs, in)
}
