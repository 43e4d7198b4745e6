package history

import (
	"math"
	"sync"
	"time"
)

// A History is what the clients of a system saw: each operation, its
// input and output, and the times of its call and its return. Its methods
// may be called from several goroutines (a test against real processes)
// as well as from a simulation's tasks.
type History[I, O any] struct {
	now   func() time.Time
	start time.Time
	mu    sync.Mutex
	// The operations in the order of their calls, a chunk at a time, so
	// that recording one does not allocate and a chunk never moves: a
	// Call points into it.
	chunks [][]record[I, O]
	n      int
	last   int64 // the latest time stamped (stamp)
	// How many operations ended each way, for Outcomes.
	returned, unknown, dropped int
}

// New starts a history on the clock now: the simulation's (S.Now, or
// p.Time.Now in a workload) or, against real processes, time.Now. Its
// times count from now's first reading, at New: made in a simulation's
// body, at the seed's beginning, they are the times of the report's
// timeline. A host's p.Time reads the seed's time offset by the host's
// clock skew, which [Error.At] then carries; a simtest report still
// places the failure at its simulated time ([Error.CheckedAt]).
func New[I, O any](now func() time.Time) *History[I, O] {
	mustClock("New", now)
	return &History[I, O]{now: now, start: now()}
}

// mustClock panics, naming call, when now is nil: a programmer's error,
// whose fix the message names.
func mustClock(call string, now func() time.Time) {
	if now == nil {
		panic("history: " + call + " given a nil clock; pass the clock to record on: s.Now in a simulation's body, p.Time.Now in a workload, or time.Now against real processes")
	}
}

// ending is how an operation ended.
type ending uint8

const (
	pending  ending = iota // called, not yet ended: an unknown outcome, if it never does
	returned               // Call.Return
	unknown                // Call.Unknown
	dropped                // Call.Drop
)

// record is one operation. Its times count from the history's start:
// call and ret as the check orders them (History.stamp), callAt and retAt
// as the clock read them, for the error to show.
type record[I, O any] struct {
	in            I
	out           O
	call, ret     int64
	callAt, retAt int64
	client        int
	end           ending
	part          int // the index of its part, in a check (partition)
}

// firstChunk and lastChunk bound the chunks' sizes: each is twice the one
// before, so that a short history takes little and a long one few.
const (
	firstChunk = 64
	lastChunk  = 8192
)

// Call records the call of an operation by client (a small number, from
// 0: porcupine's visualization gives each its own lane) with input in,
// at the clock's time now. End it with one of its methods once its
// outcome is known.
func (h *History[I, O]) Call(client int, in I) Call[I, O] {
	h.mu.Lock()
	defer h.mu.Unlock()
	at, clock := h.stamp()
	last := len(h.chunks) - 1
	if last < 0 || len(h.chunks[last]) == cap(h.chunks[last]) {
		size := firstChunk
		if last >= 0 {
			size = min(2*cap(h.chunks[last]), lastChunk)
		}
		h.chunks = append(h.chunks, make([]record[I, O], 0, size))
		last++
	}
	h.chunks[last] = append(h.chunks[last], record[I, O]{in: in, call: at, callAt: clock, client: client})
	h.n++
	return Call[I, O]{h: h, r: &h.chunks[last][len(h.chunks[last])-1]}
}

// Len returns how many operations the history holds: every call
// recorded, however it ended or whether it has, dropped ones included.
// [Check] sees all but the dropped ones; [History.Outcomes] counts each
// kind.
func (h *History[I, O]) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// Outcomes counts the operations of a [History] by how they ended.
type Outcomes struct {
	Returned int // ended by Call.Return: a definite outcome
	Unknown  int // ended by Call.Unknown
	Dropped  int // ended by Call.Drop, which Check leaves out
	Pending  int // not ended yet, which Check counts as unknown
}

// Outcomes counts the history's operations by how they ended. A check
// that passes says only that what the history holds is linearizable: a
// system that answered nothing passes too, with every operation dropped
// or unknown. Assert on what was checked: a Sometimes such as
// assertions.Sometimes(ctx, h.Outcomes().Returned > 0, ...) holds when
// some seed of the Run saw answers; a seed that must see its own fails
// without them; or count the reads that returned as the clients record
// them.
func (h *History[I, O]) Outcomes() Outcomes {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Outcomes{
		Returned: h.returned,
		Unknown:  h.unknown,
		Dropped:  h.dropped,
		Pending:  h.n - h.returned - h.unknown - h.dropped,
	}
}

// stamp returns the clock's time since the history's start, clock, and
// the time the check orders the event by, at: clock, or just after every
// time stamped before, so that calls and returns keep the order in which
// they were recorded. In a simulation a client's next call often comes at
// the very instant its last one returned, and porcupine, which puts calls
// before returns at one time, would take the two for overlapping and
// pass a stale read. h.mu is held.
func (h *History[I, O]) stamp() (at, clock int64) {
	clock = int64(h.now().Sub(h.start))
	at = max(clock, h.last+1)
	h.last = at
	return at, clock
}

// A Call is an operation of a [History] whose outcome is not yet
// recorded. End it once, with [Call.Return], [Call.Unknown] or
// [Call.Drop]; one never ended counts as [Call.Unknown].
type Call[I, O any] struct {
	h *History[I, O]
	r *record[I, O]
}

// Return records the operation's output, at the clock's time now: it
// took effect, between its call and now.
func (c Call[I, O]) Return(out O) {
	c.end(returned, "Return", func(r *record[I, O]) {
		r.out = out
		r.ret, r.retAt = c.h.stamp()
	})
}

// Unknown records that the operation may or may not take effect, at any
// time after its call: a write whose request was sent and whose reply
// never came (a timeout, a connection lost). The check may place it
// anywhere after its call, or nowhere. The model's StepUnknown says what
// it does to a state ([Model]). A read whose outcome is unknown tells
// nothing: [Call.Drop] it.
func (c Call[I, O]) Unknown() {
	c.end(unknown, "Unknown", func(r *record[I, O]) { r.ret, r.retAt = math.MaxInt64, math.MaxInt64 })
}

// Drop leaves the operation out of the history: it did not happen (a
// request that never left, as rpc.ErrNotSent says), or it changed
// nothing, as a read that failed. A refusal proves nothing of an earlier
// copy of a request sent again: record such a call as Unknown. A check
// that fails names a dropped operation whose taking effect would explain
// the failure.
func (c Call[I, O]) Drop() {
	c.end(dropped, "Drop", func(r *record[I, O]) { r.retAt = int64(c.h.now().Sub(c.h.start)) })
}

// check panics if c is the zero Call.
func (c Call[I, O]) check(name string) {
	if c.h == nil {
		panic("history: Call." + name + " of a zero Call: use the Call that History.Call returns")
	}
}

func (c Call[I, O]) end(how ending, name string, set func(*record[I, O])) {
	c.check(name)
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	if c.r.end != pending {
		panic("history: Call." + name + " of an operation that has already ended: end each Call once, with Return, Unknown or Drop")
	}
	c.r.end = how
	set(c.r)
	switch how {
	case returned:
		c.h.returned++
	case unknown:
		c.h.unknown++
	case dropped:
		c.h.dropped++
	}
}
