package history_test

import (
	"errors"
	"fmt"
	"strings"
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

// A compare-and-swap's effect depends on the state it meets, and its
// Step judges it by whether it swapped. One whose reply never came has no
// output to judge by: StepUnknown says what it does if it took effect,
// from its input alone. Without it, Step would get the zero output (OK
// false), take the swap as one that failed, and find this history, in

// A write dropped on an error that did not prove it changed nothing (a
// refusal of a request sent again, say) may have taken effect after all,
// and a read of its value then fails the check. The error's last line
// names the dropped operation that explains the failure.
func ExampleCall_Drop() {
	c := &clock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	h := history.New[Op, Result](c.Now)

	w := h.Call(0, Op{Write: true, Value: 7})
	c.Advance(time.Second)
	w.Drop() // wrongly: the write was applied before its reply was lost
	r := h.Call(1, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 7})

	err := history.Check(h, register)
	lines := strings.Split(err.Error(), "\n")
	fmt.Println(lines[0])
	fmt.Println(lines[len(lines)-1])
	// Output:
	// the history of 1 operation by 1 client (and 1 dropped, left out as having changed nothing, which the last line doubts) is not linearizable: no order of the operations before it can take client 1's read() -> 7 (1.000s-2.000s)
	//   had the dropped client 0's write(7) (called at 0.000s, dropped at 1.000s) taken effect, the history would be linearizable, so the failure may be the recording's: Drop says a call changed nothing: end one whose error cannot tell (a timeout, a lost connection, a refusal of a request that was sent again) with Unknown, and Drop only what never left (rpc.ErrNotSent) or what your protocol proves had no effect
}

// which a read saw the swap land, not linearizable.
func ExampleModel_StepUnknown() {
	type cas struct {
		Read     bool
		Old, New int
	}
	type result struct {
		OK    bool // the swap was made
		Value int  // what a read saw
	}
	register := history.Model[int, cas, result]{
		Init: func() int { return 0 },
		Step: func(state int, op cas, r result) (bool, int) {
			switch {
			case op.Read:
				return r.Value == state, state
			case r.OK:
				return state == op.Old, op.New
			default:
				return state != op.Old, state
			}
		},
		StepUnknown: func(state int, op cas) int {
			if state == op.Old {
				return op.New
			}
			return state
		},
		DescribeOperation: func(op cas, r result) string {
			if op.Read {
				return fmt.Sprintf("read() -> %d", r.Value)
			}
			return fmt.Sprintf("cas(%d -> %d) -> %v", op.Old, op.New, r.OK)
		},
	}
	c := &clock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	h := history.New[cas, result](c.Now)

	swap := h.Call(0, cas{Old: 0, New: 1})
	c.Advance(time.Second)
	swap.Unknown() // a timeout: the swap may still land

	r := h.Call(1, cas{Read: true})
	c.Advance(time.Second)
	r.Return(result{Value: 1}) // it did

	lost := h.Call(1, cas{Old: 0, New: 2})
	c.Advance(time.Second)
	lost.Return(result{OK: false}) // too late: the state is 1

	fmt.Println(history.Check(h, register))
	fmt.Printf("%+v\n", h.Outcomes())
	// Output:
	// <nil>
	// {Returned:2 Unknown:1 Dropped:0 Pending:0}
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
		err = history.Check(h, register, history.MaxSteps(10_000_000), history.Timeout(10*time.Minute), history.Attach(s.Attach))
	})
	_ = err // the workload's Check returns it
}

// MaxSteps bounds the search in each part by the model's steps, the same
// on every machine: a check that needs more fails as unknown, and so
// does it in a replay of the seed. Timeout stays a backstop in real time.
func ExampleMaxSteps() {
	c := &clock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	h := history.New[Op, Result](c.Now)
	for i := range 4 {
		w := h.Call(0, Op{Write: true, Value: i + 1})
		c.Advance(time.Second)
		w.Return(Result{})
	}

	err := history.Check(h, register, history.MaxSteps(3), history.Timeout(time.Minute))
	var herr *history.Error
	if errors.As(err, &herr) {
		fmt.Println(herr.Inconclusive(), herr.TimedOut())
	}
	fmt.Println(err)
	// Output:
	// true false
	// the check of the history of 4 operations by 1 client did not finish: the search took more than its 3 steps (MaxSteps), so whether the history is linearizable is unknown: raise MaxSteps, or split the model's state with Model.Partition
}

// Writes that timed out take the search to every place after their
// calls; a register's writes that no read saw can always take effect
// last, and LeaveOutUnread leaves them out, which changes no verdict and
// keeps the search short: here thirty of them, and a stale read among
// the operations is still found.
func ExampleLeaveOutUnread() {
	c := &clock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	h := history.New[Op, Result](c.Now)

	w := h.Call(0, Op{Write: true, Value: 1})
	c.Advance(time.Second)
	w.Return(Result{})
	for i := range 30 { // timed out: each may have landed
		h.Call(10+i, Op{Write: true, Value: 100 + i}).Unknown()
		c.Advance(10 * time.Millisecond)
	}
	w = h.Call(1, Op{Write: true, Value: 2})
	c.Advance(time.Second)
	w.Return(Result{})
	r := h.Call(2, Op{})
	c.Advance(time.Second)
	r.Return(Result{Value: 1}) // stale: write(2) returned before the read began

	err := history.Check(h, register, history.LeaveOutUnread(
		func(op Op) (int, bool) { return op.Value, op.Write },
		func(r Result) (int, bool) { return r.Value, true },
	))
	fmt.Println(err)
	// Output:
	// the history of 3 operations by 3 clients (and 30 of unknown outcome left out by LeaveOutUnread, as no read returned what they wrote) is not linearizable: no order of the operations before it can take client 2's read() -> 1 (2.300s-3.300s)
	//   the longest order found takes 2 of its 3 operations, ending with
	//       0.000s-1.000s  client 0  write(1)
	//       1.300s-2.300s  client 1  write(2)
	//     in state 2, which none of these can follow:
	//       2.300s-3.300s  client 2  read() -> 1
}

// A queue's producers record each send the queue acknowledged, its
// consumers each message they process; once the queue is drained, Check
// names what it lost or delivered twice.
func ExampleDeliveries() {
	d := history.NewDeliveries[string]()
	d.Sent("order-1")
	d.Sent("order-2")
	d.MaybeSent("order-3") // timed out: may or may not be in the queue
	d.Delivered("order-1")
	d.Delivered("order-1") // redelivered after a consumer's crash
	d.Delivered("order-3")
	fmt.Println(d.Check(history.AtLeastOnce))
	fmt.Println(d.Check(history.ExactlyOnce))
	// Output:
	// history: the queue broke its promise of delivery: 1 of the 2 messages whose send was acknowledged never delivered (lost): order-2
	// history: the queue broke its promise of delivery: 1 of the 2 messages whose send was acknowledged never delivered (lost): order-2; 1 delivered more than once, where the promise is exactly once: order-1 (2 times)
}

// A queue that keeps each producer's order (FIFO) is checked InOrder:
// producers name themselves as they begin each send, and the record, made
// on a clock, names the times of what it finds.
func ExampleDeliveries_inOrder() {
	c := &clock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	d := history.NewDeliveriesOn[string](c.Now)
	send := func(producer, m string, acked bool) {
		d.Sending(producer, m)
		c.Advance(10 * time.Millisecond)
		if acked {
			d.Sent(m)
		} else {
			d.MaybeSent(m) // timed out: promises no order to the sends after it
		}
		c.Advance(5 * time.Millisecond)
	}
	send("p1", "p1-1", true)
	send("p1", "p1-2", true)
	send("p2", "p2-1", false)
	send("p2", "p2-2", true)
	c.Advance(time.Second)
	for _, m := range []string{"p1-2", "p1-1", "p2-2", "p2-1", "p1-2"} {
		d.Delivered(m) // p1-2's second delivery is a redelivery: no breach of order
		c.Advance(100 * time.Millisecond)
	}
	fmt.Println(d.Check(history.AtLeastOnce | history.InOrder))
	// Output:
	// history: the queue broke its promise of delivery: 1 delivered after a message their producer sent later, where the promise is each producer's order: p1-1 (acknowledged at 0.010s, delivered at 1.160s) after p1-2 (sent at 0.015s, delivered at 1.060s), of producer "p1"
}
