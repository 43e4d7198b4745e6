//go:build !race

package sim

// setActive gives the turn to g. It runs twice per task switch, and stray
// goroutines read the word without synchronisation: it is a plain store,
// as in publish, since an atomic store is a locked exchange on amd64, and
// Go's memory model guarantees that a racy read of a word observes some
// value written to it. A stray goroutine never finds its own identity
// there, whichever value it observes: every value written since it was
// started names another live goroutine or neither. The simulation's own
// goroutines read what they wrote, or what was written before the switch
// that gave them their turn. Race-detector builds use atomics
// (turn_race.go).
func (w *World) setActive(g goroutine) { w.strays.active = g }

func (w *World) loadActive() goroutine { return w.strays.active }
