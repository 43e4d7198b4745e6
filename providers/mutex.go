package providers

import (
	"context"
	"fmt"

	"github.com/moonpool-go/moonpool/internal/callsite"
)

// Mutex is a mutual exclusion lock that a simulation can see: use it where
// the code would use a sync.Mutex. Unlike sync.Mutex, Lock takes a context
// and gives up when it is done.
//
// As with sync.Mutex, a Mutex is not tied to a task: one task may lock it
// and another unlock it. In a simulation, tasks that wait on each other's
// Mutexes, with no deadline on their Locks, fail the run as a deadlock as
// soon as the cycle forms. A Mutex that some task has unlocked while
// another held it is a token handed from task to task, which a third task
// may yet release: it takes no part in that check from then on, and a
// cycle through it is told only when no task can run at all. Before its
// first such Unlock it cannot be told from a lock, so a token is better a
// Chan of capacity one (docs/debugging.md).
type Mutex struct {
	ch chan struct{} // production: holds a token while locked
	p  parker        // simulation; nil in production

	// Simulation state.
	locked bool
	// handed is set once a task unlocks m while another holds it: its
	// holder is then not who will unlock it (owner).
	handed bool
	// owed counts the Unlocks of tasks killed in a Cond's Wait while
	// another task held m (retakeUnwinding): each leaves m to its holder.
	owed int
	q    waitq[lockSite]
	// What a deadlock report says of the holder, when p can describe
	// waits: the task that holds m and where it locked it.
	d      describer
	holder lockSite
	descFn func() string // m.describe, made once
	// When p can find lock cycles: how m's holder is found when a
	// task parks on m, made once.
	cyc      cycleFinder
	holderFn func() any
}

// A lockSite is a task that locked a Mutex, or waits to, and the return
// address of its Lock call, and of the call above, should the first be
// the wrapper of a method value (f := m.Lock): symbolized only when a
// report is made. They are read from the frame pointers (a few
// nanoseconds; unwinding the stack for them was a part of every
// simulation's profile).
type lockSite struct {
	task string
	// owner is the task as the parker knows it (cycleFinder.LockOwner),
	// nil when the parker finds no cycles.
	owner any
	pc    [2]uintptr
}

// describer is implemented by a parker that can name the running task and
// describe a wait when it reports on its tasks (a deadlock): the
// simulation's. Park's what is fixed when the task parks; describe is
// called at report time, so it tells who holds the lock then.
type describer interface {
	TaskName() string
	ParkDescribed(ctx context.Context, tok WaitToken, what string, describe func() string) error
}

// cycleFinder is implemented by a describer that finds lock cycles: the
// simulation's. LockOwner returns the running task's name, as TaskName
// does, and the task as ParkLock's holder must return it. ParkLock is
// ParkDescribed for a wait on a lock that holder says who holds, checked
// for a cycle of tasks that wait on each other's locks before the task
// parks. A lock that is free costs what TaskName would: one call.
type cycleFinder interface {
	LockOwner() (string, any)
	ParkLock(ctx context.Context, tok WaitToken, what string, describe func() string, holder func() any) error
}

// NewMutex returns an unlocked Mutex that blocks on t: through the Go
// runtime, unless t is a simulation's Task.
func NewMutex(t Task) *Mutex {
	if p := parkerOf(t, "NewMutex"); p != nil {
		m := &Mutex{p: p}
		if d, ok := p.(describer); ok {
			m.d = d
			m.descFn = m.describe
			if c, ok := p.(cycleFinder); ok {
				m.cyc = c
				m.holderFn = m.owner
			}
		}
		return m
	}
	// A channel rather than a sync.Mutex, so that Lock can give up.
	return &Mutex{ch: make(chan struct{}, 1)}
}

// Lock locks m, blocking until it is available or until ctx is done, in
// which case it returns ctx's error and m is not locked by the call.
//
// Not inlined, so that its call site can be read from its frame.
//
//go:noinline
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
	var site lockSite
	if m.cyc != nil {
		site.task, site.owner = m.cyc.LockOwner()
		callsite.Callers(site.pc[:])
	} else if m.d != nil {
		site.task = m.d.TaskName()
		callsite.Callers(site.pc[:])
	}
	if !m.locked {
		m.locked = true
		m.holder = site
		return nil
	}
	w := &waiter[lockSite]{tok: m.p.WaitToken(), val: site}
	m.q.push(w)
	returned := false
	defer func() {
		m.q.remove(w)
		if w.done && !returned {
			// Killed after Unlock handed m over: the task unwinds
			// without ever holding m, so pass it on. This is m's own
			// bookkeeping, not the task's code: it is done even for a
			// task of a crashed process, whose calls into the
			// simulation unwind it at once.
			m.handOn()
		}
	}()
	var err error
	if m.cyc != nil {
		err = m.cyc.ParkLock(ctx, w.tok, "mutex lock", m.descFn, m.holderFn)
	} else if m.d != nil {
		err = m.d.ParkDescribed(ctx, w.tok, "mutex lock", m.descFn)
	} else {
		err = m.p.Park(ctx, w.tok, "mutex lock")
	}
	returned = true
	if w.done {
		return nil
	}
	return parked(err)
}

// TryLock locks m if it is unlocked, and reports whether it did.
//
// Not inlined, so that its call site can be read from its frame.
//
//go:noinline
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
	if m.cyc != nil {
		m.holder.task, m.holder.owner = m.cyc.LockOwner()
		callsite.Callers(m.holder.pc[:])
	} else if m.d != nil {
		m.holder.task = m.d.TaskName()
		callsite.Callers(m.holder.pc[:])
	}
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
	if m.owed > 0 {
		m.owed--
		return
	}
	if m.cyc != nil && !m.handed && m.holder.owner != nil {
		if _, t := m.cyc.LockOwner(); t != m.holder.owner {
			m.handed = true
		}
	}
	m.handOn()
}

// retakeUnwinding has the running task, killed in a Cond's Wait and
// unwinding, hold m again as Wait would have on return, so that an Unlock
// its defers make finds m locked rather than panicking or taking m from
// another task. It cannot wait for m: if another task holds it, that
// Unlock is owed instead, and leaves m to its holder.
func (m *Mutex) retakeUnwinding() {
	if m.locked {
		m.owed++
		return
	}
	m.locked = true
	m.holder = lockSite{}
	if m.d != nil {
		m.holder.task = m.d.TaskName()
	}
}

// lockedByCaller has m's holder, which locked it in a function of this
// package called from the code under test (Cond.Wait's relock), told as
// having locked it where that function was called, the call above Lock's:
// a deadlock report names the code's own line, not the package's.
func (m *Mutex) lockedByCaller() {
	if m.holder.pc[1] != 0 {
		m.holder.pc = [2]uintptr{m.holder.pc[1]}
	}
}

// handOn hands m, locked, to the first waiter, which then holds it without
// racing other tasks for it (waiters are served in order), or unlocks it.
func (m *Mutex) handOn() {
	if w := m.q.wake(m.p); w != nil {
		m.holder = w.val
	} else {
		m.locked = false
		m.holder = lockSite{}
	}
}

// owner returns the task that holds m, as the parker knows it, or nil:
// nil too for a handed token, whose holder need not be who releases it.
func (m *Mutex) owner() any {
	if !m.locked || m.handed {
		return nil
	}
	return m.holder.owner
}

// describe says who holds m and where it locked it, for a deadlock report.
func (m *Mutex) describe() string {
	if !m.locked {
		return ""
	}
	h := m.holder
	if h.task == "" {
		return "held by code outside any task"
	}
	if h.pc[0] == 0 {
		return fmt.Sprintf("held by task %q", h.task)
	}
	f := callsite.First(h.pc[:])
	return fmt.Sprintf("held by task %q, which locked it in %s at %s:%d", h.task, f.Function, f.File, f.Line)
}

const unlockUnlocked = "providers: unlock of unlocked Mutex"

func (m *Mutex) mustReal() {
	if m.ch == nil {
		panic("providers: Mutex used without NewMutex; make Mutexes with NewMutex")
	}
}
