package sim

import (
	"math/bits"

	"github.com/moonpool-go/moonpool/providers"
)

// An event is something due at a simulated instant: the end of a task's
// sleep, or a callback (a timer, a context deadline).
type event struct {
	gen    uint32 // bumped on every schedule and cancel; stale slots differ
	queued bool
	// spare marks an event of Schedule: nothing holds it once it fired,
	// so it goes back to the world's spares.
	spare bool
	// wakeTok marks an event of WakeAfter: after fn, if any, it wakes the
	// task parked with tok, if that task still waits on it.
	wakeTok bool
	task    *task  // wake this task, or
	fn      func() // call this on the scheduler
	tok     providers.WaitToken
}

// slot is a queued event.
type slot struct {
	when int64  // nanoseconds since the start of the run
	seq  uint64 // events at one instant fire in the order scheduled
	e    *event
	gen  uint32 // e.gen when queued: a cancelled event leaves a stale slot
}

func (s slot) stale() bool { return s.gen != s.e.gen }

// eventQueue orders events by (when, seq). It is a radix heap: simulated
// time never goes back, so no event is due before the last one popped
// (last), and an event goes in the bucket numbered by the highest bit in
// which its instant differs from last. Pushing is an append; popping sorts
// out one bucket at a time, and an event moves down at most a few times.
//
// Bucket 0 holds the events due at last, in the order they were scheduled:
// events with one instant always share a bucket and move together, in
// order, so scheduling order survives every move.
//
// Cancelling an event leaves its slot in place, marked stale, to be dropped
// when it comes up or moves.
type eventQueue struct {
	last    int64
	head    int // the next slot of bucket 0
	buckets [65][]slot
}

func (q *eventQueue) bucket(when int64) int { return bits.Len64(uint64(when ^ q.last)) }

func (q *eventQueue) push(e *event, when int64, seq uint64) {
	e.gen++
	e.queued = true
	b := q.bucket(when)
	if b == 0 {
		q.compact()
	}
	q.buckets[b] = append(q.buckets[b], slot{when: when, seq: seq, e: e, gen: e.gen})
}

// compactAt is how many popped slots bucket 0 may hold before a push
// moves its live ones down.
const compactAt = 256

// compact drops the popped slots at the front of bucket 0 once they are
// at least half of it. A run whose events all fall at one instant (a
// network with no latency) pops and pushes bucket 0 without end: without
// this, bucket 0 would grow by every event of that instant. The order of
// the slots is kept, and each slot is moved at most once per time the
// bucket doubles, so a push stays amortised O(1).
func (q *eventQueue) compact() {
	b0 := q.buckets[0]
	if q.head < compactAt || q.head < len(b0)/2 {
		return
	}
	n := copy(b0, b0[q.head:])
	clear(b0[n:])
	q.buckets[0], q.head = b0[:n], 0
}

// unschedule takes e out of the queue, reporting whether it was queued.
func unschedule(e *event) bool {
	if !e.queued {
		return false
	}
	e.gen++
	e.queued = false
	return true
}

// peek reports whether a live event is queued; next and pop then give it.
// It may move last up to that event's instant: call it only when the clock
// is about to move there.
func (q *eventQueue) peek() bool {
	last := q.last
	for !q.more() {
		clear(q.buckets[0])
		q.buckets[0], q.head = q.buckets[0][:0], 0
		if !q.refill() {
			// Only stale slots were left, and refill may have moved
			// last to one of them: no clock moves there.
			q.last = last
			return false
		}
	}
	return true
}

// refill moves the events of the lowest non-empty bucket into lower ones,
// with last set to the earliest of them, so that bucket 0 gets at least
// one. It reports false when the queue is empty.
//
// Stale slots move with the live ones, to be dropped when they come up
// (more): telling them apart here would read every event, each in a cache
// line of its own (a sleep's is in its task), where moving a slot reads
// only the bucket. The earliest slot may then be stale, and last an instant
// at which nothing is due; peek refills again, and last never passes a
// live event (or, with none left, peek puts it back).
func (q *eventQueue) refill() bool {
	i := 1
	for i < len(q.buckets) && len(q.buckets[i]) == 0 {
		i++
	}
	if i == len(q.buckets) {
		return false
	}
	from := q.buckets[i]
	q.last = from[0].when
	for _, s := range from[1:] {
		q.last = min(q.last, s.when)
	}
	for _, s := range from {
		b := q.bucket(s.when)
		q.buckets[b] = append(q.buckets[b], s)
	}
	clear(from)
	q.buckets[i] = from[:0]
	return true
}

// more reports whether a live event is due at the instant of the last pop.
// Unlike peek it never moves on to a later instant, which would let last
// run ahead of the simulated clock.
func (q *eventQueue) more() bool {
	b0 := q.buckets[0]
	for q.head < len(b0) && b0[q.head].stale() {
		q.head++
	}
	return q.head < len(b0)
}

// next returns the instant of the earliest live event; call it only after
// peek reports true.
func (q *eventQueue) next() int64 { return q.last }

// pop removes and returns the earliest live event; call it only after peek
// reports true.
func (q *eventQueue) pop() slot {
	s := q.buckets[0][q.head]
	q.buckets[0][q.head] = slot{}
	q.head++
	s.e.queued = false
	return s
}

// all calls f for every queued slot, stale or not.
func (q *eventQueue) all(f func(slot)) {
	for i, b := range q.buckets {
		if i == 0 {
			b = b[q.head:]
		}
		for _, s := range b {
			f(s)
		}
	}
}
