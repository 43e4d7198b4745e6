package history_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/history"
)

// record records op by client, from the clock's time to a second later,
// ended by end.
func record(h *history.History[Op, Result], c *clock, client int, op Op, end func(history.Call[Op, Result])) {
	call := h.Call(client, op)
	c.Advance(time.Second)
	end(call)
}

func returns(r Result) func(history.Call[Op, Result]) {
	return func(c history.Call[Op, Result]) { c.Return(r) }
}

func drop(c history.Call[Op, Result]) { c.Drop() }

// TestDroppedWriteThatWasReadIsNamed checks that a failure explained by a
// dropped write that did take effect (a read returned its value) names
// that write, with its call and the time it was dropped, and says how to
// record such a call.
func TestDroppedWriteThatWasReadIsNamed(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	record(h, c, 0, Op{Write: true, Value: 1}, returns(Result{}))
	record(h, c, 1, Op{Write: true, Value: 2}, drop)
	record(h, c, 2, Op{}, drop) // a read that failed, rightly dropped
	record(h, c, 3, Op{Write: true, Value: 3}, drop)
	record(h, c, 2, Op{}, returns(Result{Value: 2}))

	err := history.Check(h, register)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "the history of 2 operations by 2 clients (and 3 dropped, left out as having changed nothing, which the last line doubts) is not linearizable")
	lines := strings.Split(msg, "\n")
	assert.Equal(t, "  had the dropped client 1's write(2) (called at 1.000s, dropped at 2.000s) taken effect, the history would be linearizable, so the failure may be the recording's: "+
		"Drop says a call changed nothing: end one whose error cannot tell (a timeout, a lost connection, a refusal of a request that was sent again) with Unknown, "+
		"and Drop only what never left (rpc.ErrNotSent) or what your protocol proves had no effect", lines[len(lines)-1])
}

// TestDroppedWritesTogetherAreCounted checks a failure that only two
// dropped writes together explain: no one is named, and the line says so.
func TestDroppedWritesTogetherAreCounted(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	record(h, c, 0, Op{Write: true, Value: 2}, drop)
	record(h, c, 0, Op{Write: true, Value: 3}, drop)
	record(h, c, 1, Op{}, returns(Result{Value: 2}))
	record(h, c, 1, Op{}, returns(Result{Value: 3}))

	err := history.Check(h, register)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "\n  had its 2 dropped operations taken effect, the history would be linearizable (no one of those tried alone makes it so), so the failure may be the recording's")
}

// TestDropThatExplainsNothingIsNotBlamed checks that a failure no dropped
// operation explains, a read of a value nobody wrote, blames none.
func TestDropThatExplainsNothingIsNotBlamed(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	record(h, c, 0, Op{Write: true, Value: 2}, drop)
	record(h, c, 1, Op{}, returns(Result{Value: 9}))

	err := history.Check(h, register)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "(and 1 dropped, left out as having changed nothing) is not linearizable")
	assert.NotContains(t, err.Error(), "taken effect")
}

// TestBlameStaysInTheFailingPart checks that, with Model.Partition, only
// the failing part's dropped operations are tried: a dropped write of
// another key, which would make a read of its value fine, is not named.
func TestBlameStaysInTheFailingPart(t *testing.T) {
	type step struct {
		op      put
		got     int
		dropped bool
	}
	check := func(steps ...step) error {
		c := &clock{now: epoch}
		h := history.New[put, int](c.Now)
		for _, st := range steps {
			call := h.Call(0, st.op)
			c.Advance(time.Second)
			if st.dropped {
				call.Drop()
			} else {
				call.Return(st.got)
			}
		}
		return history.Check(h, kv)
	}
	err := check(step{put{"a", true, 7}, 0, true}, step{put{"b", false, 0}, 7, false})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "taken effect", "part a's write of 7 is not b's")

	err = check(step{put{"a", true, 7}, 0, true}, step{put{"b", true, 7}, 0, true}, step{put{"b", false, 0}, 7, false})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "had the dropped client 0's {b true 7} -> ? (called at 1.000s, dropped at 2.000s) taken effect", "the failing part's own dropped write")
}

// TestAWriteDroppedByMistakeIsNamed checks, over generated runs of a
// correct register whose clients dropped some writes that took effect,
// that the check either passes or names a dropped write that explains its
// failure when one alone does: where a single write that took effect was
// dropped, always. Several such writes together may take the search of
// all past its bound, and are not asserted on.
func TestAWriteDroppedByMistakeIsNamed(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h, _, _, ops := drawRun(t, true)
		misdropped := 0
		for _, g := range ops {
			if g.op.Write && g.drop {
				misdropped++
			}
		}
		err := history.Check(h, register)
		if err != nil && misdropped == 1 {
			assert.Contains(t, err.Error(), "\n  had the dropped client ")
			assert.Contains(t, err.Error(), "taken effect, the history would be linearizable, so the failure may be the recording's")
		}
	})
}

// TestBlameIsBounded checks that a failing check of a history with dozens
// of dropped writes, which taken as of unknown outcome would take the
// search past any bound, still returns, with no unbounded MaxSteps of its
// own, and blames none of them: the search for an explanation is cut
// where the check itself was not.
func TestBlameIsBounded(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	record(h, c, 0, Op{Write: true, Value: 1}, returns(Result{}))
	for i := range 40 { // dropped, each from a client of its own
		h.Call(10+i, Op{Write: true, Value: 100 + i}).Drop()
		c.Advance(time.Millisecond)
	}
	for range 20 {
		record(h, c, 1, Op{}, returns(Result{Value: 1}))
	}
	overwriteThenRead(h, c, 2, 1, time.Millisecond)

	err := history.Check(h, register)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "(and 40 dropped, left out as having changed nothing) is not linearizable")
	assert.NotContains(t, err.Error(), "taken effect")
}

// TestBlameOfOnePartDoesNotClearTheOthers checks that, with
// Model.Partition, a dropped write that explains the failing part the
// first line names is said to make that part linearizable, not the
// history, while another part fails that no drop explains.
func TestBlameOfOnePartDoesNotClearTheOthers(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[put, int](c.Now)
	h.Call(0, put{"b", true, 7}).Drop()
	c.Advance(time.Second)
	call := h.Call(0, put{"b", false, 0})
	c.Advance(time.Second)
	call.Return(7)
	call = h.Call(1, put{"a", false, 0})
	c.Advance(time.Second)
	call.Return(9) // written by none

	err := history.Check(h, kv)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "; 2 parts fail")
	assert.Contains(t, msg, "\n  had the dropped client 0's {b true 7} -> ? (called at 0.000s, dropped at 0.000s) taken effect, part \"b\" would be linearizable, so that part's failure (not the other parts') may be the recording's: ")
	assert.NotContains(t, msg, "the history would be linearizable", "part a fails whatever b's write did")
}
