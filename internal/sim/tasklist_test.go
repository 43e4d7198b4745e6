package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/providers"
)

// checkLists reports where the ready list, the context waiters and the
// positions kept by slot disagree.
func (w *World) checkLists() error {
	inList := make(map[int32]bool)
	for i, e := range w.ready {
		switch {
		case e.slot != e.t.slot || e.id != e.t.id:
			return fmt.Errorf("ready[%d] holds slot %d and id %d for task %d of slot %d", i, e.slot, e.id, e.t.id, e.t.slot)
		case int(w.readyPos[e.slot]) != i:
			return fmt.Errorf("ready[%d] is task %d, whose position reads %d", i, e.t.id, w.readyPos[e.slot])
		case e.t.finished:
			return fmt.Errorf("ready[%d] is task %d, which finished", i, e.t.id)
		}
		inList[e.slot] = true
	}
	for slot, i := range w.readyPos {
		if i >= 0 && !inList[int32(slot)] {
			return fmt.Errorf("slot %d reads ready at %d, and no ready task has it", slot, i)
		}
	}
	for _, l := range []struct {
		name  string
		slots []int32
	}{{"owned waiters", w.ownedWaiters}, {"foreign waiters", foreignSlots(w)}} {
		for i, slot := range l.slots {
			t := w.slotTask[slot]
			switch {
			case t == nil:
				return fmt.Errorf("%s[%d] holds slot %d, which no task has", l.name, i, slot)
			case t.slot != slot:
				return fmt.Errorf("%s[%d] holds slot %d, whose task %d has slot %d", l.name, i, slot, t.id, t.slot)
			case int(w.ctxPos[slot]) != i:
				return fmt.Errorf("%s[%d] is task %d, whose position reads %d", l.name, i, t.id, w.ctxPos[slot])
			case t.finished:
				return fmt.Errorf("%s[%d] is task %d, which finished", l.name, i, t.id)
			case !t.parked:
				return fmt.Errorf("%s[%d] is task %d, which is not parked", l.name, i, t.id)
			}
		}
	}
	waiters := make(map[*simContext]int)
	for _, slot := range w.ownedWaiters {
		if t := w.slotTask[slot]; !t.waitOwn {
			c, ok := t.waitCtx.(*simContext)
			if !ok {
				c, _ = t.waitCtx.Value(simContextKey{}).(*simContext)
			}
			if c == nil || w.waitBase[slot] != c {
				return fmt.Errorf("task %d waits on an owned context, and is not listed under its simContext", t.id)
			}
			waiters[c]++
		} else if w.waitBase[slot] != nil {
			return fmt.Errorf("task %d waits on its own context, and is listed under another", t.id)
		}
	}
	for c, n := range waiters {
		listed := 0
		for s := c.waitFirst - 1; s >= 0 && listed <= n; s = w.waitNext[s] {
			if w.waitBase[s] != c {
				return fmt.Errorf("slot %d is listed under a context it does not wait on", s)
			}
			listed++
		}
		if listed != n {
			return fmt.Errorf("a context has %d owned waiters, and %d are listed", n, listed)
		}
	}
	for i, e := range w.foreignWaiters {
		t := w.slotTask[e.slot]
		ctx := t.waitCtx
		if t.waitOwn {
			ctx = t.ctx
		}
		if c, ok := ctx.(*simContext); ok && c.w == w {
			if e.c != c || e.ext != c.extCtx() || e.done != nil {
				return fmt.Errorf("foreign waiters[%d], task %d, does not hold its simContext and ext", i, t.id)
			}
		} else if e.c != nil || e.ext != nil || e.done != ctx.Done() {
			return fmt.Errorf("foreign waiters[%d], task %d, does not hold its context's Done channel", i, t.id)
		}
	}
	return nil
}

// The ready list and the lists of context waiters stay consistent with the
// positions kept by slot while tasks sleep, yield, wait on cancelled
// contexts, finish, are killed, and new tasks take the slots of finished
// ones.
func TestTaskListsStayConsistent(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		n := rapid.IntRange(1, 12).Draw(rt, "tasks")
		type op struct{ kind, arg int }
		plans := make([][]op, 2*n)
		for i := range plans {
			plans[i] = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) op {
				return op{rapid.IntRange(0, 3).Draw(t, "kind"), rapid.IntRange(0, 5).Draw(t, "arg")}
			}), 0, 8).Draw(rt, "plan")
		}
		w := New(Config{Seed: seed})
		w.checkPoll = true
		var bad error
		w.AfterStep(func() {
			if w.pollDiff != "" && bad == nil {
				bad = errors.New(w.pollDiff)
			}
			if err := w.checkLists(); err != nil && bad == nil {
				bad = fmt.Errorf("at step %d: %w", w.steps, err)
			}
		})
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			body := func(plan []op) func(context.Context) error {
				return func(ctx context.Context) error {
					for _, o := range plan {
						switch o.kind {
						case 0:
							_ = p.Time.Sleep(ctx, time.Duration(o.arg)*time.Millisecond)
						case 1:
							p.Task.Yield(ctx)
						case 2:
							c, cancel := p.Time.WithTimeout(ctx, time.Duration(o.arg)*time.Millisecond)
							_ = p.Time.Sleep(c, 3*time.Millisecond)
							cancel()
						case 3:
							if o.arg == 0 {
								return nil
							}
						}
					}
					return nil
				}
			}
			var hs []providers.Handle
			for i := range n {
				hs = append(hs, p.Task.Go(ctx, "task", body(plans[i])))
			}
			for i := range n {
				_ = p.Time.Sleep(ctx, time.Millisecond)
				switch i % 3 {
				case 0:
					w.Kill(hs[i])
				case 1:
					hs[i].Cancel()
				}
				hs = append(hs, p.Task.Go(ctx, "later", body(plans[n+i])))
			}
			for _, h := range hs {
				_ = h.Join(ctx)
			}
			return w.checkLists()
		})
		if res.Err != nil {
			rt.Fatal(res.Err)
		}
		if bad != nil {
			rt.Fatal(bad)
		}
	})
}

// sizeClasses are the runtime's allocation size classes up to 1 KB
// (internal/runtime/gc/sizeclasses.go in the Go distribution).
var sizeClasses = []uintptr{8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024}

// A task's hot fields fill its first two cache lines only if the task
// starts on a line: its size class must be a multiple of 64 bytes. A field
// that pushes it into the next class (320 to 352) breaks that.
func TestTaskIsAlignedToCacheLines(t *testing.T) {
	skipOn32Bit(t)
	size := unsafe.Sizeof(task{})
	i := slices.IndexFunc(sizeClasses, func(c uintptr) bool { return c >= size })
	require.GreaterOrEqual(t, i, 0, "a task of %d bytes is larger than the classes listed", size)
	assert.Zero(t, sizeClasses[i]%64, "a task of %d bytes is allocated in the class of %d, not a multiple of 64: put small fields in the padding, or pad it to the next multiple", size, sizeClasses[i])
	var x task
	line := func(off uintptr) uintptr { return off / 64 }
	// What the task reads and writes when it is resumed and parks again.
	for name, off := range map[string]uintptr{
		"yield": unsafe.Offsetof(x.yield), "g": unsafe.Offsetof(x.g), "ctx": unsafe.Offsetof(x.ctx),
		"what": unsafe.Offsetof(x.what), "openAt": unsafe.Offsetof(x.openAt), "killed": unsafe.Offsetof(x.killed),
		"owned": unsafe.Offsetof(x.owned), "inOnPark": unsafe.Offsetof(x.inOnPark), "ctxWoke": unsafe.Offsetof(x.ctxWoke),
	} {
		assert.Zero(t, line(off), "field %s is read or written on every park and resume: keep it in the task's first line", name)
	}
	// All that the scheduler touches when a sleep ends.
	for name, off := range map[string]uintptr{
		"sleep": unsafe.Offsetof(x.sleep), "sleep's end": unsafe.Offsetof(x.sleep) + unsafe.Sizeof(x.sleep) - 1,
		"next": unsafe.Offsetof(x.next), "onPark": unsafe.Offsetof(x.onPark), "slot": unsafe.Offsetof(x.slot),
		"id": unsafe.Offsetof(x.id), "waitGen": unsafe.Offsetof(x.waitGen), "parked": unsafe.Offsetof(x.parked),
		"ctxOwned": unsafe.Offsetof(x.ctxOwned), "waitOwn": unsafe.Offsetof(x.waitOwn),
	} {
		assert.Equal(t, uintptr(1), line(off), "field %s is touched when a sleep ends: keep it in the task's second line, so that a wake-up reads one line", name)
	}
}

// foreignSlots returns the slots of the foreign waiters, in list order.
func foreignSlots(w *World) []int32 {
	var slots []int32
	for _, e := range w.foreignWaiters {
		slots = append(slots, e.slot)
	}
	return slots
}

// checkTasks reports where w.tasks, its count of nils and the tasks'
// positions disagree.
func (w *World) checkTasks() error {
	dead := 0
	for i, t := range w.tasks {
		switch {
		case t == nil:
			dead++
		case t.pos != i:
			return fmt.Errorf("tasks[%d] is task %d, whose position reads %d", i, t.id, t.pos)
		case t.finished:
			return fmt.Errorf("tasks[%d] is task %d, which finished", i, t.id)
		case i > 0 && w.tasks[i-1] != nil && w.tasks[i-1].id > t.id:
			return fmt.Errorf("tasks[%d] is task %d, after task %d", i, t.id, w.tasks[i-1].id)
		}
	}
	if dead != w.deadTasks {
		return fmt.Errorf("tasks holds %d nils, and its count reads %d", dead, w.deadTasks)
	}
	if 2*dead > len(w.tasks) {
		return fmt.Errorf("tasks holds %d nils of %d, more than half", dead, len(w.tasks))
	}
	return nil
}

// A task's end leaves the other tasks where they stand in the world's
// list (it costs no renumbering of the later ones, which made a large
// cluster's teardown quadratic), the list stays in start order through
// its compactions, and the teardown kills the tasks left in start order.
func TestATasksEndMovesNoOtherTask(t *testing.T) {
	const n = 1000
	w := New(Config{Seed: 1})
	var killed []int
	var bad error
	w.AfterStep(func() {
		if err := w.checkTasks(); err != nil && bad == nil {
			bad = fmt.Errorf("at step %d: %w", w.steps, err)
		}
	})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		for i := range n {
			p.Task.Go(ctx, "task", func(ctx context.Context) error {
				defer func() { killed = append(killed, i) }()
				// Every third task ends at 1ms; the others wait for the
				// teardown.
				if i%3 == 0 {
					return p.Time.Sleep(ctx, time.Millisecond)
				}
				return p.Time.Sleep(ctx, time.Hour)
			})
		}
		_ = p.Time.Sleep(ctx, time.Microsecond)
		last := w.tasks[len(w.tasks)-1]
		pos := last.pos
		_ = p.Time.Sleep(ctx, time.Millisecond) // a third of the tasks end
		if last.pos != pos {
			return fmt.Errorf("the last task started moved from %d to %d as earlier tasks ended", pos, last.pos)
		}
		killed = nil
		return nil
	})
	require.NoError(t, res.Err)
	require.NoError(t, bad)
	var want []int
	for i := range n {
		if i%3 != 0 {
			want = append(want, i)
		}
	}
	assert.Equal(t, want, killed, "the teardown kills the tasks left in start order")
	assert.Empty(t, w.tasks, "every task was taken out")
}
