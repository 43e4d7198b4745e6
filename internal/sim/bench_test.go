package sim

import (
	"context"
	"iter"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/providers"
)

// bareSwitch measures n round trips into a bare iter.Pull coroutine: the
// floor a scheduler switch is compared with.
func bareSwitch(n int) time.Duration {
	next, stop := iter.Pull(func(yield func(int) bool) {
		for i := 0; ; i++ {
			if !yield(i) {
				return
			}
		}
	})
	defer stop()
	start := time.Now()
	for range n {
		next()
	}
	return time.Since(start)
}

// BenchmarkTaskSwitch measures one task switch through the scheduler (a task
// yields, the scheduler draws the next of two ready tasks and resumes it)
// and reports its ratio to a bare iter.Pull round trip. The two are measured
// in alternating rounds inside the same run, so that a noisy neighbour
// weighs on both; the ratio reported is the median of the rounds'.
func BenchmarkTaskSwitch(b *testing.B) {
	const rounds = 16
	var ratios []float64
	var sched, bare time.Duration
	var switches uint64
	b.ReportAllocs()
	w := New(Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		stop := false
		other := p.Task.Go(ctx, "other", func(ctx context.Context) error {
			for !stop {
				p.Task.Yield(ctx)
			}
			return nil
		})
		per := max(b.N/rounds, 1)
		b.ResetTimer()
		for range rounds {
			bd := bareSwitch(per)
			steps := w.steps
			start := time.Now()
			for range per {
				p.Task.Yield(ctx)
			}
			sd := time.Since(start)
			n := w.steps - steps
			bare += bd
			sched += sd
			switches += n
			ratios = append(ratios, (float64(sd)/float64(n))/(float64(bd)/float64(per)))
		}
		b.StopTimer()
		stop = true
		return other.Join(ctx)
	})
	if res.Err != nil {
		b.Fatal(res.Err)
	}
	slices.Sort(ratios)
	b.ReportMetric(float64(sched.Nanoseconds())/float64(switches), "ns/switch")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(max(b.N/rounds, 1)*rounds), "ns/bare-switch")
	b.ReportMetric(ratios[len(ratios)/2], "x-bare")
}

// coldResumes is the floor of BenchmarkTimers: n parked iter.Pull
// coroutines, each resumed k times, in a seeded random order (a fresh
// shuffle of the n for each of the k rounds), and nothing else. It returns
// the CPU time taken and the number of resumes, and appends to rounds the
// wall time of each round, in nanoseconds a resume.
func coldResumes(n, k int, seed uint64, rounds *[]float64) (time.Duration, uint64) {
	nexts := make([]func() (int, bool), n)
	stops := make([]func(), n)
	for i := range nexts {
		nexts[i], stops[i] = iter.Pull(func(yield func(int) bool) {
			for j := 0; ; j++ {
				if !yield(j) {
					return
				}
			}
		})
		nexts[i]() // started and parked, as a task is after its first step
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	r := rand.New(rand.NewPCG(seed, seed))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	start := testenv.CPUTime()
	for range k {
		r.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		wall := time.Now()
		for _, i := range order {
			nexts[i]()
		}
		*rounds = append(*rounds, float64(time.Since(wall).Nanoseconds())/float64(n))
	}
	return testenv.CPUTime() - start, uint64(n * k)
}

// BenchmarkTimers runs 1,000 tasks that each sleep 1,000 times: a million
// timer events per op, each a wake-up and a task switch. Each op also
// measures the floor (coldResumes: a million resumes of 1,000 parked
// coroutines in a random order), and the benchmark reports the ratio of
// the two in CPU time (x-floor), which a loaded machine moves far less
// than wall time.
//
// On a machine shared with other work, CPU time still grows with what the
// neighbours do to the caches. So the benchmark also times both in short
// stretches of wall time: the engine per simulated millisecond (one task
// notes the clock at each of its wake-ups; about 370 events), the floor
// per round of 1,000 resumes. The 10th percentile of each is what they
// cost when nothing else ran in between, and x-floor-p10 is their ratio.
func BenchmarkTimers(b *testing.B) { benchTimers(b, 1000, 1000) }

// BenchmarkTimersByTasks is BenchmarkTimers with a million sleeps spread
// over fewer or more tasks, each against the floor of as many coroutines:
// with a hundred, every task's stack and fields stay in the caches, so
// what x-floor shows there is the engine's work an event, not its misses.
func BenchmarkTimersByTasks(b *testing.B) {
	for _, tasks := range []int{100, 300, 1000, 3000} {
		b.Run(strconv.Itoa(tasks), func(b *testing.B) { benchTimers(b, tasks, 1000000/tasks) })
	}
}

// benchTimers runs tasks tasks that each sleep sleeps times, and measures
// the floor of as many coroutines resumed as often (BenchmarkTimers).
func benchTimers(b *testing.B, tasks, sleeps int) {
	b.ReportAllocs()
	var events, resumes uint64
	var engine, floor time.Duration
	var chunks, rounds []float64
	for i := range b.N {
		start := testenv.CPUTime()
		w := New(Config{Seed: 1})
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			hs := make([]providers.Handle, tasks)
			for i := range hs {
				d := time.Duration(1+i%7) * time.Millisecond
				hs[i] = p.Task.Go(ctx, "sleeper", func(ctx context.Context) error {
					wall, n := time.Now(), w.steps+w.events
					for range sleeps {
						if err := p.Time.Sleep(ctx, d); err != nil {
							return err
						}
						if i == 0 { // d is 1ms: a stretch per simulated millisecond
							now, m := time.Now(), w.steps+w.events
							chunks = append(chunks, 2*float64(now.Sub(wall).Nanoseconds())/float64(m-n))
							wall, n = now, m
						}
					}
					return nil
				})
			}
			for _, h := range hs {
				if err := h.Join(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		engine += testenv.CPUTime() - start
		if res.Err != nil {
			b.Fatal(res.Err)
		}
		events += res.Events
		d, n := coldResumes(tasks, sleeps, uint64(i), &rounds)
		floor += d
		resumes += n
	}
	perEvent := float64(engine.Nanoseconds()) / float64(events)
	perResume := float64(floor.Nanoseconds()) / float64(resumes)
	b.ReportMetric(float64(events)/engine.Seconds(), "events/cpu-s")
	b.ReportMetric(perEvent, "cpu-ns/event")
	b.ReportMetric(perResume, "cpu-ns/floor-resume")
	b.ReportMetric(perEvent/perResume, "x-floor")
	p10 := func(xs []float64) float64 {
		slices.Sort(xs)
		return xs[len(xs)/10]
	}
	b.ReportMetric(p10(chunks)/p10(rounds), "x-floor-p10")
}

// A swapSlot is an iter.Pull coroutine used as a place where one parked
// goroutine waits. The runtime's coroutine switch swaps the caller with
// whatever goroutine the coroutine holds, whichever goroutine calls, so a
// goroutine that calls the slot's next or yield (they must alternate)
// parks there and resumes the one that was parked there.
type swapSlot struct {
	next  func() (struct{}, bool)
	yield func(struct{}) bool
	odd   bool // yield is the call to make next
}

func (s *swapSlot) swap() {
	if s.odd {
		s.odd = false
		s.yield(struct{}{})
	} else {
		s.odd = true
		s.next()
	}
}

// directRing is the one-switch scheduler's floor: n goroutines, each born
// in its own swapSlot, that hand the turn straight to one another, one
// switch a hand-over, with no scheduler goroutine between them. Goroutine
// n is the driver, which is in no slot of its own.
type directRing struct {
	slots []swapSlot
	at    []int // the slot each goroutine is parked in, -1 when it runs
	who   []int // the goroutine parked in each slot
	order []int
	r     *rand.Rand
	pos   int
	left  int
	phase int // running, settling, ending
}

// to parks g and runs h.
func (d *directRing) to(g, h int) {
	s := d.at[h]
	d.at[g], d.at[h], d.who[s] = s, -1, g
	d.slots[s].swap()
}

// body is goroutine i: hand the turn on until the run is over, then settle
// in its own slot, where its end returns the turn to whoever parked there.
func (d *directRing) body(i int) {
	for d.phase == 0 {
		if d.left == 0 {
			d.to(i, len(d.slots))
			continue
		}
		if d.pos == len(d.order) {
			d.r.Shuffle(len(d.order), func(a, b int) { d.order[a], d.order[b] = d.order[b], d.order[a] })
			d.pos = 0
		}
		h := d.order[d.pos]
		d.pos++
		if h != i {
			d.left--
			d.to(i, h)
		}
	}
	if d.phase == 1 && d.who[i] != i {
		d.to(i, d.who[i])
	}
}

// directTransfers runs k hand-overs through n parked goroutines, in
// seeded random rounds as coldResumes resumes them, and returns the CPU
// time they took.
func directTransfers(n, k int, seed uint64) time.Duration {
	d := &directRing{
		slots: make([]swapSlot, n), at: make([]int, n+1), who: make([]int, n),
		order: make([]int, n), r: rand.New(rand.NewPCG(seed, seed)),
	}
	driver := n
	for i := range d.slots {
		d.at[i], d.who[i], d.order[i] = i, i, i
		d.slots[i].next, _ = iter.Pull(func(yield func(struct{}) bool) {
			d.slots[i].yield = yield
			d.to(i, driver) // parked, as a task is after its first step
			d.body(i)
		})
	}
	d.at[driver] = -1
	for i := range d.slots {
		d.to(driver, i)
	}
	d.pos, d.left = n, k
	start := testenv.CPUTime()
	d.to(driver, d.order[0])
	elapsed := testenv.CPUTime() - start
	d.phase = 1 // put every goroutine back in its own slot, cycle by cycle
	for i := range d.slots {
		if d.at[i] != i {
			d.to(driver, i)
		}
	}
	d.phase = 2 // then end each from its own slot
	for i := range d.slots {
		d.to(driver, i)
		d.at[driver] = -1
	}
	return elapsed
}

// BenchmarkDirectTransfer measures what BenchmarkTimers would cost if a
// parking task switched straight to the next one, one coroutine switch an
// event instead of a resume's two: hand-overs between 1,000 parked
// goroutines in seeded random rounds, against the floor, coldResumes, in
// the same run. It is below the floor only if the switch back to a
// scheduler is where an event's cost lies.
func BenchmarkDirectTransfer(b *testing.B) {
	const n, k = 1000, 1000
	var direct, floor time.Duration
	var rounds []float64
	for i := range b.N {
		direct += directTransfers(n, n*k, uint64(i))
		d, _ := coldResumes(n, k, uint64(i), &rounds)
		floor += d
	}
	perTransfer := float64(direct.Nanoseconds()) / float64(b.N*n*k)
	perResume := float64(floor.Nanoseconds()) / float64(b.N*n*k)
	b.ReportMetric(perTransfer, "cpu-ns/transfer")
	b.ReportMetric(perResume, "cpu-ns/floor-resume")
	b.ReportMetric(perTransfer/perResume, "x-floor")
}

// BenchmarkTimerAllocs reports allocations per timer event in steady state:
// one task sleeping many times.
func BenchmarkTimerAllocs(b *testing.B) {
	b.ReportAllocs()
	res := New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		b.ResetTimer()
		for range b.N {
			if err := p.Time.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
		}
		b.StopTimer()
		return nil
	})
	if res.Err != nil {
		b.Fatal(res.Err)
	}
}

// BenchmarkHeartbeat24h is time compression: five tasks beat once per
// simulated second for 24 simulated hours.
func BenchmarkHeartbeat24h(b *testing.B) {
	for range b.N {
		res := New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
			var hs []providers.Handle
			for range 5 {
				hs = append(hs, p.Task.Go(ctx, "heart", func(ctx context.Context) error {
					for range 24 * 3600 {
						if err := p.Time.Sleep(ctx, time.Second); err != nil {
							return err
						}
					}
					return nil
				}))
			}
			for _, h := range hs {
				if err := h.Join(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if res.Err != nil || res.SimTime != 24*time.Hour {
			b.Fatal(res.Err, res.SimTime)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall-s/24h")
	b.ReportMetric(24*3600/(b.Elapsed().Seconds()/float64(b.N)), "sim-s/wall-s")
}

// BenchmarkDeadline measures a deadline set and cancelled: under a task's
// context, under another deadline that ends later (its own timer) or
// sooner (none), and under a task's context that inherits a deadline.
func BenchmarkDeadline(b *testing.B) {
	loop := func(b *testing.B, p providers.Providers, ctx context.Context, d time.Duration) {
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			_, cancel := p.Time.WithTimeout(ctx, d)
			cancel()
		}
		b.StopTimer()
	}
	cases := []struct {
		name   string
		parent time.Duration // 0: none
		task   bool          // in a task started under the parent
	}{
		{"top", 0, false},
		{"nested-own", time.Hour, false},
		{"nested-parents", time.Millisecond, false},
		{"task-under-deadline", time.Hour, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			res := New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
				if tc.parent > 0 {
					var cancel context.CancelFunc
					ctx, cancel = p.Time.WithTimeout(ctx, tc.parent)
					defer cancel()
				}
				if !tc.task {
					loop(b, p, ctx, time.Second)
					return nil
				}
				return p.Task.Go(ctx, "inner", func(ctx context.Context) error {
					loop(b, p, ctx, time.Second)
					return nil
				}).Join(ctx)
			})
			if res.Err != nil {
				b.Fatal(res.Err)
			}
		})
	}
}
