package providers

import "context"

// Mutex is a mutual exclusion lock that a simulation can see: use it where
// the code would use a sync.Mutex. Unlike sync.Mutex, Lock takes a context
// and gives up when it is done.
//
// As with sync.Mutex, a Mutex is not tied to a task: one task may lock it
// and another unlock it.
type Mutex struct {
	ch chan struct{} // production: holds a token while locked
	p  Parker        // simulation; nil in production

	// Simulation state.
	locked bool
	q      waitq[struct{}]
}

// NewMutex returns an unlocked Mutex that blocks on t: through the Go
// runtime, unless t is a simulation's Task (see [Parker]).
func NewMutex(t Task) *Mutex {
	if p := parkerOf(t, "NewMutex"); p != nil {
		return &Mutex{p: p}
	}
	// A channel rather than a sync.Mutex, so that Lock can give up.
	return &Mutex{ch: make(chan struct{}, 1)}
}

// Lock locks m, blocking until it is available or until ctx is done, in
// which case it returns ctx's error and m is not locked by the call.
func (m *Mutex) Lock(ctx context.Context) error {
	if m.p == nil {
		if m.TryLock() {
			return nil
		}
		select {
		case m.ch <- struct{}{}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.p.Enter("mutex lock")
	if !m.locked {
		m.locked = true
		return nil
	}
	w := &waiter[struct{}]{tok: m.p.WaitToken()}
	m.q.push(w)
	returned := false
	defer func() {
		m.q.remove(w)
		if w.done && !returned {
			// Killed after Unlock handed m over: the task unwinds
			// without ever holding m, so pass it on.
			m.Unlock()
		}
	}()
	err := m.p.Park(ctx, w.tok, "mutex lock")
	returned = true
	if w.done {
		return nil
	}
	return parked(err)
}

// TryLock locks m if it is unlocked, and reports whether it did.
func (m *Mutex) TryLock() bool {
	if m.p == nil {
		m.mustReal()
		select {
		case m.ch <- struct{}{}:
			return true
		default:
			return false
		}
	}
	m.p.Enter("mutex lock")
	if m.locked {
		return false
	}
	m.locked = true
	return true
}

// Unlock unlocks m. It panics if m is not locked.
func (m *Mutex) Unlock() {
	if m.p == nil {
		m.mustReal()
		select {
		case <-m.ch:
			return
		default:
			panic(unlockUnlocked)
		}
	}
	m.p.Enter("mutex unlock")
	if !m.locked {
		panic(unlockUnlocked)
	}
	// Hand m to the first waiter, which then holds it without racing other
	// tasks for it: waiters are served in order.
	if m.q.wake(m.p) == nil {
		m.locked = false
	}
}

const unlockUnlocked = "providers: unlock of unlocked Mutex"

func (m *Mutex) mustReal() {
	if m.ch == nil {
		panic("providers: Mutex used without NewMutex; make Mutexes with NewMutex")
	}
}
