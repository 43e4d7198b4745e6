//go:build race

package sim

import (
	"sync/atomic"
	"unsafe"
)

// publish is atomic under the race detector, which would otherwise report
// the watchdog's read; see publish.go. It stores copies of the counters,
// which the world itself writes with plain stores.
func (w *World) publish(t *task) {
	atomic.StoreUint64(&w.progress, w.steps+w.events)
	atomic.StorePointer((*unsafe.Pointer)(unsafe.Pointer(&w.pubCur)), unsafe.Pointer(t))
	atomic.StoreUint64(&w.pubEvents, w.events)
	atomic.StoreInt64(&w.pubNow, w.now)
	atomic.StoreUint64(&w.pubTrace, w.trace)
	atomic.StoreUint64(&w.pubFull, w.queue.full)
}

// publishedCounts reads what publish stored of the world's progress (steps
// and events), events and simulated time, from the watchdog's goroutine.
func (w *World) publishedCounts() (progress, events uint64, now int64) {
	return atomic.LoadUint64(&w.progress), atomic.LoadUint64(&w.pubEvents), atomic.LoadInt64(&w.pubNow)
}

// publishedLater reports whether an event may be queued at a later
// instant, from what publish stored; see publish.go.
func (w *World) publishedLater() bool {
	return atomic.LoadUint64(&w.pubFull)&^1 != 0
}
