package sim

import (
	"cmp"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// The queue pops live events in (when, seq) order, whatever the pushes,
// cancellations and pops in between, and never a cancelled one. As in a
// run, nothing is pushed before the instant last popped. Some histories
// cancel most of what they push, as a run does with its deadlines, so that
// whole instants and buckets hold only cancelled events.
func TestEventQueueOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q eventQueue
		var seq uint64
		var now int64
		var model []slot // live slots
		var events []*event
		find := func(e *event) int { return slices.IndexFunc(model, func(s slot) bool { return s.e == e }) }
		// Some delays come from a few fixed ones, so that many events
		// share each of more instants than push looks through.
		fixed := rapid.SliceOfN(rapid.Int64Range(0, 1<<20), 1, 3*joinWithin).Draw(t, "fixed")
		push := func(e *event) {
			seq++
			when := now + rapid.Int64Range(0, 1<<rapid.IntRange(0, 40).Draw(t, "scale")).Draw(t, "delay")
			if rapid.Bool().Draw(t, "fixed delay") {
				when = now + fixed[rapid.IntRange(0, len(fixed)-1).Draw(t, "which delay")]
			}
			q.push(e, when, seq)
			model = append(model, slot{when: when, seq: seq, e: e})
		}
		// Ops 0-1 cancel, 2 pops, 3 pushes, 4 pushes a deadline and
		// cancels it, 5 pops at the instant of the last pop, as the
		// firing loop does between callbacks, and 6 asks whether a live
		// event waits at a later instant, as the standstill bound does; a
		// history draws how often it does each.
		ops := rapid.SliceOfN(rapid.IntRange(0, 6), 1, 8).Draw(t, "op mix")
		for range rapid.IntRange(0, 300).Draw(t, "ops") {
			switch op := ops[rapid.IntRange(0, len(ops)-1).Draw(t, "op")]; {
			case op == 0 && len(events) > 0:
				e := events[rapid.IntRange(0, len(events)-1).Draw(t, "which")]
				i := find(e)
				if got := unschedule(e); got != (i >= 0) {
					t.Fatalf("unschedule reported %v for an event queued=%v", got, i >= 0)
				}
				if i >= 0 {
					model = slices.Delete(model, i, i+1)
				}
			case op == 1 && len(events) > 0:
				e := events[rapid.IntRange(0, len(events)-1).Draw(t, "which")]
				if i := find(e); i >= 0 {
					unschedule(e)
					model = slices.Delete(model, i, i+1)
				}
				push(e)
			case op == 2:
				if !q.peek() {
					if len(model) != 0 {
						t.Fatalf("queue empty with %d live events", len(model))
					}
					continue
				}
				want := slices.MinFunc(model, func(a, b slot) int {
					return cmp.Or(cmp.Compare(a.when, b.when), cmp.Compare(a.seq, b.seq))
				})
				if q.next() != want.when {
					t.Fatalf("next is %d, want %d", q.next(), want.when)
				}
				// The firing loop tries popHead first, popDue when it
				// finds nothing.
				got, ok := q.popHead()
				if !ok {
					got, ok = q.popDue()
				}
				if !ok {
					t.Fatalf("popDue found nothing due, want (%d,%d)", want.when, want.seq)
				}
				if got.e != want.e || got.seq != want.seq || got.when != want.when {
					t.Fatalf("popped (%d,%d), want (%d,%d)", got.when, got.seq, want.when, want.seq)
				}
				if got.e.queued {
					t.Fatalf("a popped event still reads as queued")
				}
				model = slices.Delete(model, find(got.e), find(got.e)+1)
				now = got.when
			case op == 5:
				due := slices.DeleteFunc(slices.Clone(model), func(s slot) bool { return s.when != now })
				got, ok := q.popHead()
				if !ok {
					got, ok = q.popDue()
				}
				if len(due) == 0 {
					if ok {
						t.Fatalf("popped (%d,%d) with nothing due at %d", got.when, got.seq, now)
					}
					continue
				}
				want := slices.MinFunc(due, func(a, b slot) int { return cmp.Compare(a.seq, b.seq) })
				if !ok || got.e != want.e || got.seq != want.seq || got.when != want.when {
					t.Fatalf("popped (%d,%d) %v, want (%d,%d)", got.when, got.seq, ok, want.when, want.seq)
				}
				model = slices.Delete(model, find(got.e), find(got.e)+1)
			case op == 6:
				var want []uint64
				for _, s := range model {
					if s.when > now {
						want = append(want, s.seq)
					}
				}
				var got []uint64
				for _, s := range q.laterLive(nil) {
					got = append(got, s.seq)
				}
				slices.Sort(want)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("laterLive found %v at %d, want %v", got, now, want)
				}
				if len(want) == 0 && q.full&^1 != 0 {
					t.Fatalf("nothing waits later, but full still marks buckets %#x", q.full&^1)
				}
			case op == 4:
				e := &event{}
				events = append(events, e)
				push(e)
				unschedule(e)
				model = model[:len(model)-1]
			default:
				e := &event{}
				events = append(events, e)
				push(e)
			}
		}
		for b, refs := range q.buckets[1:] {
			if len(refs) > 0 && q.full&(1<<(b+1)) == 0 {
				t.Fatalf("bucket %d holds %d instants but is not marked full", b+1, len(refs))
			}
		}
		n := 0
		q.all(func(s slot) {
			if !s.stale() {
				n++
			}
		})
		if n != len(model) {
			t.Fatalf("all found %d live slots, want %d", n, len(model))
		}
	})
}

// TestInstantStaysSmall pops and pushes events at one
// instant, always with some queued, as a network with no latency does: the
// queue must not keep a slot for every event of the instant.
func TestInstantStaysSmall(t *testing.T) {
	var q eventQueue
	evs := make([]event, 4)
	seq := uint64(0)
	for i := range evs {
		seq++
		q.push(&evs[i], 0, seq)
	}
	for i := range 100_000 {
		require.True(t, q.peek())
		s, ok := q.popDue()
		require.True(t, ok)
		require.Equal(t, uint64(i+1), s.seq, "events at one instant fire in the order scheduled")
		seq++
		q.push(s.e, 0, seq)
	}
	require.Len(t, q.buckets[0], 1, "the events of one time share an instant")
	assert.LessOrEqual(t, cap(q.buckets[0][0].in.slots), 4*compactAt, "the instant holds the events queued, not every event of the instant")
}

// held is how many instants q holds in its buckets.
func held(q *eventQueue) int {
	n := 0
	for _, refs := range q.buckets {
		n += len(refs)
	}
	return n
}

// TestRefillLetsGoOfCancelled cancels all but the first of many events far
// ahead, at times of their own: the queue brings the first down without
// moving the instants of the others, and keeps none of them.
func TestRefillLetsGoOfCancelled(t *testing.T) {
	var q eventQueue
	evs := make([]event, 1000)
	for i := range evs {
		q.push(&evs[i], int64(time.Hour)+int64(i), uint64(i+1))
	}
	for i := range evs[1:] {
		require.True(t, unschedule(&evs[1+i]))
	}
	require.True(t, q.peek())
	require.Equal(t, int64(time.Hour), q.next())
	assert.Equal(t, 1, held(&q), "the instants of cancelled events are let go, not moved")
	s, ok := q.popHead()
	require.True(t, ok)
	require.Same(t, &evs[0], s.e)
	require.False(t, q.peek())
	assert.Equal(t, int64(time.Hour), q.last, "with nothing left to pop, the time stays that of the last pop")
}

// TestCancelledDeadlinesDoNotPileUp runs the clock on with one event every
// millisecond, and at each step sets a deadline an hour ahead and cancels
// it, as a request that answers in time does: the queue must not keep an
// instant for every cancelled deadline until the hour is up.
func TestCancelledDeadlinesDoNotPileUp(t *testing.T) {
	var q eventQueue
	var tick, deadline event
	seq := uint64(1)
	q.push(&tick, int64(time.Millisecond), seq)
	for range 100_000 {
		require.True(t, q.peek())
		now := q.next()
		s, ok := q.popHead()
		require.True(t, ok)
		require.Same(t, &tick, s.e)
		seq++
		q.push(&deadline, now+int64(time.Hour), seq)
		unschedule(&deadline)
		seq++
		q.push(&tick, now+int64(time.Millisecond), seq)
	}
	assert.LessOrEqual(t, held(&q), 8, "instants held")
	assert.LessOrEqual(t, held(&q)+len(q.free), 2*instantChunk, "instants made")
}

// kept is how many slots the instants of q have room for, in its buckets
// and its free list, and pinned how many events they point to outside the
// slots they use: a pointer there keeps the event, and what holds it (a
// task and its context are one allocation), alive.
func kept(q *eventQueue) (slots, pinned int) {
	count := func(in *instant, free bool) {
		slots += cap(in.slots)
		inFirst := cap(in.slots) > 0 && &in.slots[:1][0] == &in.first[0]
		if !inFirst {
			for _, s := range in.first {
				if s.e != nil {
					pinned++
				}
			}
		}
		used := len(in.slots)
		if free {
			used = 0
		}
		for _, s := range in.slots[used:cap(in.slots)] {
			if s.e != nil {
				pinned++
			}
		}
	}
	for _, refs := range q.buckets {
		for _, r := range refs {
			count(r.in, false)
		}
	}
	for _, in := range q.free {
		count(in, true)
	}
	return slots, pinned
}

// A run that now and then cancels a burst of events of one time (the
// deadlines of a process's requests, when it crashes) while its clock moves
// on through many instants (its tasks' sleeps) reuses the instants the
// queue lets go of. An instant given back keeps no room for the burst it
// once held, or the room of every instant would grow, burst by burst, to
// the largest burst it ever saw; nor any event it held.
func TestReusedInstantsDoNotKeepWhatTheyOnceHeld(t *testing.T) {
	var q eventQueue
	var seq uint64
	push := func(e *event, when int64) {
		seq++
		q.push(e, when, seq)
	}
	const sleepers, burst, every = 64, 200, 500
	sleeps := make([]event, sleepers)
	for i := range sleeps {
		push(&sleeps[i], int64(i+1)*int64(time.Millisecond))
	}
	// The least room over a stretch of rounds between two bursts is what
	// the instants keep, the burst's own instant aside.
	least := func(from, to, round, slots int, m *int) {
		if round >= from && round < to {
			*m = min(*m, slots)
		}
	}
	early, late := math.MaxInt, math.MaxInt
	for round := range 20_000 {
		if round%every == 0 {
			at := q.last + int64(100*time.Millisecond)
			for range burst {
				e := &event{}
				push(e, at)
				unschedule(e)
			}
		}
		require.True(t, q.peek())
		s, ok := q.popDue()
		require.True(t, ok)
		push(s.e, q.next()+sleepers*int64(time.Millisecond))
		slots, _ := kept(&q)
		least(4*every, 5*every, round, slots, &early)
		least(39*every, 40*every, round, slots, &late)
	}
	assert.LessOrEqual(t, late, early+early/2, "the instants' room for slots grows with the bursts: %d after 5 bursts, %d after 40", early, late)
	_, pinned := kept(&q)
	assert.Zero(t, pinned, "events the instants no longer use but still point to")
}
