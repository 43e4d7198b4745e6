//go:build race

package sim

import "sync/atomic"

// setActive and loadActive are atomic under the race detector, which would
// otherwise report a stray goroutine's read; see turn.go.
func (w *World) setActive(g goroutine) {
	atomic.StoreUintptr((*uintptr)(&w.strays.active), uintptr(g))
}

func (w *World) loadActive() goroutine {
	return goroutine(atomic.LoadUintptr((*uintptr)(&w.strays.active)))
}
