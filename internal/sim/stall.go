package sim

import (
	"cmp"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"
)

// stallSpan is the stretch of simulated time over which the stall guard
// counts. A run that takes more than Config.MaxStepsPerInstant steps and
// events while its clock moves less than this is not moving on: something
// wakes again at once, or a few nanoseconds later, and simulated time
// crawls (a loop of 1 ns sleeps, a fault interval near zero, a timer that
// re-arms itself with no delay). The instant guard cannot see it, since time
// does move, and the time budget is hours of such steps away.
//
// At the default bound of ten million, the guard allows a sustained rate of
// a hundred steps and events per simulated microsecond: ten times what ten
// thousand tasks waking every millisecond need.
const stallSpan = 100 * time.Millisecond

// stallSample is how many of the last steps and events before the bound the
// guard records, to name what was firing.
const stallSample = 1000

// stallGuard counts the steps and events of the current span of simulated
// time.
type stallGuard struct {
	start int64 // the simulated time at which the span began
	// base is the world's count of steps and events when the span began:
	// the span's count is the world's less base, so that a step bumps no
	// counter of the guard's own.
	base uint64
	near uint64           // the span's count at which recording begins; see arm
	at   uint64           // base+near: the world's count at which it begins
	seen map[stallKey]int // what fired, near the bound
}

// arm sets the count at which the guard starts to record what fires:
// never, when max is zero (no bound).
func (g *stallGuard) arm(max uint64) {
	g.near = ^uint64(0)
	if max > 0 {
		g.near = max + 2 - min(max+1, stallSample)
	}
	g.begin(0)
}

// begin starts a span at the world's count of steps and events n.
func (g *stallGuard) begin(n uint64) {
	g.base, g.seen = n, nil
	g.at = n + g.near
	if g.at < n {
		g.at = ^uint64(0) // no bound, or one past the counter's range
	}
}

// stallKey is what fired: a task (a step, or the end of its sleep) or an
// event's callback.
type stallKey struct {
	task string
	fn   uintptr
}

// moved starts a new span when simulated time has left the current one; n
// is the world's count of steps and events.
func (g *stallGuard) moved(now int64, n uint64) {
	if now-g.start >= int64(stallSpan) {
		g.start = now
		g.begin(n)
	}
}

// progress starts a new span at a device's progress (World.Progress); n
// is the world's count of steps and events.
func (g *stallGuard) progress(n uint64) { g.begin(n) }

// count checks a step of t or the firing of e, which brings the world's
// count of steps and events to n. Past the bound it fails the run, naming
// what fired most, and reports true. It is small enough to be inlined: one
// step costs a compare.
func (g *stallGuard) count(n uint64, w *World, t *task, e *event) bool {
	return n >= g.at && g.record(n-g.base, w, t, e)
}

// record notes what fired, near the bound, and fails the run past it; n is
// the span's count.
func (g *stallGuard) record(n uint64, w *World, t *task, e *event) bool {
	max := w.cfg.MaxStepsPerInstant
	if g.seen == nil {
		g.seen = make(map[stallKey]int)
	}
	switch {
	case t != nil:
		g.seen[stallKey{task: t.name}]++
	case e.task != nil:
		g.seen[stallKey{task: e.task.name}]++
	default:
		g.seen[stallKey{fn: reflect.ValueOf(e.fn).Pointer()}]++
	}
	if n <= max {
		return false
	}
	task, most := g.most()
	w.fail(&Failure{Kind: Stalled, Task: task, Msg: fmt.Sprintf(
		"more than %d steps and events ran while simulated time moved only %v (from %v to %v): the run makes no progress. "+
			"Something wakes again at once or a few nanoseconds later (a loop of very short sleeps, a timer that re-arms itself with no delay, "+
			"a fault or reboot interval near zero?). Of the last %d, %s. "+
			"Raise the bound with the MaxStepsPerInstant option if this rate is expected.",
		max, time.Duration(w.now-g.start), time.Duration(g.start), time.Duration(w.now), n+1-g.near, most)})
	return true
}

// most describes what fired near the bound, most often first, and names the
// task that fired most, if a task did.
func (g *stallGuard) most() (task, desc string) {
	type entry struct {
		key stallKey
		n   int
	}
	var es []entry
	for k, n := range g.seen {
		es = append(es, entry{k, n})
	}
	slices.SortFunc(es, func(a, b entry) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.key.task, b.key.task), cmp.Compare(a.key.fn, b.key.fn))
	})
	var parts []string
	for i, e := range es {
		if i == 3 {
			parts = append(parts, "others")
			break
		}
		if e.key.task != "" {
			if i == 0 {
				task = e.key.task
			}
			parts = append(parts, fmt.Sprintf("%d were task %q (its steps and wake-ups)", e.n, e.key.task))
			continue
		}
		parts = append(parts, fmt.Sprintf("%d were the event callback %s", e.n, funcName(e.key.fn)))
	}
	return task, strings.Join(parts, ", ")
}

// funcName names the function at pc and where it is defined.
func funcName(pc uintptr) string {
	f := runtime.FuncForPC(pc)
	if f == nil {
		return fmt.Sprintf("at %#x", pc)
	}
	file, line := f.FileLine(f.Entry())
	return fmt.Sprintf("%s (%s:%d)", f.Name(), filepath.Base(file), line)
}
