package sim

import "sync"

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
	mu   sync.Mutex
	idle []*worker
}

// NewWorkers returns an empty Workers.
func NewWorkers() *Workers { return &Workers{} }

// get returns an idle worker, or nil.
func (p *Workers) get() *worker {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.idle)
	if n == 0 {
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
		p.idle = append(p.idle, idle[:keep]...)
		stop = idle[keep:]
		p.mu.Unlock()
	}
	for _, wk := range stop {
		wk.stop()
	}
}

// Close stops the idle workers. Runs may still use p after: they make
// new workers.
func (p *Workers) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, wk := range idle {
		wk.stop()
	}
}
