package sim

import (
	"context"
	"fmt"
	"strings"

	"github.com/moonpool-go/moonpool/providers"
)

// A lockWait is what a task parked on a held lock (ParkLock) waits for:
// the lock's holder at any time, and the context that may end the wait.
type lockWait struct {
	holder func() any
	ctx    context.Context
}

// LockOwner returns the running task's name, as TaskName gives it, and
// the task itself, as a value that only ParkLock's holder functions hand
// back: a lock records both when it is taken. Both are zero outside any
// task. It is on no interface of package providers, as with OnPark.
func (p *taskProvider) LockOwner() (string, any) {
	t := (*World)(p).cur
	if t == nil {
		return "", nil
	}
	return t.shown(), t
}

// ParkLock is ParkDescribed for a task that waits on a lock someone holds:
// holder returns the lock's holder as LockOwner gave it (nil when it has
// none, or code outside any task holds it). Before the task parks, the
// holders are followed from lock to lock: if they lead back to the task,
// the tasks wait on each other and none will ever go on, and the run fails
// then as a deadlock, however many other tasks still run. It costs nothing
// where a lock is free; a lock that is taken pays for a walk as long as the
// chain of tasks that wait on each other's locks.
func (p *taskProvider) ParkLock(ctx context.Context, tok providers.WaitToken, what string, describe func() string, holder func() any) error {
	w := (*World)(p)
	t := w.current(what)
	if tok != t.waitToken() {
		panic("sim: Park with a WaitToken that is not the calling task's latest; call WaitToken right before Park")
	}
	t.describe = describe
	if w.lockWaits == nil {
		w.lockWaits = make(map[*task]lockWait)
	}
	w.lockWaits[t] = lockWait{holder: holder, ctx: ctx}
	defer func() {
		t.describe = nil
		delete(w.lockWaits, t)
	}()
	if ctx == nil {
		// parkTask's panic says what to pass; the walk would read
		// the nil context's Err first.
		return w.parkTask(t, ctx, what)
	}
	if cycle := w.lockCycle(t); cycle != nil {
		stack := userFrames(callerStack(3))
		w.fail(&Failure{Kind: Deadlock, Task: t.shown(), Stack: stack, Msg: w.lockCycleMsg(cycle, stack)})
		panic(stopSignal{})
	}
	return w.parkTask(t, ctx, what)
}

// lockCycle returns the tasks that wait on each other's locks, t first
// and each followed by the holder of the lock it waits on, when t's wait
// closes such a cycle; nil when it does not. A cycle is one only if none
// of its waits can end by itself: a wait whose context has a deadline
// (Lock with a time-out) gives up in time, and one whose context has
// ended returns at once. Any other context could still be cancelled, by a
// reboot or by code that cancels it, but a lock order that waits for that
// is a deadlock in production, where nothing reboots the process for it.
func (w *World) lockCycle(t *task) []*task {
	cycle := []*task{t}
	cur := t
	// Each task waits on one lock: the walk meets t again, or a task that
	// waits on no lock, within as many steps as there are tasks.
	for range len(w.tasks) {
		lw := w.lockWaits[cur]
		if lw.ctx.Err() != nil {
			return nil
		}
		if _, ok := lw.ctx.Deadline(); ok {
			return nil
		}
		h, _ := lw.holder().(*task)
		if h == nil || h.w != w {
			return nil
		}
		if h == t {
			// A task that waits on a lock it holds itself is left to the
			// report of a run in which nothing can run: a Mutex may be
			// unlocked by a task other than its holder, as a semaphore's
			// token, and with one task that is a way to wait for another.
			if len(cycle) == 1 {
				return nil
			}
			return cycle
		}
		if _, waits := w.lockWaits[h]; !waits || !h.parked {
			return nil
		}
		cycle = append(cycle, h)
		cur = h
	}
	return nil
}

// lockCycleMsg tells a lock cycle: each task, the lock it waits on and who
// holds it where, and the task's stack, then the fix. The first task is
// the running one, whose stack is given.
func (w *World) lockCycleMsg(cycle []*task, stack string) string {
	st := stacks()
	var b strings.Builder
	fmt.Fprintf(&b, "a lock cycle: %d tasks each wait on a Mutex that the next holds, so none of them will ever go on, "+
		"while other tasks may still run:\n", len(cycle))
	for i, t := range cycle {
		what := "mutex lock"
		if t.describe != nil {
			if d := t.describe(); d != "" {
				what += " (" + d + ")"
			}
		}
		g := waitGroup{state: "waits on " + what, names: []string{t.shown()}}
		if i == 0 {
			g.frames = stack
		} else if stack, ok := st[t.wk.label]; ok && t.started {
			g.frames = userFrames(stack)
		}
		g.write(&b)
	}
	if st == nil && len(cycle) > 1 {
		b.WriteString(noStacks + "\n")
	}
	b.WriteString("take the Mutexes in one order in every task (a task that holds one never waits on one taken earlier in that order), " +
		"or give up and retry when a Lock's context ends")
	return b.String()
}
