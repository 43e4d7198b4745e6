package providers

import (
	"context"
	"sync"
)

// WaitGroup waits for a collection of tasks to finish, as sync.WaitGroup
// does, in a way a simulation can see. Unlike sync.WaitGroup, Wait takes a
// context and gives up when it is done.
type WaitGroup struct {
	t Task
	p parker // simulation; nil in production

	// Production state.
	mu   sync.Mutex
	zero chan struct{} // closed when n drops to zero; nil while n is zero

	n int // the counter, in both modes

	// Simulation state.
	q waitq[struct{}]
}

// NewWaitGroup returns a WaitGroup with a zero counter whose Go starts tasks
// with t, and whose Wait blocks on t.
func NewWaitGroup(t Task) *WaitGroup {
	return &WaitGroup{t: t, p: parkerOf(t, "NewWaitGroup")}
}

// Add adds delta, which may be negative, to the counter. When the counter
// reaches zero, every blocked Wait returns. Add panics if the counter goes
// negative. As with sync.WaitGroup, an Add with a positive delta that starts
// from zero must happen before the Wait it is meant to hold.
func (wg *WaitGroup) Add(delta int) {
	if wg.p != nil {
		wg.p.Enter("wait group add")
		wg.n = wg.add(delta)
		if wg.n == 0 {
			for wg.q.wake(wg.p) != nil {
			}
		}
		return
	}
	wg.mustReal()
	wg.mu.Lock()
	defer wg.mu.Unlock()
	n := wg.add(delta)
	switch {
	case n > 0 && wg.n == 0:
		wg.zero = make(chan struct{})
	case n == 0 && wg.zero != nil:
		close(wg.zero)
		wg.zero = nil
	}
	wg.n = n
}

// add returns the counter plus delta, panicking if that is negative.
func (wg *WaitGroup) add(delta int) int {
	n := wg.n + delta
	if n < 0 {
		panic("providers: negative WaitGroup counter; call Done once per Add(1)")
	}
	return n
}

// Done decrements the counter by one.
func (wg *WaitGroup) Done() { wg.Add(-1) }

// Wait blocks until the counter is zero, or until ctx is done, in which case
// it returns ctx's error.
func (wg *WaitGroup) Wait(ctx context.Context) error {
	if wg.p == nil {
		wg.mustReal()
		wg.mu.Lock()
		zero := wg.zero
		wg.mu.Unlock()
		if zero == nil {
			return nil
		}
		select {
		case <-zero:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	wg.p.Enter("wait group wait")
	if wg.n == 0 {
		return nil
	}
	w := &waiter[struct{}]{tok: wg.p.WaitToken()}
	wg.q.push(w)
	defer wg.q.remove(w)
	err := wg.p.Park(ctx, w.tok, "wait group")
	if w.done {
		return nil
	}
	return parked(err)
}

// Go starts fn as a task called name, through the Task provider, and counts
// it in the WaitGroup until it returns, like sync.WaitGroup.Go. The returned
// Handle gives fn's error.
func (wg *WaitGroup) Go(ctx context.Context, name string, fn func(ctx context.Context) error) Handle {
	wg.Add(1)
	return wg.t.Go(ctx, name, func(ctx context.Context) error {
		defer wg.Done()
		return fn(ctx)
	})
}

func (wg *WaitGroup) mustReal() {
	if wg.t == nil {
		panic("providers: WaitGroup used without NewWaitGroup; make WaitGroups with NewWaitGroup")
	}
}
