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
	if f.Kind == sim.Stray {
		return "the stray goroutine"
	}
	return fmt.Sprintf("task %q", f.Task)
}

// lateStrays reports on the test the stray calls that come after their
// seed ended: a goroutine started with a go statement that called into
// the simulation only after the seed's world was gone. Such a call can no
// longer fail its seed, so it fails the test, naming the seed, once per
// seed. After Run returned, the test may be over, and failing it would
// panic: the call is then written to standard error.
type lateStrays struct {
	mu   sync.Mutex
	done bool
	seen map[uint64]bool
	// reported counts the failures given to t, so that the Run does not
	// take one for a failure of the seed running at that moment.
	reported atomic.Uint64
}

func (l *lateStrays) watch(t testing.TB, w *sim.World, seed uint64, replayOf func() string) {
	name := t.Name()
	w.OnLateStray(func(f *sim.Failure) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.seen[seed] {
			return
		}
		if l.seen == nil {
			l.seen = make(map[uint64]bool)
		}
		l.seen[seed] = true
		replay := replayOf()
		msg := fmt.Sprintf("simtest: seed %d failed after it ended: %v\n  replay: %s\n  stack of the stray goroutine:\n    %s",
			seed, f, replay, indent(strings.TrimSpace(f.Stack), "    "))
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
