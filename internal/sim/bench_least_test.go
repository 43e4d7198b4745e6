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

// TestLeastSchedulersRunTheWorkload checks that both schedulers of
// BenchmarkLeastScheduler run every sleep of every task.
func TestLeastSchedulersRunTheWorkload(t *testing.T) {
	for name, run := range map[string]func(int, int, uint64) (time.Duration, uint64){
		"ring": leastRing, "engine-parts": leastEngineParts,
	} {
		for _, tasks := range []int{1, 7, 50} {
			_, events := run(tasks, 20, 1)
			assert.Equal(t, uint64(tasks*20), events, "%s with %d tasks", name, tasks)
		}
	}
}
