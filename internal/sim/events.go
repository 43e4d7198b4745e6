package sim

import (
	"math"
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

// A queued is a slot in its instant, which holds its time.
type queued struct {
	seq uint64
	e   *event
	gen uint32
}

func (s queued) stale() bool { return s.gen != s.e.gen }

// An instant holds the events due at one simulated time, in the order
// they were scheduled. Tasks that sleep for whole milliseconds wake by the
// hundred at each instant: the queue moves and sorts instants, not
// events, and an event is appended once and read once.
type instant struct {
	when  int64
	head  int // the next slot to pop
	slots []queued
	// idle counts the uses in a row that filled under a quarter of
	// slots' room (release).
	idle uint8
	// first backs slots until they outgrow it: where events are spread
	// over time (network latencies), most instants hold one or two.
	first [2]queued
}

// an instantRef is an instant in a bucket, with its time at hand for the
// look-ups of push.
type instantRef struct {
	when int64
	in   *instant
}

// eventQueue orders events by (when, seq). It is a radix heap of
// instants: simulated time never goes back, so no event is due before the
// last one popped (last), and an instant goes in the bucket numbered by
// the highest bit in which its time differs from last. Popping sorts out
// one bucket at a time, and an instant moves down at most a few times.
//
// Bucket 0 holds the instants due at last. An event joins the instant of
// its time among the last few of its bucket, or starts a new one there:
// instants of one time always share a bucket and move together, in order,
// so scheduling order survives every move.
//
// Cancelling an event leaves its slot in place, marked stale, to be dropped
// when the queue next looks at its instant. An instant left with stale
// slots only is let go when refill comes to it, or when its bucket would
// grow (sweep): a run makes many deadlines that are cancelled long before
// they are due, and they neither move down bucket by bucket nor pile up in
// a far bucket.
type eventQueue struct {
	last int64
	cur  int // the first instant of bucket 0 with slots left, or its last
	// full has bit b set when bucket b may hold instants (bucket 0 aside),
	// so that refill finds the lowest without looking through the empty
	// ones below it.
	full uint64
	// buckets are numbered by the highest differing bit of two times that
	// are never negative, so 64 of them do.
	buckets [64][]instantRef
	free    []*instant // emptied instants, for the next times
	spare   []instant  // instants not yet used, allocated instantChunk at a time
	// recent holds, by a hash of its time, an instant that push made
	// last: the newest of its time, so that joining it keeps the order.
	// Events of one time tend to come in runs (every task sleeping for
	// the same length), and a hit skips the look through the bucket.
	// Sixteen entries let the few times a run of sleeps is spread over
	// evict each other in a third of pushes; sixty-four, in under a
	// tenth.
	recent [64]*instant
}

// joinWithin is how many of a bucket's last instants push looks through
// for one of the event's time before it starts another.
const joinWithin = 8

func (q *eventQueue) bucket(when int64) int { return bits.Len64(uint64(when ^ q.last)) }

func (q *eventQueue) push(e *event, when int64, seq uint64) {
	e.gen++
	e.queued = true
	h := uint64(when) * 0x9e3779b97f4a7c15 >> 58
	if in := q.recent[h]; in != nil && in.when == when {
		if when == q.last {
			in.compact()
		}
		in.slots = append(in.slots, queued{seq: seq, e: e, gen: e.gen})
		return
	}
	b := q.bucket(when)
	refs := q.buckets[b]
	var in *instant
	for i := len(refs) - 1; i >= max(0, len(refs)-joinWithin); i-- {
		if refs[i].when == when {
			in = refs[i].in
			break
		}
	}
	if in == nil {
		if len(refs) == cap(refs) && b != 0 {
			refs = q.sweep(b)
		}
		in = q.newInstant(when)
		q.buckets[b] = append(refs, instantRef{when: when, in: in})
		q.full |= 1 << b
	} else if b == 0 {
		in.compact()
	}
	q.recent[h] = in
	in.slots = append(in.slots, queued{seq: seq, e: e, gen: e.gen})
}

// sweep lets go of the instants of bucket b that hold only cancelled
// events, keeping the order of the others, and returns what is left. Push
// calls it when the bucket is about to grow: the bucket then grows only
// when over half of what it holds is live, and is swept again only after
// at least half as many pushes as it holds, so a push stays amortised O(1)
// and the storage of a bucket follows its live instants, not its
// cancelled ones.
func (q *eventQueue) sweep(b int) []instantRef {
	refs := q.buckets[b]
	n := 0
	for _, r := range refs {
		if !r.in.live() {
			q.release(r.in)
			continue
		}
		refs[n] = r
		n++
	}
	dropRefs(refs[n:])
	q.buckets[b] = refs[:n]
	return refs[:n]
}

// laterLive appends to live the live events queued at instants later
// than the last pop's, the sleeps, timers and deadlines that wait for the
// clock to move, and returns it. full alone cannot tell whether there are
// any, for a cancelled event stays queued until the queue comes to it. On
// the way it lets go of the instants of later buckets that hold only
// cancelled events (sweep), and clears the bits of the buckets left
// empty; order is kept, as at every sweep.
func (q *eventQueue) laterLive(live []queued) []queued {
	for b := q.full &^ 1; b != 0; b &= b - 1 {
		i := bits.TrailingZeros64(b)
		refs := q.sweep(i)
		if len(refs) == 0 {
			q.full &^= 1 << i
		}
		for _, r := range refs {
			for _, s := range r.in.slots[r.in.head:] {
				if !s.stale() {
					live = append(live, s)
				}
			}
		}
	}
	return live
}

// newInstant returns an empty instant for time when.
func (q *eventQueue) newInstant(when int64) *instant {
	if n := len(q.free); n > 0 {
		in := q.free[n-1]
		q.free[n-1] = nil
		q.free = q.free[:n-1]
		in.when = when
		return in
	}
	if len(q.spare) == 0 {
		q.spare = make([]instant, instantChunk)
	}
	in := &q.spare[0]
	q.spare = q.spare[1:]
	in.when = when
	in.slots = in.first[:0]
	return in
}

// instantChunk is how many instants newInstant allocates at once.
const instantChunk = 32

// compactAt is how many popped slots an instant may hold before a push
// moves its live ones down.
const compactAt = 256

// compact drops the popped slots at the front of the instant once they
// are at least half of it. A run whose events all fall at one instant (a
// network with no latency) pops and pushes that instant without end:
// without this, it would grow by every event. The order of the slots is
// kept, and each slot is moved at most once per time the instant doubles,
// so a push stays amortised O(1).
func (in *instant) compact() {
	if in.head < compactAt || in.head < len(in.slots)/2 {
		return
	}
	n := copy(in.slots, in.slots[in.head:])
	clear(in.slots[n:])
	in.slots, in.head = in.slots[:n], 0
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

// peek reports whether a live event is queued; next and popDue then give it.
// It may move last up to that event's instant: call it only when the clock
// is about to move there.
func (q *eventQueue) peek() bool {
	if q.more() {
		return true
	}
	for _, r := range q.buckets[0] {
		q.release(r.in)
	}
	dropRefs(q.buckets[0])
	q.buckets[0], q.cur = q.buckets[0][:0], 0
	return q.refill()
}

// live drops the stale slots at the front of in, the cancelled events
// before its first live one, and reports whether a live one is left. Each
// slot is dropped once, so a look is amortised O(1).
func (in *instant) live() bool {
	for in.head < len(in.slots) {
		if !in.slots[in.head].stale() {
			return true
		}
		in.head++
	}
	return false
}

// release gives back an instant with no live slots, which the queue no
// longer holds.
//
// An instant whose slots outgrew first lets go of what it holds beyond
// them. first still points to the events it held before it grew, which
// would stay alive (a killed task with its context) for as long as the
// instant is reused. And an instant reused at other times would keep the
// room of the largest burst it ever held (a crashed process's deadlines,
// all of one time): over a long run every instant would, and the queue's
// storage would grow with the run. Room it filled a quarter of in one of
// its last keepIdle uses it keeps, so that instants of many events each
// (tasks that wake by the hundred) do not grow again at every reuse.
func (q *eventQueue) release(in *instant) {
	if len(in.slots) <= shortClear {
		for i := range in.slots {
			in.slots[i].e = nil
		}
	} else {
		clear(in.slots)
	}
	if n := cap(in.slots); n > len(in.first) {
		in.first = [2]queued{}
		switch {
		case n <= keepRoom || n <= 4*len(in.slots):
			in.idle = 0
		case in.idle < keepIdle:
			in.idle++
		default:
			in.slots, in.idle = in.first[:0], 0
		}
	}
	in.slots, in.head = in.slots[:0], 0
	in.when = -1 // no time: recent may still hold it
	q.free = append(q.free, in)
}

// keepRoom is the most slots an instant given back keeps room for, unless
// it filled a quarter of them in one of its last keepIdle uses: instants
// are reused for any time, and one that dropped its room at its first
// small use would grow it again at its next large one, use after use.
const (
	keepRoom = 16
	keepIdle = 8
)

// refill moves the instants with live events of the lowest bucket that
// has any into lower ones, with last set to the earliest of them, so that
// bucket 0 gets at least one; the instants that hold only cancelled events
// it lets go on the way. It reports false, with last unchanged, when no
// live event is queued.
func (q *eventQueue) refill() bool {
	for q.full&^1 != 0 {
		i := bits.TrailingZeros64(q.full &^ 1)
		q.full &^= 1 << i
		from := q.buckets[i]
		q.buckets[i] = from[:0]
		n, last := 0, int64(math.MaxInt64)
		for _, r := range from {
			if !r.in.live() {
				q.release(r.in)
				continue
			}
			last = min(last, r.when)
			from[n] = r
			n++
		}
		if n > 0 {
			q.last = last
			for _, r := range from[:n] {
				b := q.bucket(r.when)
				q.buckets[b] = append(q.buckets[b], r)
				q.full |= 1 << b
			}
		}
		dropRefs(from)
		if n > 0 {
			return true
		}
	}
	return false
}

// dropRefs clears refs, which the queue no longer uses, so that they keep
// no instant alive.
func dropRefs(refs []instantRef) {
	if len(refs) > shortClear {
		clear(refs)
		return
	}
	for i := range refs {
		refs[i].in = nil
	}
}

// shortClear is the longest slice of pointers that release and dropRefs
// clear one by one rather than with clear. Most instants hold a slot or
// two, and most buckets an instant or two, where refill and peek clear
// them: there a loop costs far less than clear's call into the runtime
// and its write barriers (2% of a KV seed's instructions); over the
// hundreds of slots of an instant at which many tasks wake, clear is the
// faster.
const shortClear = 8

// more reports whether a live event is due at the instant of the last pop.
// Unlike peek it never moves on to a later instant, which would let last
// run ahead of the simulated clock.
func (q *eventQueue) more() bool {
	b0 := q.buckets[0]
	for q.cur < len(b0) {
		in := b0[q.cur].in
		if in.live() {
			return true
		}
		if q.cur == len(b0)-1 {
			// The last instant of bucket 0 stays current: the events
			// pushed at this time join it.
			return false
		}
		q.cur++
	}
	return false
}

// next returns the instant of the earliest live event; call it only after
// peek reports true.
func (q *eventQueue) next() int64 { return q.last }

// popDue removes and returns the earliest live event due at the instant
// of the last pop, if there is one; after peek reports true, there is.
func (q *eventQueue) popDue() (slot, bool) {
	b0 := q.buckets[0]
	for q.cur < len(b0) {
		in := b0[q.cur].in
		for in.head < len(in.slots) {
			s := in.slots[in.head]
			in.head++
			if !s.stale() {
				s.e.queued = false
				return slot{when: in.when, seq: s.seq, e: s.e, gen: s.gen}, true
			}
		}
		if q.cur == len(b0)-1 {
			break // the last instant of bucket 0 stays current (more)
		}
		q.cur++
	}
	return slot{}, false
}

// popHead is popDue's common case, small enough to be inlined into the
// firing loop: the slot at the head of the current instant, if it is live.
// When it reports false, popDue may still find one.
func (q *eventQueue) popHead() (slot, bool) {
	if b0 := q.buckets[0]; q.cur < len(b0) {
		in := b0[q.cur].in
		if h := in.head; h < len(in.slots) {
			if s := in.slots[h]; s.gen == s.e.gen {
				in.head = h + 1
				s.e.queued = false
				return slot{when: in.when, seq: s.seq, e: s.e, gen: s.gen}, true
			}
		}
	}
	return slot{}, false
}

// all calls f for every queued slot, stale or not.
func (q *eventQueue) all(f func(slot)) {
	for i, b := range q.buckets {
		if i == 0 {
			b = b[min(q.cur, len(b)):]
		}
		for _, r := range b {
			for _, s := range r.in.slots[r.in.head:] {
				f(slot{when: r.when, seq: s.seq, e: s.e, gen: s.gen})
			}
		}
	}
}
