package sim

import (
	"maps"
	"strings"
	"sync"
)

// maxIdleWorkers bounds how many idle workers a Workers keeps: a run that
// started thousands of tasks at once should not pin their stacks for the
// rest of a Run.
const maxIdleWorkers = 256

// Workers keeps the idle workers of finished runs for the next ones, so
// that the tasks of a run of many seeds start on goroutines that exist and
// whose stacks have grown, rather than on new ones. It belongs to one
// sequence of runs (one simtest.Run); runs in parallel each have their
// own. Close stops the workers it holds.
//
// A nil *Workers keeps nothing: each run makes its own workers and stops
// them when it ends.
type Workers struct {
	mu     sync.Mutex
	idle   []*worker
	loops  []*runLoop // idle goroutines for RunGuarded's runs
	stores []*worldStore
	// reserve is held from the first run until Close (see gcReserve).
	reserve []byte
	closed  bool
	// stop closes when Stop is called.
	stop     chan struct{}
	stopOnce sync.Once
	// labels are the labels of every worker its runs made (Leftover).
	labels map[string]bool
}

// gcReserve is the size of a block of memory that a Workers holds, and
// never writes, while its runs go on. Seeds allocate fast and keep little:
// a seed of the kv example allocates about 770 KB and keeps about 1 MB
// live, so the collector, whose goal is twice the live heap but at least
// 4 MB, ran every four seeds and took about 15% of the CPU: on one worker
// much of it ran on another core, on two it ran on the workers themselves.
// Held live, the block raises the goal to about 10 MB and the collector
// runs about two and a half times less often; holding no pointers, it
// costs the collector nothing to mark. Measured on the kv example's
// seeds, alternated with and without (BENCHMARKS.md): 2% more seeds per
// CPU second on one core, and two workers went from 1.62 to 1.94 times
// the rate of one (medians of six runs). A larger block spreads the
// garbage over more memory and was slower (32 MB: 20%).
const gcReserve = 4 << 20

// A worldStore is storage a run grows as it goes (its spare events and
// deadline timers, the array of killed tasks' stacks), handed by Workers
// from a finished run to the next, which then starts with what the last
// one made rather than allocating it again. None of it holds anything of
// the run that kept it, and none of it changes what a run does: only
// where its bookkeeping lives.
//
// The event queue's buckets and instants are not handed on: measured on
// the kv example's seeds, a world that took the last one's queue ran
// slower (4-18%, in runs side by side) than one that grew its own, for
// 26 KB a seed fewer.
type worldStore struct {
	deadlineTimers []*deadlineTimer
	events         []*event
	killPCs        []uintptr
}

// maxIdleStores bounds how many stores a Workers keeps: one for each run
// that may be under way at once is enough, and a Run of many workers
// keeps no more than this many runs' worth.
const maxIdleStores = 16

// takeStore returns a store of an earlier run, or nil.
func (p *Workers) takeStore() *worldStore {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reserve == nil && !p.closed {
		p.reserve = make([]byte, gcReserve)
	}
	n := len(p.stores)
	if n == 0 {
		return nil
	}
	s := p.stores[n-1]
	p.stores[n-1] = nil
	p.stores = p.stores[:n-1]
	return s
}

// keepStore takes the store of a finished run, for the next.
func (p *Workers) keepStore(s *worldStore) {
	p.mu.Lock()
	if !p.closed && len(p.stores) < maxIdleStores {
		p.stores = append(p.stores, s)
	}
	p.mu.Unlock()
}

// maxIdleLoops bounds how many idle run loops a Workers keeps. A run's loop
// is back in the pool a moment after its result is, so the next run may
// find it still busy and take another; two are enough.
const maxIdleLoops = 2

// A runLoop is a goroutine that runs worlds, one after the other, for
// RunGuarded: a Run of many seeds then starts no goroutine per seed. Under
// the race detector every goroutine started costs memory that is not given
// back.
type runLoop struct {
	jobs chan func(goid int64)
}

// goRun runs f on a goroutine of its own, given the goroutine's id: an
// idle run loop of p, or a new one. A loop whose f does not return (a run
// abandoned by the watchdog, a runtime.Goexit) is never used again.
func (p *Workers) goRun(f func(goid int64)) {
	if p == nil {
		go func() { f(GoroutineID()) }()
		return
	}
	var l *runLoop
	p.mu.Lock()
	if n := len(p.loops); n > 0 && !p.closed {
		l = p.loops[n-1]
		p.loops[n-1] = nil
		p.loops = p.loops[:n-1]
	}
	p.mu.Unlock()
	if l == nil {
		l = &runLoop{jobs: make(chan func(int64), 1)}
		go l.serve(p)
	}
	l.jobs <- f
}

// serve runs l's jobs; it reads its goroutine's id once for all of them,
// from a stack trace, which costs more than many a short run.
func (l *runLoop) serve(p *Workers) {
	id := GoroutineID()
	for f := range l.jobs {
		f(id)
		p.mu.Lock()
		if p.closed || len(p.loops) >= maxIdleLoops {
			p.mu.Unlock()
			return
		}
		p.loops = append(p.loops, l)
		p.mu.Unlock()
	}
}

// NewWorkers returns an empty Workers.
func NewWorkers() *Workers { return &Workers{stop: make(chan struct{})} }

// made notes a worker that a run lending p's workers made, whose label
// Leftover looks for.
func (p *Workers) made(wk *worker) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.labels == nil {
		p.labels = make(map[string]bool)
	}
	p.labels[wk.label] = true
	p.mu.Unlock()
}

// Leftover counts the goroutines that the tasks of p's runs started with
// go statements and that still run, on the wall clock beside the
// simulation, after the runs ended (a library's janitor or ticker): seed
// after seed they pile up. Of one of them it returns the function it was
// started as and the one it is in. Ask it once the runs are over: a
// goroutine of a run under way counts too. looked is false, and n 0, when
// it could not look, which is not "none": a program's code ran for over a
// second without calling the host, meanwhile, somewhere in the process (a
// spin), and a count would stop the world, which waits for that code.
// Goroutines whose stack, as "function\n\tfile:line" lines, allowed
// accepts are not counted; allowed may be nil.
func (p *Workers) Leftover(allowed func(stack string) bool) (n int, startedAs, in string, looked bool) {
	if p == nil {
		return 0, "", "", true
	}
	p.mu.Lock()
	labels := maps.Clone(p.labels)
	p.mu.Unlock()
	if len(labels) == 0 {
		return 0, "", "", true
	}
	n, stack, looked := labelledGoroutines(labels, allowed)
	if n == 0 {
		return 0, "", "", looked
	}
	in, _, _ = strings.Cut(stack, "\n")
	return n, goFunc(stack), in, true
}

// Stop tells the runs that use p, those under way and those to come,
// that nobody wants their outcomes any longer (a Run that stopped at an
// earlier seed's failure). Under RunGuarded such a run goes on, but one
// whose task does not come back is given up after stopGrace rather than
// the whole watchdog, with the Abandoned failure, which names the task and
// where it was when a sample of its goroutine finds it. It is safe to call from any goroutine, more than once.
func (p *Workers) Stop() { p.stopOnce.Do(func() { close(p.stop) }) }

// Stopped reports whether Stop was called.
func (p *Workers) Stopped() bool {
	select {
	case <-p.stopped():
		return true
	default:
		return false
	}
}

// stopped returns the channel that Stop closes; nil, which never closes,
// for a nil Workers.
func (p *Workers) stopped() <-chan struct{} {
	if p == nil {
		return nil
	}
	return p.stop
}

// get returns an idle worker, or nil.
func (p *Workers) get() *worker {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.idle)
	if n == 0 || p.closed {
		return nil
	}
	wk := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	return wk
}

// put takes back the idle workers of a finished run, and stops those it
// cannot keep: all of them if the run was abandoned.
func (p *Workers) put(idle []*worker, abandoned bool) {
	var stop []*worker
	if p == nil || abandoned {
		stop = idle
	} else {
		p.mu.Lock()
		keep := min(len(idle), maxIdleWorkers-len(p.idle))
		if p.closed {
			keep = 0
		}
		p.idle = append(p.idle, idle[:keep]...)
		stop = idle[keep:]
		p.mu.Unlock()
	}
	for _, wk := range stop {
		wk.stop()
	}
}

// Close stops the idle workers and run loops, and those that finish later.
// Runs may still use p after: they make their own, and stop them.
func (p *Workers) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	idle, loops := p.idle, p.loops
	p.idle, p.loops, p.stores, p.reserve = nil, nil, nil, nil
	p.closed = true
	p.mu.Unlock()
	for _, wk := range idle {
		wk.stop()
	}
	for _, l := range loops {
		close(l.jobs)
	}
}
