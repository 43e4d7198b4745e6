package sim

import (
	"context"
	"slices"
	"strconv"
	"unsafe"
)

// A poll of the owned waiters wakes those whose context ended since the
// last, in the order of a scan of the whole list: positions from 0 up, a
// woken waiter's place taken by the last waiter, which the scan looks at
// next. A large cluster parks tens of thousands of tasks and ends a
// context every few steps, and a scan of every waiter at each poll was
// most of such a run's time. So a context's end marks the waiters it may
// end (markWaiters), and the poll replays the scan over the marked alone
// (pollOwned): the same tasks woken in the same order, at a cost of the
// ends, not of the waiters.
//
// The end of a task's own context marks its task, found from the context
// (a task's own context is in the task's allocation), if the task waits
// on it. The end of another owned context marks the tasks that wait on
// it, or on a context that adds values to it, which a list through the
// slots of its waiters keeps, from the park that adds a waiter to the
// wake that takes it out: only on the general path of a park, never on a
// sleep's on the task's own context.
type ownedMarks struct {
	// marks are the wait tokens (slot and wait generation) of the owned
	// waiters whose context ended since the last poll. A token whose task
	// was woken otherwise meanwhile, or ended, is stale: its generation
	// has moved on.
	marks []uint64
	// polled is the poll's positions, kept for the next.
	polled []int32
	// waitNext and waitPrev link, by slot, the waiters of an owned
	// simContext that tasks wait on as other than their own, from its
	// waitFirst; waitBase is the simContext a slot's task is listed
	// under, nil if none.
	waitNext, waitPrev []int32
	waitBase           []*simContext
	// checkPoll, set by tests, has each poll of the owned waiters compare
	// the tasks it wakes, in order, with a scan of every waiter's, and
	// keep the first difference in pollDiff.
	checkPoll bool
	pollDiff  string
}

// watchCtx lists t, which parks on ctx, an owned context other than its
// own, as a waiter of the simContext whose end ends ctx: ctx, or the one
// ctx adds values to (links).
func (w *World) watchCtx(t *task, ctx context.Context) {
	c, ok := ctx.(*simContext)
	if !ok || c.w != w {
		c, _ = ctx.Value(simContextKey{}).(*simContext)
	}
	if c == nil || c.w != w {
		// Not a context an owned wait can be on (isOwned): a waiter the
		// marks would miss.
		panic("sim: an owned wait on a context that adds no simContext of the world's")
	}
	s, first := t.slot, c.waitFirst-1
	w.waitBase[s], w.waitPrev[s], w.waitNext[s] = c, -1, first
	if first >= 0 {
		w.waitPrev[first] = s
	}
	c.waitFirst = s + 1
}

// unwatchCtx takes t out of the waiters of the simContext watchCtx listed
// it under.
func (w *World) unwatchCtx(t *task) {
	s := t.slot
	c := w.waitBase[s]
	if c == nil {
		return
	}
	prev, next := w.waitPrev[s], w.waitNext[s]
	if next >= 0 {
		w.waitPrev[next] = prev
	}
	if prev >= 0 {
		w.waitNext[prev] = next
	} else {
		c.waitFirst = next + 1
	}
	w.waitBase[s], w.waitPrev[s], w.waitNext[s] = nil, -1, -1
}

// markWaiters marks the owned waiters that the end of c, an owned
// simContext, may end: its task, for a task's own context, and the tasks
// listed as its waiters.
func (w *World) markWaiters(c *simContext) {
	if c.taskOwn {
		t := (*task)(unsafe.Add(unsafe.Pointer(c), -int(unsafe.Offsetof(task{}.ownCtx))))
		if t.parked && t.waitOwn && t.ctxOwned {
			w.marks = append(w.marks, uint64(t.waitToken()))
		}
	}
	for s := c.waitFirst - 1; s >= 0; s = w.waitNext[s] {
		w.marks = append(w.marks, uint64(w.slotTask[s].waitToken()))
	}
}

// ownedDone reports whether the context of t's wait, owned, is done.
func (w *World) ownedDone(t *task) bool {
	if t.waitOwn {
		return t.ownCtx.state.Load() != ctxOpen
	}
	c := t.waitCtx
	return w.waitEnded(c, w.waitChan(c))
}

// pollOwned wakes the owned waiters whose context is done, in the order a
// scan of the list wakes them (see ownedMarks).
func (w *World) pollOwned() bool {
	var want []uint32
	if w.checkPoll {
		want = w.scanOwned()
	}
	// The marked waiters still waiting, and done, by their places.
	pos := w.polled[:0]
	for _, tok := range w.marks {
		t := w.slotTask[tok>>32]
		if t == nil || !t.parked || t.waitGen != uint32(tok) || !t.ctxOwned {
			continue
		}
		if i := w.ctxPos[t.slot]; i >= 0 && w.ownedDone(t) {
			pos = append(pos, i)
		}
	}
	w.marks = w.marks[:0]
	slices.Sort(pos)
	pos = slices.Compact(pos)
	w.polled = pos
	var got []uint32
	// The scan wakes the first; the last waiter takes its place, and
	// is woken next if it is marked too: the last is the greatest
	// place of all, the marked's last.
	for lo, hi := 0, len(pos); lo < hi; lo++ {
		i := pos[lo]
		for {
			last := int32(len(w.ownedWaiters) - 1)
			t := w.slotTask[w.ownedWaiters[i]]
			if w.checkPoll {
				got = append(got, t.id)
			}
			w.wakeEnded(t)
			if i == last || lo+1 >= hi || pos[hi-1] != last {
				break
			}
			hi--
		}
	}
	if w.checkPoll && !slices.Equal(got, want) && w.pollDiff == "" {
		w.pollDiff = "the marks woke tasks " + fmtIDs(got) + ", a scan would wake " + fmtIDs(want)
	}
	return len(pos) > 0
}

// scanOwned returns the ids of the owned waiters a scan of the whole list
// would wake, in its order, waking none: the model of pollOwned, for
// checkPoll.
func (w *World) scanOwned() []uint32 {
	var woke []uint32
	list := slices.Clone(w.ownedWaiters)
	for i := 0; i < len(list); {
		if t := w.slotTask[list[i]]; w.ownedDone(t) {
			woke = append(woke, t.id)
			list[i] = list[len(list)-1]
			list = list[:len(list)-1]
			continue
		}
		i++
	}
	return woke
}

// fmtIDs formats task ids for pollDiff.
func fmtIDs(ids []uint32) string {
	b := []byte{'['}
	for i, id := range ids {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendUint(b, uint64(id), 10)
	}
	return string(append(b, ']'))
}
