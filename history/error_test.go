package history

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestExplainLeavesOutPartsCutOff checks that a part whose search was cut
// short, as by the timeout while another part failed, is not reported as
// failing, but as unchecked, and that the error says real time decided
// that.
func TestExplainLeavesOutPartsCutOff(t *testing.T) {
	type op struct {
		key   string
		write bool
		value int
	}
	m := Model[int, op, int]{
		Init: func() int { return 0 },
		Step: func(state int, o op, got int) (bool, int) {
			if o.write {
				return true, o.value
			}
			return got == state, state
		},
		Partition: func(o op) string { return o.key },
	}
	failed := part[op, int]{name: "failed", ops: []*record[op, int]{
		{in: op{"failed", true, 1}, call: 0, ret: 10, end: returned},
		{in: op{"failed", false, 0}, out: 2, call: 20, ret: 30, end: returned},
	}}
	cut := part[op, int]{name: "cut", ops: []*record[op, int]{
		{in: op{"cut", true, 1}, call: 0, ret: 10, end: returned},
		{in: op{"cut", false, 0}, out: 1, call: 20, ret: 30, end: returned},
	}}
	e := &Error{ops: 4, clients: 1, start: time.Time{}, timeout: time.Second}
	explain(e, m, []part[op, int]{failed, cut}, [][][]int{{{0}}, {{0}}}, []cutBy{notCut, byTime})
	msg := e.Error()
	assert.Contains(t, msg, `part "failed"`)
	assert.NotContains(t, msg, `part "cut":`)
	assert.False(t, strings.Contains(msg, "parts fail"), msg)
	assert.Contains(t, msg, "\n  part \"cut\" went unchecked: the check's timeout of 1s cut the search, so whether it is linearizable is unknown; "+
		"which parts it cuts depends on the machine's speed, so a replay or -simcheck may differ")
	assert.False(t, e.Inconclusive(), "a part failed")
	assert.True(t, e.TimedOut())
}
