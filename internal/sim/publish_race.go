//go:build race

package sim

import (
	"sync/atomic"
	"unsafe"
)

// publish is atomic under the race detector, which would otherwise report
// the watchdog's read; see publish.go.
func (w *World) publish(t *task) {
	atomic.StoreUint64(&w.progress, w.steps+w.events)
	atomic.StorePointer((*unsafe.Pointer)(unsafe.Pointer(&w.pubCur)), unsafe.Pointer(t))
	atomic.StoreUint64(&w.pubEvents, w.events)
	atomic.StoreInt64(&w.pubNow, w.now)
	atomic.StoreUint64(&w.pubTrace, w.trace)
}
