//go:build !race

package sim

// publish makes the world's progress, and the task it is about to resume,
// visible to the watchdog's goroutine. It runs at every step, so it is a
// plain store: an atomic one costs a tenth of a task switch. The watchdog
// reads the word atomically, and Go's memory model guarantees that a racy
// read of a word observes some value written to it, which is all the
// watchdog needs: it only asks whether the count moved in the last second.
// Race-detector builds use an atomic store instead (publish_race.go).
func (w *World) publish() {
	w.progress = w.steps + w.events
	w.pubCur = w.cur
	w.pubEvents, w.pubNow, w.pubTrace = w.events, w.now, w.trace
}
