package history_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/history"
)

// kvOp is an operation on one key of a map of registers.
type kvOp struct {
	Key   string
	Write bool
	Value int
}

var kvModel = history.Model[int, kvOp, int]{
	Init: func() int { return 0 },
	Step: func(state int, op kvOp, got int) (bool, int) {
		if op.Write {
			return true, op.Value
		}
		return got == state, state
	},
	Partition: func(op kvOp) string { return op.Key },
}

// record records ops one after another, each returning got, a second
// apart.
func recordKV(c *clock, h *history.History[kvOp, int], steps ...kvStep) {
	for _, s := range steps {
		call := h.Call(0, s.op)
		c.Advance(time.Second)
		call.Return(s.got)
	}
}

type kvStep struct {
	op  kvOp
	got int
}

func writes(key string, n int) []kvStep {
	var steps []kvStep
	for i := range n {
		steps = append(steps, kvStep{kvOp{key, true, i + 1}, 0})
	}
	return steps
}

// TestMaxStepsLeavesTheOutcomeUnknown checks that a part whose search
// takes more than MaxSteps makes the check fail as unknown, the same way
// each time, with no word of real time.
func TestMaxStepsLeavesTheOutcomeUnknown(t *testing.T) {
	defer goleak.VerifyNone(t)
	c := &clock{now: epoch}
	h := history.New[kvOp, int](c.Now)
	recordKV(c, h, writes("short", 2)...)
	recordKV(c, h, writes("long", 5)...)
	recordKV(c, h, writes("longer", 6)...)
	var first string
	for i := range 3 {
		err := history.Check(h, kvModel, history.MaxSteps(3), history.Timeout(time.Minute))
		require.Error(t, err)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		var herr *history.Error
		require.ErrorAs(t, err, &herr)
		assert.True(t, herr.Inconclusive())
		assert.False(t, herr.TimedOut())
		assert.True(t, herr.At().IsZero())
		if i == 0 {
			first = err.Error()
			assert.Equal(t, `the check of the history of 13 operations by 1 client did not finish: the searches of parts "long" and "longer" each took more than their 3 steps (MaxSteps), `+
				"so whether the history is linearizable is unknown: raise MaxSteps, or split the model's state with Model.Partition", first)
		}
		assert.Equal(t, first, err.Error(), "run %d", i)
	}
	require.NoError(t, history.Check(h, kvModel, history.MaxSteps(6)), "six steps check six writes")
}

// TestUncheckedPartsAreNamed checks that a failure in one part names the
// parts whose search was cut short as unchecked.
func TestUncheckedPartsAreNamed(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[kvOp, int](c.Now)
	recordKV(c, h, writes("a", 5)...)
	recordKV(c, h, kvStep{kvOp{"stale", false, 0}, 7})
	recordKV(c, h, writes("b", 5)...)
	err := history.Check(h, kvModel, history.MaxSteps(3))
	require.Error(t, err)
	var herr *history.Error
	require.ErrorAs(t, err, &herr)
	assert.False(t, herr.Inconclusive(), "a part failed")
	assert.False(t, herr.TimedOut())
	first, _, _ := strings.Cut(err.Error(), "\n")
	assert.Equal(t, `the history of 11 operations by 1 client is not linearizable: in part "stale", no order of the operations before it can take client 0's {stale false 0} -> 7 (5.000s-6.000s)`, first)
	assert.Contains(t, err.Error(), "\n  2 other parts went (\"a\" and \"b\") unchecked: the search of each took more than its 3 steps (MaxSteps), so whether they are linearizable is unknown")
	assert.NotContains(t, err.Error(), "machine's speed")
}

// casOp is a compare-and-swap from Old to New, or a read.
type casOp struct {
	Read     bool
	Old, New int
}

// casResult is what an operation returned: whether a compare-and-swap
// swapped, and what a read saw.
type casResult struct {
	OK    bool
	Value int
}

// naiveCAS steps a compare-and-swap by its output, as a model written
// for definite outcomes does.
var naiveCAS = history.Model[int, casOp, casResult]{
	Init: func() int { return 0 },
	Step: func(state int, op casOp, r casResult) (bool, int) {
		switch {
		case op.Read:
			return r.Value == state, state
		case r.OK:
			return state == op.Old, op.New
		default:
			return state != op.Old, state
		}
	},
}

// casHistory is a swap from 0 to 1 whose outcome is unknown, then a read
// that saw it.
func casHistory() *history.History[casOp, casResult] {
	c := &clock{now: epoch}
	h := history.New[casOp, casResult](c.Now)
	h.Call(0, casOp{Old: 0, New: 1}).Unknown()
	c.Advance(time.Second)
	r := h.Call(1, casOp{Read: true})
	c.Advance(time.Second)
	r.Return(casResult{Value: 1})
	return h
}

// TestUnknownCASNeedsStepUnknown checks that a model stepping an unknown
// compare-and-swap by its zero output fails a correct history, with a
// sentence that names the trap, and that StepUnknown fixes it.
func TestUnknownCASNeedsStepUnknown(t *testing.T) {
	err := history.Check(casHistory(), naiveCAS)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "\n  the model has no StepUnknown, so Step took each operation whose outcome is unknown with the zero output, and it judged that output: "+
		"it refused client 0's {false 0 1} -> ? (0.000s-?) in state 0.")
	assert.Contains(t, err.Error(), "give the model a StepUnknown")

	fixed := naiveCAS
	fixed.StepUnknown = func(state int, op casOp) int {
		if state == op.Old {
			return op.New
		}
		return state
	}
	require.NoError(t, history.Check(casHistory(), fixed))

	// A failure elsewhere does not name the trap once the model has a
	// StepUnknown.
	h := casHistory()
	h.Call(2, casOp{Read: true}).Return(casResult{Value: 5})
	err = history.Check(h, fixed)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "StepUnknown")
}

// TestUnknownWriteNeedsNoStepUnknown checks that a failure with unknown
// operations that Step does not judge, as a register's writes, does not
// name the trap.
func TestUnknownWriteNeedsNoStepUnknown(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	h.Call(0, Op{Write: true, Value: 1}).Unknown()
	c.Advance(time.Second)
	h.Call(1, Op{}).Return(Result{Value: 5})
	err := history.Check(h, register)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "StepUnknown")
}

// TestOutcomesCountEachEnding checks that Outcomes counts the operations
// by how they ended, and Len all of them.
func TestOutcomesCountEachEnding(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	h.Call(0, Op{Write: true, Value: 1}).Return(Result{})
	h.Call(0, Op{}).Return(Result{Value: 1})
	h.Call(1, Op{Write: true, Value: 2}).Unknown()
	h.Call(2, Op{}).Drop()
	h.Call(3, Op{Write: true, Value: 3})
	assert.Equal(t, history.Outcomes{Returned: 2, Unknown: 1, Dropped: 1, Pending: 1}, h.Outcomes())
	assert.Equal(t, 5, h.Len())
}

// TestCheckedAtIsOnTheHistorysClock checks that CheckedAt reads the
// history's clock when the check began, so that with At it tells how long
// before the check the failing operation was called, whatever the
// clock's offset.
func TestCheckedAtIsOnTheHistorysClock(t *testing.T) {
	skewed := epoch.Add(-900 * time.Millisecond)
	c := &clock{now: skewed}
	h := history.New[Op, Result](c.Now)
	c.Advance(2 * time.Second)
	r := h.Call(0, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 5})
	c.Advance(10 * time.Second)
	var herr *history.Error
	require.ErrorAs(t, history.Check(h, register), &herr)
	assert.Equal(t, skewed.Add(2*time.Second), herr.At())
	assert.Equal(t, skewed.Add(13*time.Second), herr.CheckedAt())
	assert.Equal(t, 11*time.Second, herr.CheckedAt().Sub(herr.At()), fmt.Sprint(herr))
}

// TestTimeoutNamesThePartsItCut checks that a failure in one part while
// the Timeout cut another's search names the failure, then the part cut,
// and says that real time decided it.
func TestTimeoutNamesThePartsItCut(t *testing.T) {
	defer goleak.VerifyNone(t)
	slow := kvModel
	slow.Step = func(state int, op kvOp, got int) (bool, int) {
		if op.Key == "slow" {
			time.Sleep(10 * time.Millisecond) // 400 of them outlast the timeout
		}
		return kvModel.Step(state, op, got)
	}
	c := &clock{now: epoch}
	h := history.New[kvOp, int](c.Now)
	recordKV(c, h, kvStep{kvOp{"stale", false, 0}, 7})
	recordKV(c, h, writes("slow", 400)...)
	err := history.Check(h, slow, history.Timeout(time.Second))
	require.Error(t, err)
	var herr *history.Error
	require.ErrorAs(t, err, &herr)
	assert.False(t, herr.Inconclusive(), "a part failed")
	assert.True(t, herr.TimedOut())
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "the failure is proven")
	assert.Contains(t, err.Error(), `in part "stale", no order of the operations before it can take client 0's {stale false 0} -> 7`)
	assert.Contains(t, err.Error(), "\n  part \"slow\" went unchecked: the check's timeout of 1s cut the search, so whether it is linearizable is unknown; "+
		"which parts it cuts depends on the machine's speed, so a replay or -simcheck may differ")
}
