//go:build !race

package sim

import "sync/atomic"

// publish makes the task the world is about to resume (nil for an event)
// and the trace hash so far visible to the watchdog's goroutine. It runs
// at every step, so these are plain stores: an atomic one costs a tenth of
// a task switch. The watchdog reads each word atomically, and Go's memory
// model guarantees that a racy read of a word observes some value written
// to it, which is all the watchdog needs: it reads them once progress has
// stood still for its whole period. The steps, events and simulated time
// do not change while a task runs, so the watchdog reads the world's own
// counters (publishedCounts) and publish stores no copy of them.
// Race-detector builds use atomic stores of copies instead
// (publish_race.go), so -race checks that path, not this one.
//
// On 32-bit platforms a 64-bit word is two machine words, which a plain
// store writes one at a time: a read that overlaps it may see half of a
// new value (the atomic load itself needs the word aligned; see watched).
// The watchdog only compares such a read with its last one, where a torn
// value counts as progress and postpones giving up by one tick, and it
// reports the values only once they stood still for its whole period.
func (w *World) publish(t *task) {
	w.pubCur = t
	w.pubTrace = w.trace
}

// publishedCounts reads the world's progress (steps and events), events
// and simulated time from the watchdog's goroutine.
func (w *World) publishedCounts() (progress, events uint64, now int64) {
	steps, events := atomic.LoadUint64(&w.steps), atomic.LoadUint64(&w.events)
	return steps + events, events, atomic.LoadInt64(&w.now)
}

// publishedLater reports, from the watchdog's goroutine, whether an event
// may be queued at an instant later than the queue's last: a task asleep,
// a timer or a deadline waiting for the clock to move. It reads the
// queue's own word, as publishedCounts reads the counters.
func (w *World) publishedLater() bool {
	return atomic.LoadUint64(&w.queue.full)&^1 != 0
}
