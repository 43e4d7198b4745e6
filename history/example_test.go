package history_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/history"
	"github.com/moonpool-go/moonpool/simtest"
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
	// the history of 3 operations by 3 clients is not linearizable: no order of the operations before it can take client 2's read() -> 1 (2.000s-3.000s)
	//   the longest order found takes 2 of its 3 operations, ending with
	//       0.000s-1.000s  client 0  write(1)
	//       1.500s-1.800s  client 1  write(2)
	//     in state 2, which none of these can follow:
	//       2.000s-3.000s  client 2  read() -> 1
}

// A write whose reply never came may have taken effect, at any time
// after its call: Unknown lets the check place it anywhere from then on,
// or nowhere. A read that failed changed nothing: Drop leaves it out.
func ExampleCall_Unknown() {
	c := &clock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	h := history.New[Op, Result](c.Now)

	w := h.Call(0, Op{Write: true, Value: 7})
	c.Advance(time.Second)
	w.Unknown() // a timeout: the write may still land

	failed := h.Call(1, Op{})
	c.Advance(time.Second)
	failed.Drop() // the read found no replica

	r := h.Call(1, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 7}) // the write landed after its timeout

	fmt.Println(history.Check(h, register))
	// Output: <nil>
}

// Model.Partition splits the state into independent parts, here the
// keys of a map, which are checked one at a time; the error names the
// part that fails.
func ExampleModel_Partition() {
	type put struct {
		Key   string
		Write bool
		Value int
	}
	kv := history.Model[int, put, int]{
		Init: func() int { return 0 },
		Step: func(state int, op put, got int) (bool, int) {
			if op.Write {
				return true, op.Value
			}
			return got == state, state
		},
		Partition: func(op put) string { return op.Key },
		DescribeOperation: func(op put, got int) string {
			if op.Write {
				return fmt.Sprintf("put(%s, %d)", op.Key, op.Value)
			}
			return fmt.Sprintf("get(%s) -> %d", op.Key, got)
		},
	}
	c := &clock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	h := history.New[put, int](c.Now)
	for _, op := range []put{{"a", true, 1}, {"b", true, 2}, {"a", false, 1}, {"b", false, 1}} {
		call := h.Call(0, op)
		c.Advance(100 * time.Millisecond)
		got := 0
		if !op.Write {
			got = 1
		}
		call.Return(got)
	}

	fmt.Println(history.Check(h, kv))
	// Output:
	// the history of 4 operations by 1 client is not linearizable: in part "b", no order of the operations before it can take client 0's get(b) -> 1 (0.300s-0.400s)
	//   part "b": the longest order found takes 1 of its 2 operations, ending with
	//       0.100s-0.200s  client 0  put(b, 2)
	//     in state 2, which none of these can follow:
	//       0.300s-0.400s  client 0  get(b) -> 1
}

// At gives the time of the call of the operation that the error's first
// line names, on the history's clock, for a report to point at.
func ExampleError_At() {
	c := &clock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	h := history.New[Op, Result](c.Now)
	w := h.Call(0, Op{Write: true, Value: 1})
	c.Advance(time.Second)
	w.Return(Result{})
	c.Advance(time.Second)
	r := h.Call(1, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 5}) // never written

	var herr *history.Error
	if errors.As(history.Check(h, register), &herr) {
		fmt.Println(herr.At().Format(time.TimeOnly))
	}
	// Output: 00:00:02
}

// In a simulation, make the history in the body with s.Now, so that its
// times are the timeline's; check it in the workload's Check, inside
// S.Slow (porcupine searches on goroutines of its own, in real time),
// and attach porcupine's page to the seed's HTML timeline.
func Example_simulation() {
	var s *simtest.S // the seed's own, in simtest.Run's body
	h := history.New[Op, Result](s.Now)

	// In each client's task: record each operation around the call.
	call := h.Call(0, Op{Write: true, Value: 1})
	call.Return(Result{})

	// In the workload's Check:
	var err error
	s.Slow(func() {
		err = history.Check(h, register, history.Timeout(time.Minute), history.Attach(s.Attach))
	})
	_ = err // the workload's Check returns it
}
