package history_test

import (
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/history"
)

// Op is an operation on a register: a write of Value, or a read.
type Op struct {
	Write bool
	Value int
}

// Result is what an operation returned: the value a read saw.
type Result struct{ Value int }

// register is a register that holds an int, 0 at first.
var register = history.Model[int, Op, Result]{
	Init: func() int { return 0 },
	Step: func(state int, op Op, r Result) (bool, int) {
		if op.Write {
			return true, op.Value
		}
		return r.Value == state, state
	},
	DescribeOperation: func(op Op, r Result) string {
		if op.Write {
			return fmt.Sprintf("write(%d)", op.Value)
		}
		return fmt.Sprintf("read() -> %d", r.Value)
	},
}

// clock is a clock the example moves by hand; a simulation's is S.Now.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) Advance(d time.Duration) { c.now = c.now.Add(d) }

// A read that returns a value overwritten before it was called is stale:
// no order of the operations puts it after the write it saw and before
// the one that replaced it.
func Example() {
	c := &clock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	h := history.New[Op, Result](c.Now)

	w1 := h.Call(0, Op{Write: true, Value: 1})
	c.Advance(time.Second)
	w1.Return(Result{})
	c.Advance(500 * time.Millisecond)
	w2 := h.Call(1, Op{Write: true, Value: 2})
	c.Advance(300 * time.Millisecond)
	w2.Return(Result{})
	c.Advance(200 * time.Millisecond)
	r := h.Call(2, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 1}) // stale: write(2) returned before the read began

	err := history.Check(h, register)
	fmt.Println(err)
	// Output:
	// history: 3 operations by 3 clients are not linearizable: no order of the operations before it can take client 2's read() -> 1 (2.000s-3.000s)
	//   the longest order found takes 2 of its 3 operations, ending with
	//       0.000s-1.000s  client 0  write(1)
	//       1.500s-1.800s  client 1  write(2)
	//     in state 2, which none of these can follow:
	//       2.000s-3.000s  client 2  read() -> 1
}
