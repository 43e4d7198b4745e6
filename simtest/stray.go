package simtest

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// stackOf names whose stack a failure shows.
func stackOf(f *sim.Failure) string {
	if f.Task == sim.SchedulerTask {
		return "the scheduler's goroutine"
	}
	if f.Kind == sim.Stray {
		return "the stray goroutine"
	}
	return fmt.Sprintf("task %q", f.Task)
}

// lateStrays reports on the test the stray calls that come after their
// seed ended: a goroutine started with a go statement that called into
// the simulation only after the seed's world was gone. Such a call can no
// longer fail its seed, so it fails the test, naming the seed (or the
// exploration timeline), once per run. After Run returned, the test may
// be over, and failing it would panic: the call is then written to
// standard error.
type lateStrays struct {
	mu   sync.Mutex
	done bool
	seen map[string]bool // the runs reported, by runName
	// reported counts the failures given to t, so that the Run does not
	// take one for a failure of the seed running at that moment.
	reported atomic.Uint64
}

// watch reports the late strays of the run of seed in w, the exploration
// timeline recipe when it is not "".
func (l *lateStrays) watch(t testing.TB, w *sim.World, seed uint64, recipe string, replayOf func() string) {
	name := t.Name()
	run := runName(seed, recipe)
	if name != "" {
		// What a test's cleanup does with a value of the run after its
		// end names the Run it came from.
		w.SetOwner(fmt.Sprintf("%s of the simtest.Run in %s", run, name))
	} else {
		w.SetOwner(run)
	}
	w.OnLateStray(func(f *sim.Failure) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.seen[run] {
			return
		}
		if l.seen == nil {
			l.seen = make(map[string]bool)
		}
		l.seen[run] = true
		replay := replayOf()
		msg := fmt.Sprintf("simtest: %s failed after it ended: %v\n  replay: %s\n  stack of the stray goroutine:\n    %s",
			run, f, replay, indent(strings.TrimSpace(f.Stack), "    "))
		if l.done {
			fmt.Fprintf(os.Stderr, "%s: %s\n", name, msg)
			return
		}
		l.reported.Add(1)
		t.Error(msg)
	})
}

// close marks the end of Run: later calls cannot fail the test.
func (l *lateStrays) close() {
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
}
