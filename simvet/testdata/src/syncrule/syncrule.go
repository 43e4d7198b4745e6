package syncrule

import (
	"sync"
	"sync/atomic"
)

type state struct {
	mu   sync.Mutex     // want `^sync: sync.Mutex blocks the goroutine outside the simulation, so a task waiting on it stops the whole run; use providers.NewMutex\(p.Task\), or, if it is never held across a call that parks, //simvet:allow sync <reason>$`
	rw   sync.RWMutex   // want `sync.RWMutex blocks .*one Mutex\), or, if it is never held across a call that parks, //simvet:allow sync <reason>$`
	wg   sync.WaitGroup // want `sync.WaitGroup blocks .*providers.NewWaitGroup\(p.Task\), or a providers.Group$`
	cond *sync.Cond     // want `sync.Cond blocks .*use providers.NewCond\(p.Task, mu\) on the providers.Mutex mu that guards the state: Wait\(ctx\), Signal and Broadcast, as sync.Cond's$`
	n    int
}

func New() *state {
	s := &state{}
	s.cond = sync.NewCond(&s.mu) // want `sync.NewCond blocks .*use providers.NewCond\(p.Task, mu\)`
	return s
}

// Once, Map, Pool and atomics are fine.
type fine struct {
	once sync.Once
	m    sync.Map
	pool sync.Pool
	n    atomic.Int64
}

type allowed struct {
	mu sync.Mutex //simvet:allow sync never held across a call that parks
}
