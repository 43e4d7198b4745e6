package rpc

import (
	"sync"
	"sync/atomic"
)

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

// count is an atomic.Uint64 that a simulation switches off, as mutex.
type count struct {
	n     atomic.Uint64
	plain uint64
	off   bool
}

func (c *count) Add(d uint64) {
	if c.off {
		c.plain += d
	} else {
		c.n.Add(d)
	}
}

func (c *count) Load() uint64 {
	if c.off {
		return c.plain
	}
	return c.n.Load()
}
