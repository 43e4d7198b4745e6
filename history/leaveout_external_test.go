package history_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/history"
)

// unread leaves out the register's unknown writes whose value no read
// returned.
var unread = history.LeaveOutUnread(
	func(op Op) (int, bool) { return op.Value, op.Write },
	func(r Result) (int, bool) { return r.Value, true },
)

// overwriteThenRead records a write of v that returns, then a read that
// begins after it and returns seen, each operation d long with d between:
// a stale read unless seen is v.
func overwriteThenRead(h *history.History[Op, Result], c *clock, v, seen int, d time.Duration) {
	w := h.Call(4, Op{Write: true, Value: v})
	c.Advance(d)
	w.Return(Result{})
	c.Advance(d)
	r := h.Call(5, Op{})
	c.Advance(d)
	r.Return(Result{Value: seen})
}

// TestLeavingOutUnreadWritesKeepsTheVerdict: on generated runs of a
// register, correct or with a stale read added, the check gives the
// same verdict with the unknown writes no read saw left out as without.
func TestLeavingOutUnreadWritesKeepsTheVerdict(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h, c, end, ops := drawRun(t, false)
		if rapid.Bool().Draw(t, "stale") {
			var known []int
			for _, g := range ops {
				if g.op.Write && !g.unknown {
					known = append(known, g.op.Value)
				}
			}
			stale := 0
			if len(known) > 0 {
				stale = rapid.SampledFrom(known).Draw(t, "value")
			}
			c.now = epoch.Add(end + time.Second)
			overwriteThenRead(h, c, 1000, stale, time.Second)
		}
		all, left := history.Check(h, register), history.Check(h, register, unread)
		assert.Equal(t, all == nil, left == nil, "all: %v\nleft out: %v", all, left)
	})
}

// TestUnreadUnknownWritesNoLongerBlowUpTheSearch: a register with many
// writes that timed out, none of whose values a read returned, takes the
// search past its bound; with them left out the check passes, and a
// stale read among them is still found.
func TestUnreadUnknownWritesNoLongerBlowUpTheSearch(t *testing.T) {
	for _, stale := range []bool{false, true} {
		c := &clock{now: epoch}
		h := history.New[Op, Result](c.Now)
		w := h.Call(0, Op{Write: true, Value: 1})
		c.Advance(time.Millisecond)
		w.Return(Result{})
		for i := range 40 { // timed out, each from a client of its own
			h.Call(10+i, Op{Write: true, Value: 100 + i}).Unknown()
			c.Advance(time.Millisecond)
		}
		for range 20 {
			r := h.Call(1, Op{})
			c.Advance(time.Millisecond)
			r.Return(Result{Value: 1})
		}
		if stale {
			overwriteThenRead(h, c, 2, 1, time.Millisecond)
		}
		var herr *history.Error
		err := history.Check(h, register, history.MaxSteps(100_000))
		require.ErrorAs(t, err, &herr, "stale=%v", stale)
		assert.True(t, herr.Inconclusive(), "%v", err)
		assert.Contains(t, err.Error(), ", or leave out the writes of unknown outcome that no read saw (LeaveOutUnread): its 40 operations of unknown outcome take the search to every place after their calls")

		err = history.Check(h, register, history.MaxSteps(100_000), unread)
		if !stale {
			assert.NoError(t, err)
			continue
		}
		require.ErrorAs(t, err, &herr)
		assert.False(t, herr.Inconclusive(), "%v", err)
		assert.Contains(t, err.Error(), "read() -> 1")
	}
}

// TestLeaveOutUnreadOfAnotherHistoryPanics: functions of other types than
// the history's are a programmer's error, named.
func TestLeaveOutUnreadOfAnotherHistoryPanics(t *testing.T) {
	h := history.New[Op, Result](time.Now)
	wrong := history.LeaveOutUnread(func(s string) (string, bool) { return s, true }, func(s string) (string, bool) { return s, true })
	assert.PanicsWithValue(t, "history.Check: LeaveOutUnread's wrote and read take string and string, the inputs and outputs of another history than this one, of history_test.Op and history_test.Result: give it functions of those", func() {
		_ = history.Check(h, register, wrong)
	})
}

// TestLeaveOutUnreadSaysWhatItLeftOut: a check given LeaveOutUnread that
// does not finish does not advise it again, and one that fails counts
// the writes it left out, as a model it does not fit fails there.
func TestLeaveOutUnreadSaysWhatItLeftOut(t *testing.T) {
	c := &clock{now: epoch}
	h := history.New[Op, Result](c.Now)
	for i := range 40 { // timed out, each read after
		h.Call(10+i, Op{Write: true, Value: 100 + i}).Unknown()
		c.Advance(time.Millisecond)
	}
	for i := range 40 {
		r := h.Call(1, Op{})
		c.Advance(time.Millisecond)
		r.Return(Result{Value: 100 + (i*7)%40})
	}
	err := history.Check(h, register, history.MaxSteps(10_000), unread)
	var herr *history.Error
	require.ErrorAs(t, err, &herr)
	require.True(t, herr.Inconclusive(), "%v", err)
	assert.NotContains(t, err.Error(), "or leave out the writes")
	assert.Contains(t, err.Error(), "its 40 operations of unknown outcome that LeaveOutUnread kept")

	h = history.New[Op, Result](c.Now)
	h.Call(2, Op{Write: true, Value: 7}).Unknown()
	overwriteThenRead(h, c, 1, 2, time.Millisecond)
	err = history.Check(h, register, unread)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the history of 2 operations by 2 clients (and 1 of unknown outcome left out by LeaveOutUnread, as no read returned what they wrote) is not linearizable")
}
