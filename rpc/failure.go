package rpc

import (
	"context"
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// State is what the failure monitor knows of an address.
type State int

// The states of an address.
const (
	// Unknown: no connection to it was tried yet.
	Unknown State = iota
	// Available: the transport holds an established connection to it.
	Available
	// Failed: the last connection to it ended, or the last attempt
	// failed, and no connection was established since.
	Failed
)

func (s State) String() string {
	switch s {
	case Available:
		return "available"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// FailureMonitor tells what the transport knows of the availability of
// addresses and endpoints. It learns only from the transport's own
// connections (an address is available while a connection to it is
// established, failed from the moment one ends or an attempt fails) and
// from the peers' answers (a dynamic token not found is permanently
// failed). It is reactive: nothing polls; a wait is a timer armed when an
// address fails and stopped when it comes back. A failed address comes
// back as soon as a connection to it is established again: the
// transport's redial waits out a backoff, but a connection that the
// address's host opens to this transport cuts that wait short, and
// something to send to the address caps it at Config.MaxBackoffQueued.
type FailureMonitor struct {
	t *Transport

	mu     mutex
	addrs  map[string]*addrState
	failed map[endpointKey]bool
}

type endpointKey struct {
	addr string
	tok  Token
}

type addrState struct {
	state   State
	since   time.Time
	watches []*watch
	changed *providers.Chan[struct{}] // closed and replaced at each change
}

// watch calls fire once the address has been failed for d.
type watch struct {
	d time.Duration
	// from, when later than the failure's start, is when the count of d
	// starts: a request counts only the failure it waited through.
	from  time.Time
	fire  func()
	timer providers.Timer
	done  bool
}

func (m *FailureMonitor) get(addr string) *addrState {
	a := m.addrs[addr]
	if a == nil {
		a = &addrState{changed: providers.NewChan[struct{}](m.t.p.Task, 0)}
		m.addrs[addr] = a
	}
	return a
}

// State returns what is known of addr.
func (m *FailureMonitor) State(addr string) State {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := m.addrs[addr]; a != nil {
		return a.state
	}
	return Unknown
}

// PermanentlyFailed reports whether the endpoint tok at addr is known to
// be gone: its peer answered that it does not serve the dynamic token.
func (m *FailureMonitor) PermanentlyFailed(addr string, tok Token) bool {
	m.mu.Lock()
	failed := len(m.failed) > 0 && m.failed[endpointKey{addr, tok}]
	m.mu.Unlock()
	return failed
}

// WaitChange waits until the state of addr is no longer old, or ctx is
// done. It connects to addr if the transport had no reason to yet.
func (m *FailureMonitor) WaitChange(ctx context.Context, addr string, old State) (State, error) {
	if _, err := m.t.peer(addr); err != nil {
		return Unknown, err
	}
	for {
		m.mu.Lock()
		a := m.get(addr)
		st, ch := a.state, a.changed
		m.mu.Unlock()
		if st != old {
			return st, nil
		}
		if _, _, err := ch.Recv(ctx); err != nil {
			return st, fmt.Errorf("rpc: wait for %s to change from %v: %w", addr, old, err)
		}
	}
}

// WaitFailedFor returns nil once addr has been failed for d without a
// break, or ctx's error if ctx is done first. It connects to addr if the
// transport had no reason to yet.
func (m *FailureMonitor) WaitFailedFor(ctx context.Context, addr string, d time.Duration) error {
	if _, err := m.t.peer(addr); err != nil {
		return err
	}
	fired := providers.NewChan[struct{}](m.t.p.Task, 1)
	stop := m.onFailedFor(addr, d, time.Time{}, func() { fired.TrySend(struct{}{}) })
	defer stop()
	if _, _, err := fired.Recv(ctx); err != nil {
		return fmt.Errorf("rpc: wait for %s to fail for %v: %w", addr, d, err)
	}
	return nil
}

// onFailedFor calls fire, in a task of its own, once addr has been failed
// for d, counted from no earlier than from; the returned function cancels.
func (m *FailureMonitor) onFailedFor(addr string, d time.Duration, from time.Time, fire func()) (stop func()) {
	w := &watch{d: d, from: from, fire: fire}
	m.mu.Lock()
	a := m.get(addr)
	a.watches = append(a.watches, w)
	if a.state == Failed {
		m.arm(a, w)
	}
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		w.done = true
		if w.timer != nil {
			w.timer.Stop()
		}
		for i, x := range a.watches {
			if x == w {
				a.watches = append(a.watches[:i], a.watches[i+1:]...)
				break
			}
		}
	}
}

// arm starts w's timer for the rest of its d, counted from when a failed.
func (m *FailureMonitor) arm(a *addrState, w *watch) {
	start := a.since
	if w.from.After(start) {
		start = w.from
	}
	left := w.d - m.t.p.Time.Now().Sub(start)
	w.timer = m.t.p.Time.AfterFunc(max(left, 0), func() {
		m.mu.Lock()
		fire := !w.done && a.state == Failed
		w.done = w.done || fire
		m.mu.Unlock()
		if fire {
			w.fire()
		}
	})
}

func (m *FailureMonitor) set(addr string, st State) {
	m.mu.Lock()
	a := m.get(addr)
	if a.state == st {
		m.mu.Unlock()
		return
	}
	a.state, a.since = st, m.t.p.Time.Now()
	for _, w := range a.watches {
		if w.timer != nil {
			w.timer.Stop()
			w.timer = nil
		}
		if st == Failed && !w.done {
			m.arm(a, w)
		}
	}
	ch := a.changed
	a.changed = providers.NewChan[struct{}](m.t.p.Task, 0)
	m.mu.Unlock()
	ch.Close()
}

func (m *FailureMonitor) setAvailable(addr string) { m.set(addr, Available) }
func (m *FailureMonitor) setFailed(addr string)    { m.set(addr, Failed) }

func (m *FailureMonitor) endpointFailed(addr string, tok Token) {
	m.mu.Lock()
	m.failed[endpointKey{addr, tok}] = true
	m.mu.Unlock()
}
