package sim

import (
	"context"
	"iter"
)

// The ready list and the lists of context waiters are sets of tasks whose
// order is part of the run: the scheduler draws an index into the ready
// list, and the waiters are polled in list order. Removing an entry moves
// the last one into its place. The moved task's position is kept in a
// dense array of the world's, indexed by the task's slot, rather than in
// the task: a run resumes many tasks in turn, and the moved one would be a
// second task's cold cache line written on every step.
//
// A list of context waiters holds slots alone, and the world finds a
// waiter's task by its slot (slotTask) only when it polls: a sleep joins
// and leaves such a list, and an entry without pointers is a third the
// size and needs no write barrier.

// A listEntry is a task in a list, with what the scheduler needs to
// resume it at hand: the scheduler reaches the task's own fields only once
// the task runs.
type listEntry struct {
	t    *task
	next func() (struct{}, bool) // t.next
	slot int32
	id   uint32
}

// newSlot gives t a slot: the one a finished task gave back last, or a
// new one.
func (w *World) newSlot(t *task) {
	if n := len(w.freeSlots); n > 0 {
		t.slot = w.freeSlots[n-1]
		w.freeSlots = w.freeSlots[:n-1]
	} else {
		t.slot = int32(len(w.readyPos))
		w.readyPos = append(w.readyPos, -1)
		w.readyStep = append(w.readyStep, 0)
		w.ctxPos = append(w.ctxPos, -1)
		w.slotTask = append(w.slotTask, nil)
		w.slotGen = append(w.slotGen, 0)
		w.waitNext = append(w.waitNext, -1)
		w.waitPrev = append(w.waitPrev, -1)
		w.waitBase = append(w.waitBase, nil)
	}
	w.slotTask[t.slot] = t
	t.waitGen = w.slotGen[t.slot]
}

// freeSlot gives t's slot back; t is in no list, and it must never be
// put in one again.
func (w *World) freeSlot(t *task) {
	w.slotTask[t.slot] = nil
	w.slotGen[t.slot] = t.waitGen + 1
	w.freeSlots = append(w.freeSlots, t.slot)
}

// listAdd appends t to list, recording its position in pos.
func listAdd(list *[]listEntry, pos []int32, t *task) {
	pos[t.slot] = int32(len(*list))
	*list = append(*list, listEntry{t: t, next: t.next, slot: t.slot, id: t.id})
}

// listRemove removes the entry at i from list, moving the last one in.
func listRemove(list *[]listEntry, pos []int32, i int) {
	l := *list
	last := len(l) - 1
	pos[l[i].slot] = -1
	if i != last {
		m := l[last]
		l[i] = m
		pos[m.slot] = int32(i)
	}
	l[last] = listEntry{}
	*list = (*list)[:last] // a store of the length alone
}

// waitAdd appends t to a list of context waiters, recording its position
// in pos.
func waitAdd(list *[]int32, pos []int32, t *task) {
	pos[t.slot] = int32(len(*list))
	*list = append(*list, t.slot)
}

// waitRemove removes the entry at i from a list of context waiters, moving
// the last one in.
func waitRemove(list *[]int32, pos []int32, i int) {
	l := *list
	last := len(l) - 1
	pos[l[i]] = -1
	if i != last {
		m := l[last]
		l[i] = m
		pos[m] = int32(i)
	}
	*list = (*list)[:last] // a store of the length alone
}

// A ctxWaiter is an entry of the foreign waiters: a task's slot, and what
// a poll reads to learn whether the context of its wait has ended,
// resolved as it parks. For a simContext of the world's (c), that is its
// state and ext's error; for any other context, its Done channel.
type ctxWaiter struct {
	c    *simContext
	ext  context.Context // c.ext
	done <-chan struct{} // when c is nil
	slot int32
}

// foreignAdd appends t, which waits on ctx, watched through d
// (waitChan(ctx)), to the foreign waiters.
func (w *World) foreignAdd(t *task, ctx context.Context, d <-chan struct{}) {
	e := ctxWaiter{slot: t.slot, done: d}
	if d == w.never[1] {
		c := ctx.(*simContext)
		e.c, e.ext, e.done = c, c.extCtx(), nil
	}
	w.ctxPos[t.slot] = int32(len(w.foreignWaiters))
	w.foreignWaiters = append(w.foreignWaiters, e)
}

// foreignRemove removes the entry at i from the foreign waiters, moving
// the last one in.
func (w *World) foreignRemove(i int) {
	l := w.foreignWaiters
	last := len(l) - 1
	w.ctxPos[l[i].slot] = -1
	if i != last {
		l[i] = l[last]
		w.ctxPos[l[i].slot] = int32(i)
	}
	l[last] = ctxWaiter{}
	w.foreignWaiters = l[:last]
}

// The world's tasks, w.tasks, are kept in start order, for reports, for
// the kills of a group and of the teardown, and for Pause's held tasks. A
// task that ends leaves a nil in its place, and the list is compacted once
// the nils are more than half of it: an end costs O(1) amortized, where
// closing the gap at once cost O(tasks), and a teardown of a large
// cluster's tens of thousands of tasks O(tasks²).

// dropTask takes t, which ended, out of the world's tasks.
func (w *World) dropTask(t *task) {
	w.tasks[t.pos] = nil
	w.deadTasks++
	if 2*w.deadTasks > len(w.tasks) {
		w.compactTasks()
	}
}

// compactTasks closes the gaps the ended tasks left in w.tasks.
func (w *World) compactTasks() {
	n := 0
	for _, t := range w.tasks {
		if t != nil {
			t.pos = n
			w.tasks[n] = t
			n++
		}
	}
	clear(w.tasks[n:])
	w.tasks = w.tasks[:n]
	w.deadTasks = 0
	w.taskHead = 0
}

// liveTasks yields the live tasks in start order. Its caller must not end
// tasks as it goes (compactTasks would move them under it): killAll
// uses firstTask.
func (w *World) liveTasks() iter.Seq[*task] {
	return func(yield func(*task) bool) {
		for _, t := range w.tasks {
			if t != nil && !yield(t) {
				return
			}
		}
	}
}

// alive reports how many tasks are alive.
func (w *World) alive() int { return len(w.tasks) - w.deadTasks }

// firstTask returns the live task started first, or nil. The nils it
// passes over stay passed (taskHead) until a compaction moves the tasks.
func (w *World) firstTask() *task {
	for ; w.taskHead < len(w.tasks); w.taskHead++ {
		if t := w.tasks[w.taskHead]; t != nil {
			return t
		}
	}
	return nil
}

// ReadyNow names the tasks, other than the running one, that were ready
// to run before the current step began and have not run since: due at
// this instant, they could have run before it on another seed, as tasks
// due at one instant run in an order that the seed draws. Those the step
// made ready (a task it started or woke) could not have, nor could those
// made ready by the events since the last step, as no task runs between
// them. They are in the ready list's order, not the draw's, each by the
// name the timeline gives it (a reader running an rpc handler inline, by
// the handler's). Quiet tasks are named too, whose starts and ends the
// timeline leaves out: an rpc connection's reader, a program host's
// socket helper, due at the instant, does its work in an order the seed
// draws as any task does. It is for a failure's report (it allocates),
// and leaves the run as it is.
func (w *World) ReadyNow() []string {
	var names []string
	for _, e := range w.ready {
		if t := e.t; t != w.cur && w.readyStep[t.slot] < w.steps {
			names = append(names, t.shown())
		}
	}
	return names
}
