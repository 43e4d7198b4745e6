package wasmhost

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultWatchdog is how long, in real time, a program compiled with
// Options.StopSpins may run without calling the host before it is stopped
// as spinning. It is shorter than the simulation's own watchdog, which
// would report the task as blocked outside the simulation and could not
// stop it.
const DefaultWatchdog = 5 * time.Second

// watch is the real-time watchdog of one instance: it ends the call when
// the program runs its own code, without calling the host, for longer
// than limit. WebAssembly has no preemption, so such a program never lets
// the simulation run again. The watchdog only ever cancels a context;
// it touches no simulation state.
type watch struct {
	limit  time.Duration
	inHost atomic.Bool
	ticks  atomic.Uint64
	fired  atomic.Bool
}

func (w *watch) enter() { w.ticks.Add(1); w.inHost.Store(true) }
func (w *watch) leave() { w.inHost.Store(false) }

// start watches until the returned function is called.
func (w *watch) start(cancel context.CancelFunc, limit time.Duration) (stop func()) {
	if limit <= 0 {
		return func() {}
	}
	w.limit = limit
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		period := limit / 5
		t := time.NewTicker(period)
		defer t.Stop()
		last, idle := w.ticks.Load(), time.Duration(0)
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			now := w.ticks.Load()
			if now != last || w.inHost.Load() {
				last, idle = now, 0
				continue
			}
			if idle += period; idle >= limit {
				w.fired.Store(true)
				cancel()
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
