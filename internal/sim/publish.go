//go:build !race

package sim

// publish makes the world's progress, the task it is about to resume (nil
// for an event), and the events, simulated time and trace hash so far,
// visible to the watchdog's goroutine. It runs at every step, so these are
// plain stores: an atomic one costs a tenth of a task switch. The watchdog
// reads each word atomically, and Go's memory model guarantees that a racy
// read of a word observes some value written to it, which is all the
// watchdog needs: it reads them once progress has stood still for its whole
// period. Race-detector builds use atomic stores instead
// (publish_race.go).
func (w *World) publish(t *task) {
	w.progress = w.steps + w.events
	w.pubCur = t
	w.pubEvents, w.pubNow, w.pubTrace = w.events, w.now, w.trace
}
