package history_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/history"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// event is a moment of a generated run: an operation's call, the
// instant it takes effect, or its return.
type event struct {
	at   time.Duration
	kind int // call, effect, end
	op   int
}

const (
	callEvent = iota
	effectEvent
	endEvent
)

// genOp is an operation of a generated run.
type genOp struct {
	client  int
	op      Op
	result  Result
	unknown bool // a write recorded as Unknown, which may never take effect
	lands   bool // whether an unknown write took effect
	drop    bool // a read that failed, dropped; with misdrop, a write that took effect
	call    history.Call[Op, Result]
}

// drawRun draws operations on a correct register, each taking effect at
// an instant between its call and its return, and records them into a
// new history on a clock that follows the run. Every value written is
// unique. With misdrop, some writes that take effect are recorded as
// dropped, the mistake of a client that drops a call on an error that
// does not prove it changed nothing. It returns the history and the run's
// end.
func drawRun(t *rapid.T, misdrop bool) (*history.History[Op, Result], *clock, time.Duration, []*genOp) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	n := rapid.IntRange(0, 30).Draw(t, "ops")
	ops := make([]*genOp, n)
	var events []event
	for i := range ops {
		g := &genOp{client: rapid.IntRange(0, 3).Draw(t, "client")}
		if rapid.Bool().Draw(t, "write") {
			g.op = Op{Write: true, Value: i + 1}
			g.unknown = rapid.IntRange(0, 4).Draw(t, "unknown") == 0
			g.lands = g.unknown && rapid.Bool().Draw(t, "lands")
			g.drop = misdrop && !g.unknown && rapid.IntRange(0, 3).Draw(t, "misdrop") == 0
		} else {
			g.drop = rapid.IntRange(0, 4).Draw(t, "drop") == 0
		}
		call := time.Duration(rapid.IntRange(0, 100).Draw(t, "call")) * time.Millisecond
		effect := call + time.Duration(rapid.IntRange(0, 20).Draw(t, "effect"))*time.Millisecond
		end := effect + time.Duration(rapid.IntRange(0, 20).Draw(t, "end"))*time.Millisecond
		events = append(events, event{call, callEvent, i}, event{end, endEvent, i})
		if !g.unknown || g.lands {
			events = append(events, event{effect, effectEvent, i})
		}
		ops[i] = g
	}
	// By time, then calls before effects before ends: an operation that
	// ends at the instant another is called overlaps it.
	sortEvents(events)
	state := 0
	for _, e := range events {
		c.now = epoch.Add(e.at)
		g := ops[e.op]
		switch e.kind {
		case callEvent:
			g.call = h.Call(g.client, g.op)
		case effectEvent:
			if g.op.Write {
				state = g.op.Value
			} else {
				g.result = Result{Value: state}
			}
		case endEvent:
			switch {
			case g.unknown:
				g.call.Unknown()
			case g.drop:
				g.call.Drop()
			default:
				g.call.Return(g.result)
			}
		}
	}
	return h, c, c.now.Sub(epoch), ops
}

func sortEvents(events []event) {
	for i := 1; i < len(events); i++ {
		for j := i; j > 0 && (events[j].at < events[j-1].at || events[j].at == events[j-1].at && events[j].kind < events[j-1].kind); j-- {
			events[j], events[j-1] = events[j-1], events[j]
		}
	}
}

// TestCorrectRegisterIsLinearizable checks that what clients of a
// correct register saw, with writes of unknown outcome and dropped reads,
// always passes.
func TestCorrectRegisterIsLinearizable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h, _, _, _ := drawRun(t, false)
		require.NoError(t, history.Check(h, register))
	})
}

// TestStaleReadIsNamed checks that a read of a value overwritten before
// the read was called fails the check, and that the error's first line
// names that read, its client and its times, and At its call.
func TestStaleReadIsNamed(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h, c, end, ops := drawRun(t, false)
		// A value some returned write wrote, or the initial 0.
		stale := 0
		var known []int
		for _, g := range ops {
			if g.op.Write && !g.unknown {
				known = append(known, g.op.Value)
			}
		}
		if len(known) > 0 && rapid.Bool().Draw(t, "initial") {
			stale = rapid.SampledFrom(known).Draw(t, "stale")
		}
		c.now = epoch.Add(end + time.Second)
		w := h.Call(4, Op{Write: true, Value: 1000})
		c.Advance(time.Second)
		w.Return(Result{})
		readAt := c.now.Add(time.Second)
		c.now = readAt
		r := h.Call(5, Op{})
		c.Advance(time.Second)
		r.Return(Result{Value: stale})

		err := history.Check(h, register)
		require.Error(t, err)
		var herr *history.Error
		require.ErrorAs(t, err, &herr)
		first, _, _ := strings.Cut(err.Error(), "\n")
		from := readAt.Sub(epoch)
		want := fmt.Sprintf("client 5's read() -> %d (%.3fs-%.3fs)", stale, from.Seconds(), (from + time.Second).Seconds())
		assert.Contains(t, first, want)
		assert.Contains(t, first, "is not linearizable")
		assert.Contains(t, err.Error(), "client 4  write(1000)\n", "the write that returned before the read began")
		assert.Equal(t, readAt, herr.At())
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
	})
}

// TestBackToBackOperationsDoNotOverlap: in a simulation a client's next
// call comes at the instant its last one returned. The two keep the order
// they were recorded in, and do not overlap, so a stale read of a client's
// own write is caught.
func TestBackToBackOperationsDoNotOverlap(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	for _, v := range []int{1, 2} {
		w := h.Call(0, Op{Write: true, Value: v})
		c.Advance(time.Second)
		w.Return(Result{})
	}
	r := h.Call(0, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 1})
	err := history.Check(h, register)
	require.Error(t, err, "read() -> 1 after the client's own write(2) returned")
	assert.Contains(t, err.Error(), "no order of the operations before it can take client 0's read() -> 1")
}

// TestPendingCountsAsUnknown checks that an operation never ended may
// take effect: a read that saw its write passes.
func TestPendingCountsAsUnknown(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	require.NoError(t, history.Check(h, register), "an empty history")
	h.Call(0, Op{Write: true, Value: 3}) // never ended
	c.Advance(time.Second)
	r := h.Call(1, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 3})
	require.NoError(t, history.Check(h, register))
	assert.Equal(t, 2, h.Len())
}

// TestDroppedIsLeftOut checks that a dropped operation, whatever it
// returned, is not checked, and is not counted in the error.
func TestDroppedIsLeftOut(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	h.Call(0, Op{}).Drop()
	w := h.Call(1, Op{Write: true, Value: 1})
	c.Advance(time.Second)
	w.Return(Result{})
	r := h.Call(2, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 1})
	require.NoError(t, history.Check(h, register))

	bad := h.Call(3, Op{})
	c.Advance(time.Second)
	bad.Return(Result{Value: 9})
	err := history.Check(h, register)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the history of 3 operations by 3 clients (and 1 dropped, left out as having changed nothing) is not linearizable",
		"the dropped read is not checked, and the error says so: a drop that did change something explains a failure")
}

// TestUnknownReadTellsNothing checks that an unknown outcome is never
// judged: Step sees the zero output of a read whose reply never came, and
// its ok is not looked at.
func TestUnknownReadTellsNothing(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	w := h.Call(0, Op{Write: true, Value: 1})
	c.Advance(time.Second)
	w.Return(Result{})
	h.Call(1, Op{}).Unknown()
	require.NoError(t, history.Check(h, register))
}

// TestEndTwicePanics checks that a Call ends once, and that a zero Call
// says what to use instead.
func TestEndTwicePanics(t *testing.T) {
	h := history.New[Op, Result](time.Now)
	call := h.Call(0, Op{})
	call.Return(Result{})
	assert.PanicsWithValue(t, "history: Call.Drop of an operation that has already ended: end each Call once, with Return, Unknown or Drop", call.Drop)
	assert.PanicsWithValue(t, "history: Call.Return of a zero Call: use the Call that History.Call returns", func() {
		history.Call[Op, Result]{}.Return(Result{})
	})
	assert.PanicsWithValue(t, "history.Check: the model needs Init and Step", func() {
		_ = history.Check(h, history.Model[int, Op, Result]{})
	})
	assert.PanicsWithValue(t, "history.Check: the model's states, of type []int, cannot be compared with ==: give the model an Equal", func() {
		_ = history.Check(h, history.Model[[]int, Op, Result]{
			Init: func() []int { return nil },
			Step: func(s []int, _ Op, _ Result) (bool, []int) { return true, s },
		})
	})
}

// TestTimeoutIsAnError checks that a check that runs out of time fails,
// naming its timeout, and wraps context.DeadlineExceeded.
func TestTimeoutIsAnError(t *testing.T) {
	defer goleak.VerifyNone(t)
	slow := register
	slow.Step = func(state int, op Op, r Result) (bool, int) {
		time.Sleep(20 * time.Millisecond) // longer than the timeout
		return register.Step(state, op, r)
	}
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	for i := range 3 {
		w := h.Call(i, Op{Write: true, Value: i + 1})
		c.Advance(time.Second)
		w.Return(Result{})
	}
	err := history.Check(h, slow, history.Timeout(time.Millisecond))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, "the check of the history of 3 operations by 3 clients did not finish within its timeout of 1ms, so whether the history is linearizable is unknown: raise the Timeout, or split the model's state with Model.Partition; "+
		"this outcome depends on the machine's speed, so a replay or -simcheck may differ; MaxSteps bounds the search the same way on every machine", err.Error())
	var herr *history.Error
	require.ErrorAs(t, err, &herr)
	assert.True(t, herr.At().IsZero())
	assert.True(t, herr.Inconclusive())
	assert.True(t, herr.TimedOut())
}

// TestAttachOnFailureOnly checks that porcupine's page is given to
// Attach when the check fails, and not when it passes.
func TestAttachOnFailureOnly(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	var names []string
	var page []byte
	attach := history.Attach(func(name string, data []byte) {
		names = append(names, name)
		page = data
	})
	w := h.Call(0, Op{Write: true, Value: 1})
	c.Advance(time.Second)
	w.Return(Result{})
	require.NoError(t, history.Check(h, register, attach))
	assert.Empty(t, names)

	r := h.Call(1, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 2})
	require.Error(t, history.Check(h, register, attach))
	assert.Equal(t, []string{"porcupine.html"}, names)
	assert.True(t, strings.HasPrefix(string(page), "<!doctype html>"), "porcupine's page begins %.40q", page)
	assert.True(t, strings.Contains(string(page), `read() -\u003e 2`), "porcupine's page describes the read as the model does")
}

// put is an operation on a key of a store of registers, kv its model,
// partitioned by key.
type put struct {
	Key   string
	Write bool
	Value int
}

var kv = history.Model[int, put, int]{
	Init: func() int { return 0 },
	Step: func(state int, op put, got int) (bool, int) {
		if op.Write {
			return true, op.Value
		}
		return got == state, state
	},
	Partition: func(op put) string { return op.Key },
}

// TestPartsFailApart checks that, with Model.Partition, the error names
// each part that fails, and no other, and that the first line names the
// earliest operation that cannot be placed.
func TestPartsFailApart(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[put, int](c.Now)
	for _, step := range []struct {
		op  put
		got int
	}{
		{put{"ok", true, 1}, 0}, {put{"late", true, 1}, 0}, {put{"early", true, 1}, 0},
		{put{"ok", false, 0}, 1}, {put{"early", false, 0}, 2}, {put{"late", false, 0}, 3},
	} {
		call := h.Call(0, step.op)
		c.Advance(time.Second)
		call.Return(step.got)
	}
	err := history.Check(h, kv)
	require.Error(t, err)
	msg := err.Error()
	first, _, _ := strings.Cut(msg, "\n")
	assert.Contains(t, first, `in part "early", no order of the operations before it can take client 0's {early false 0} -> 2 (4.000s-5.000s); 2 parts fail`)
	assert.Contains(t, msg, `part "late": the longest order found takes 1 of its 2 operations`)
	assert.NotContains(t, msg, `part "ok"`)
	var herr *history.Error
	require.ErrorAs(t, err, &herr)
	assert.Equal(t, epoch.Add(4*time.Second), herr.At())
}

// TestNoOrderBegins checks the error of a part whose first operation
// cannot follow the initial state.
func TestNoOrderBegins(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	r := h.Call(0, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 5})
	err := history.Check(h, register)
	require.Error(t, err)
	assert.Equal(t, "the history of 1 operation by 1 client is not linearizable: no order of the operations before it can take client 0's read() -> 5 (0.000s-1.000s)\n"+
		"  no order of its 1 operations can even begin: from the initial state 0, none of these can come first:\n"+
		"      0.000s-1.000s  client 0  read() -> 5", err.Error())
}

// TestRecordingFromGoroutines checks that clients on goroutines of their
// own may record at once.
func TestRecordingFromGoroutines(t *testing.T) {
	h := history.New[Op, Result](time.Now)
	var wg sync.WaitGroup
	for id := range 4 {
		wg.Go(func() {
			for i := range 200 {
				call := h.Call(id, Op{Write: true, Value: id*1000 + i})
				call.Return(Result{})
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 800, h.Len())
	require.NoError(t, history.Check(h, register))
}

// TestRecordingDoesNotAllocate checks that a Call and its Return
// allocate nothing, but for a chunk now and then.
func TestRecordingDoesNotAllocate(t *testing.T) {
	h := history.New[Op, Result](func() time.Time { return epoch })
	allocs := testing.AllocsPerRun(1000, func() {
		h.Call(0, Op{Write: true, Value: 1}).Return(Result{})
	})
	assert.Zero(t, allocs)
}

// TestLongTailIsCut checks that the error shows the last operation of
// the longest order that returned before the one that cannot follow was
// called, however far back, and cuts the operations between.
func TestLongTailIsCut(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	w := h.Call(0, Op{Write: true, Value: 1})
	c.Advance(time.Second)
	w.Return(Result{})
	for i := range 10 {
		h.Call(i+1, Op{Write: true, Value: i + 2}).Unknown()
		c.Advance(time.Second)
	}
	r := h.Call(11, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 99})
	err := history.Check(h, register)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "the longest order found takes 11 of its 12 operations, ending with\n      0.000s-1.000s    client 0   write(1)\n      ... 3 more\n")
	assert.Contains(t, msg, "client 11  read() -> 99")
	assert.Equal(t, 8+1+1, strings.Count(msg, "\n      "), "8 of the order, the cut, and the read:\n%s", msg)
}

// A check reads the history's clock only when it fails, and a clock that
// can no longer be read (a simulated one after its seed ended) fails no
// check: a passing history passes, a failing one returns its error with
// no CheckedAt.
func TestACheckAfterTheClockEndedStillChecks(t *testing.T) {
	c := &clock{now: epoch}
	ended := false
	now := func() time.Time {
		if ended {
			panic("sim: Time.Now after the simulation ended")
		}
		return c.Now()
	}
	h := history.New[Op, Result](now)
	w := h.Call(0, Op{Write: true, Value: 1})
	c.Advance(time.Second)
	w.Return(Result{})
	ended = true
	require.NoError(t, history.Check(h, register), "a passing check reads no clock")

	ended = false
	r := h.Call(1, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 7}) // never written
	ended = true
	err := history.Check(h, register)
	var herr *history.Error
	require.ErrorAs(t, err, &herr)
	assert.True(t, herr.CheckedAt().IsZero(), "a clock that cannot be read gives no CheckedAt")
	assert.Equal(t, epoch.Add(time.Second), herr.At())
}
