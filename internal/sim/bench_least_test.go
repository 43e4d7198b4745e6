package sim

import (
	"iter"
	"math/bits"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/stretchr/testify/assert"
)

// BenchmarkLeastScheduler measures what BenchmarkTimers' workload costs
// in two schedulers that do only part of the engine's work, each against
// the floor (coldResumes) in the same run, so that the engine's x-floor
// can be read as a sum of parts:
//
//   - ring: the least scheduler that draws its order as the engine does.
//     Tasks are iter.Pull coroutines; a woken task's number joins a ready
//     list, from which a ChaCha8 draw picks the next to resume; a sleep
//     appends the task's number to a ring of per-millisecond buckets; each
//     step and each wake-up is mixed into a trace hash. Nothing else: no
//     contexts, no guards, no task records.
//   - engine-parts: the same loop on the engine's own parts: its event
//     queue (each sleep an event in its task's record, pushed and popped
//     in (time, sequence) order), its ready list (listAdd, listRemove)
//     and its task records.
//
// Three more split engine-parts' cost above ring among its parts:
//
//   - ring-records: ring, with a task record of the engine's for each
//     task, which the wake-up and the step read as engine-parts does
//     (parked, id, next), and nothing else of the engine's.
//   - parts-ring: engine-parts with ring's buckets (of tasks) in place
//     of the event queue.
//   - parts-slots: engine-parts with ring's ready list (slots, no
//     positions) in place of the engine's.
//
// What BenchmarkTimers costs above engine-parts is the rest of the engine:
// the waits on contexts, the checks for stray goroutines and killed
// tasks, the watchdog's publication, the guards.
func BenchmarkLeastScheduler(b *testing.B) {
	const tasks, sleeps = 1000, 1000
	for _, s := range []struct {
		name string
		run  func(tasks, sleeps int, seed uint64) (time.Duration, uint64)
	}{
		{"ring", leastRing},
		{"engine-parts", leastEngineParts},
		{"ring-records", leastRingRecords},
		{"parts-ring", leastPartsRing},
		{"parts-slots", leastPartsSlots},
	} {
		b.Run(s.name, func(b *testing.B) {
			var cost, floor time.Duration
			var events, resumes uint64
			var rounds []float64
			for i := range b.N {
				d, n := s.run(tasks, sleeps, uint64(i))
				cost += d
				events += n
				d, n = coldResumes(tasks, sleeps, uint64(i), &rounds)
				floor += d
				resumes += n
			}
			perEvent := float64(cost.Nanoseconds()) / float64(events)
			perResume := float64(floor.Nanoseconds()) / float64(resumes)
			b.ReportMetric(perEvent, "cpu-ns/event")
			b.ReportMetric(perResume, "cpu-ns/floor-resume")
			b.ReportMetric(perEvent/perResume, "x-floor")
		})
	}
}

// sleepMillis is the sleep of task i in BenchmarkTimers, in milliseconds.
func sleepMillis(i int) int { return 1 + i%7 }

// drawIndex draws an index into a list of n, n > 1, as the engine's
// stream does (rng.Stream.IntN on ChaCha8).
func drawIndex(r *rand.ChaCha8, n int) int {
	hi, _ := bits.Mul64(r.Uint64(), uint64(n))
	return int(hi)
}

// leastRing runs BenchmarkTimers' workload on the ring scheduler of
// BenchmarkLeastScheduler and returns the CPU time it took and the number
// of wake-ups.
func leastRing(tasks, sleeps int, seed uint64) (time.Duration, uint64) {
	const horizon = 8 // milliseconds: past the longest sleep
	var ring [horizon][]int32
	var now, cur int
	nexts := make([]func() (struct{}, bool), tasks)
	stops := make([]func(), tasks)
	ready := make([]int32, 0, tasks)
	for i := range nexts {
		d := sleepMillis(i)
		nexts[i], stops[i] = iter.Pull(func(yield func(struct{}) bool) {
			for range sleeps {
				b := (now + d) % horizon
				ring[b] = append(ring[b], int32(cur))
				if !yield(struct{}{}) {
					return
				}
			}
		})
		ready = append(ready, int32(i))
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	r := rand.NewChaCha8([32]byte{byte(seed)})
	var trace, events uint64
	start := testenv.CPUTime()
	for {
		for n := len(ready); n > 0; n = len(ready) {
			i := 0
			if n > 1 {
				i = drawIndex(r, n)
			}
			cur = int(ready[i])
			ready[i] = ready[n-1]
			ready = ready[:n-1]
			trace = mix(trace, uint64(cur))
			nexts[cur]()
		}
		k := 1
		for k <= horizon && len(ring[(now+k)%horizon]) == 0 {
			k++
		}
		if k > horizon {
			break
		}
		now += k
		b := now % horizon
		for _, id := range ring[b] {
			trace = mix(trace, uint64(now)^uint64(id)<<40)
			events++
		}
		ready = append(ready, ring[b]...)
		ring[b] = ring[b][:0]
	}
	return testenv.CPUTime() - start, events
}

// leastParts is the engine-parts scheduler of BenchmarkLeastScheduler.
type leastParts struct {
	q     eventQueue
	ready []listEntry
	pos   []int32
	now   int64
	seq   uint64
}

// sleep queues the end of t's sleep and parks t. It is a call of its
// own, as the engine's Sleep is, so that the task returns through as many
// frames when it is resumed.
//
//go:noinline
func (z *leastParts) sleep(t *task, d int64) bool {
	z.seq++
	z.q.push(&t.sleep, z.now+d, z.seq)
	t.parked = true
	return t.yield(struct{}{})
}

// leastEngineParts runs BenchmarkTimers' workload on the engine-parts
// scheduler and returns the CPU time it took and the number of events.
func leastEngineParts(tasks, sleeps int, seed uint64) (time.Duration, uint64) {
	z := &leastParts{pos: make([]int32, tasks)}
	stops := make([]func(), tasks)
	for i := range tasks {
		t := &task{slot: int32(i), id: uint32(i)}
		t.sleep.task = t
		d := int64(sleepMillis(i)) * int64(time.Millisecond)
		t.next, stops[i] = iter.Pull(func(yield func(struct{}) bool) {
			t.yield = yield
			for range sleeps {
				if !z.sleep(t, d) {
					return
				}
			}
		})
		listAdd(&z.ready, z.pos, t)
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	r := rand.NewChaCha8([32]byte{byte(seed)})
	var trace, events uint64
	start := testenv.CPUTime()
	for {
		for n := len(z.ready); n > 0; n = len(z.ready) {
			i := 0
			if n > 1 {
				i = drawIndex(r, n)
			}
			e := z.ready[i]
			listRemove(&z.ready, z.pos, i)
			trace = mix(trace, uint64(e.id)<<32)
			e.next()
		}
		if !z.q.peek() {
			break
		}
		z.now = z.q.next()
		for {
			s, ok := z.q.popHead()
			if !ok {
				if s, ok = z.q.popDue(); !ok {
					break
				}
			}
			trace = mix(trace, uint64(s.when)^s.seq<<40)
			events++
			if t := s.e.task; t.parked {
				t.parked = false
				listAdd(&z.ready, z.pos, t)
			}
		}
	}
	return testenv.CPUTime() - start, events
}

// ringHorizon is the span of ring's buckets, in milliseconds: past the
// longest sleep.
const ringHorizon = 8

// ringBuckets is ring's queue for schedulers that keep task records: a
// bucket of tasks for each millisecond of the horizon.
type ringBuckets struct {
	b   [ringHorizon][]*task
	now int
}

// sleep queues t in the bucket d milliseconds on and parks it; a call of
// its own, as leastParts.sleep is.
//
//go:noinline
func (r *ringBuckets) sleep(t *task, d int) bool {
	b := &r.b[(r.now+d)%ringHorizon]
	*b = append(*b, t)
	t.parked = true
	return t.yield(struct{}{})
}

// advance moves now to the next bucket that holds tasks and returns it,
// or nil when none does. The caller empties it (done).
func (r *ringBuckets) advance() []*task {
	k := 1
	for k <= ringHorizon && len(r.b[(r.now+k)%ringHorizon]) == 0 {
		k++
	}
	if k > ringHorizon {
		return nil
	}
	r.now += k
	return r.b[r.now%ringHorizon]
}

// done empties the current bucket.
func (r *ringBuckets) done() {
	b := &r.b[r.now%ringHorizon]
	clear(*b)
	*b = (*b)[:0]
}

// ringTasks makes the records of tasks tasks, each with its coroutine
// from body, and returns them and their stops. The body calls its
// scheduler's sleep itself, so that a task's stack is as deep as in
// engine-parts.
func ringTasks(tasks int, body func(t *task, d int) func(yield func(struct{}) bool)) ([]*task, []func()) {
	ts := make([]*task, tasks)
	stops := make([]func(), tasks)
	for i := range ts {
		t := &task{slot: int32(i), id: uint32(i)}
		t.sleep.task = t
		t.next, stops[i] = iter.Pull(body(t, sleepMillis(i)))
		ts[i] = t
	}
	return ts, stops
}

// ringBody is the body of a task that sleeps sleeps times in q.
func ringBody(q *ringBuckets, sleeps int) func(t *task, d int) func(yield func(struct{}) bool) {
	return func(t *task, d int) func(yield func(struct{}) bool) {
		return func(yield func(struct{}) bool) {
			t.yield = yield
			for range sleeps {
				if !q.sleep(t, d) {
					return
				}
			}
		}
	}
}

// leastRingRecords runs BenchmarkTimers' workload on ring with task
// records (ring-records).
func leastRingRecords(tasks, sleeps int, seed uint64) (time.Duration, uint64) {
	var q ringBuckets
	ready, stops := ringTasks(tasks, ringBody(&q, sleeps))
	defer stopAll(stops)
	r := rand.NewChaCha8([32]byte{byte(seed)})
	var trace, events uint64
	start := testenv.CPUTime()
	for {
		for n := len(ready); n > 0; n = len(ready) {
			i := 0
			if n > 1 {
				i = drawIndex(r, n)
			}
			t := ready[i]
			ready[i] = ready[n-1]
			ready = ready[:n-1]
			trace = mix(trace, uint64(t.id)<<32)
			t.next()
		}
		due := q.advance()
		if due == nil {
			break
		}
		for _, t := range due {
			trace = mix(trace, uint64(q.now)^uint64(t.id)<<40)
			events++
			if t.parked {
				t.parked = false
				ready = append(ready, t)
			}
		}
		q.done()
	}
	return testenv.CPUTime() - start, events
}

// leastPartsRing runs BenchmarkTimers' workload on engine-parts with
// ring's buckets for a queue (parts-ring).
func leastPartsRing(tasks, sleeps int, seed uint64) (time.Duration, uint64) {
	var q ringBuckets
	ts, stops := ringTasks(tasks, ringBody(&q, sleeps))
	defer stopAll(stops)
	var ready []listEntry
	pos := make([]int32, tasks)
	for _, t := range ts {
		listAdd(&ready, pos, t)
	}
	r := rand.NewChaCha8([32]byte{byte(seed)})
	var trace, events uint64
	start := testenv.CPUTime()
	for {
		for n := len(ready); n > 0; n = len(ready) {
			i := 0
			if n > 1 {
				i = drawIndex(r, n)
			}
			e := ready[i]
			listRemove(&ready, pos, i)
			trace = mix(trace, uint64(e.id)<<32)
			e.next()
		}
		due := q.advance()
		if due == nil {
			break
		}
		for _, t := range due {
			trace = mix(trace, uint64(q.now)^uint64(t.id)<<40)
			events++
			if t.parked {
				t.parked = false
				listAdd(&ready, pos, t)
			}
		}
		q.done()
	}
	return testenv.CPUTime() - start, events
}

// leastPartsSlots runs BenchmarkTimers' workload on engine-parts with
// ring's ready list of slots (parts-slots).
func leastPartsSlots(tasks, sleeps int, seed uint64) (time.Duration, uint64) {
	z := &leastParts{}
	ts, stops := ringTasks(tasks, func(t *task, d int) func(yield func(struct{}) bool) {
		dn := int64(d) * int64(time.Millisecond)
		return func(yield func(struct{}) bool) {
			t.yield = yield
			for range sleeps {
				if !z.sleep(t, dn) {
					return
				}
			}
		}
	})
	defer stopAll(stops)
	nexts := make([]func() (struct{}, bool), tasks)
	ready := make([]int32, tasks)
	for i, t := range ts {
		nexts[i], ready[i] = t.next, t.slot
	}
	r := rand.NewChaCha8([32]byte{byte(seed)})
	var trace, events uint64
	start := testenv.CPUTime()
	for {
		for n := len(ready); n > 0; n = len(ready) {
			i := 0
			if n > 1 {
				i = drawIndex(r, n)
			}
			s := ready[i]
			ready[i] = ready[n-1]
			ready = ready[:n-1]
			trace = mix(trace, uint64(s)<<32)
			nexts[s]()
		}
		if !z.q.peek() {
			break
		}
		z.now = z.q.next()
		for {
			s, ok := z.q.popHead()
			if !ok {
				if s, ok = z.q.popDue(); !ok {
					break
				}
			}
			trace = mix(trace, uint64(s.when)^s.seq<<40)
			events++
			if t := s.e.task; t.parked {
				t.parked = false
				ready = append(ready, t.slot)
			}
		}
	}
	return testenv.CPUTime() - start, events
}

// stopAll stops the coroutines of a scheduler of BenchmarkLeastScheduler.
func stopAll(stops []func()) {
	for _, stop := range stops {
		stop()
	}
}

// TestLeastSchedulersRunTheWorkload checks that every scheduler of
// BenchmarkLeastScheduler runs every sleep of every task.
func TestLeastSchedulersRunTheWorkload(t *testing.T) {
	for name, run := range map[string]func(int, int, uint64) (time.Duration, uint64){
		"ring": leastRing, "engine-parts": leastEngineParts,
		"ring-records": leastRingRecords, "parts-ring": leastPartsRing, "parts-slots": leastPartsSlots,
	} {
		for _, tasks := range []int{1, 7, 50} {
			_, events := run(tasks, 20, 1)
			assert.Equal(t, uint64(tasks*20), events, "%s with %d tasks", name, tasks)
		}
	}
}
