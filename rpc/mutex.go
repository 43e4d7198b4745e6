package rpc

import "sync"

// mutex is a sync.Mutex that a transport in a simulation switches off:
// there exactly one task runs at a time, and the switch from one task to
// the next orders memory as an unlock and a lock would, so the locks
// only cost (a round trip takes some twenty). Nothing in the package
// parks while it holds one, so the two ways behave alike.
type mutex struct {
	mu  sync.Mutex
	off bool
}

func (m *mutex) Lock() {
	if !m.off {
		m.mu.Lock()
	}
}

func (m *mutex) Unlock() {
	if !m.off {
		m.mu.Unlock()
	}
}
