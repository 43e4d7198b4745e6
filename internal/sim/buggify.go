package sim

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// Buggify is the run's fault injection at code sites: see package chaos.
type Buggify struct {
	// Enabled switches buggify on for the run.
	Enabled bool
	// Activation is the probability that a site is switched on for the
	// whole run, drawn when the site is first reached.
	Activation float64
	// Fire is the probability that a switched-on site fires each time it
	// is reached, unless the site gives its own.
	Fire float64
}

type site struct {
	on   bool
	name string // file:line, for the timeline
	// key is what the trace hashes for the site: the order in which the
	// run first reached it, which an edit that moves the site's line
	// (a comment above it) does not change.
	key string
	// fired is the key and the message of a firing, made at the first:
	// a site that fires does so again and again.
	fired [2]string
}

// Buggify decides whether the buggify site at pc fires now (simctx.Sim).
// The draws, in order: one when a site is first reached (is it on for the
// run?), then one each time an on site is reached (does it fire?). Nothing
// is drawn while buggify is off, so switching it off in the quiet phase of
// a run does not disturb the rest of the stream.
func (w *World) Buggify(pc uintptr, fire float64) bool { return w.buggifyAt(pc, "", fire) }

// BuggifyNamed is [World.Buggify] for a site with no program counter in
// this binary, such as a call inside a program the simulation runs: key
// stands for its program counter, name ("main.go:12") names it.
func (w *World) BuggifyNamed(key uintptr, name string, fire float64) bool {
	return w.buggifyAt(key, name, fire)
}

func (w *World) buggifyAt(pc uintptr, name string, fire float64) bool {
	w.enter("Buggify")
	if !w.buggify.Enabled || w.chaosOff || w.cur == nil || w.cur.killed {
		return false
	}
	s, seen := w.sites[pc]
	if !seen {
		if name == "" {
			name = siteName(pc)
		}
		s = &site{on: w.rng.Bool(w.buggify.Activation), name: name, key: "site " + strconv.Itoa(len(w.sites)+1)}
		if w.sites == nil {
			w.sites = make(map[uintptr]*site)
		}
		w.sites[pc] = s
		if s.on {
			w.EventKeyed(w.cur.shown(), "buggify site on: "+s.key, "buggify site on: "+s.name)
		}
	}
	if !s.on {
		return false
	}
	if fire < 0 {
		fire = w.buggify.Fire
	}
	if !w.rng.Bool(fire) {
		return false
	}
	if s.fired[0] == "" {
		s.fired = [2]string{"buggify fired: " + s.key, "buggify fired: " + s.name}
	}
	w.EventKeyed(w.cur.shown(), s.fired[0], s.fired[1])
	return true
}

func siteName(pc uintptr) string {
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	return fmt.Sprintf("%s:%d", f.File[strings.LastIndexByte(f.File, '/')+1:], f.Line)
}

// SetBuggify sets the run's buggify configuration.
func (w *World) SetBuggify(b Buggify) { w.buggify = b }

// ChaosOff switches every chaos decision of the engine off (or back on):
// the quiet phase of a run, when faults heal and the system settles.
func (w *World) ChaosOff(off bool) { w.chaosOff = off }

// Uint64N draws a number in [0, n) from the run's stream for code under
// test (chaos.KnobRange); n == 0 draws a whole uint64.
func (w *World) Uint64N(n uint64) uint64 {
	w.enter("KnobRange")
	if n == 0 {
		return w.rng.Uint64()
	}
	return w.rng.Uint64N(n)
}

// OnCrashPoint sets what CrashAt asks and does: may reports whether the
// running task's process may go down now, and a point that finds it may
// not passes by with no draw and no firing told, as buggify's sites do
// while chaos is off; crash crashes it once the point fires, site naming
// the point as the timeline names buggify sites. nil, the default, makes
// every crash point pass by without a draw, as do the test's own tasks,
// of no process.
func (w *World) OnCrashPoint(may func() bool, crash func(site string)) {
	w.crashMay, w.crashPoint = may, crash
}

// CrashAt is chaos.CrashPoint: the site at pc fires as a buggify site
// with probability fire does, and then the world's OnCrashPoint function
// crashes the running task's process.
func (w *World) CrashAt(pc uintptr, fire float64) { w.CrashAtNamed(pc, "", fire) }

// CrashAtNamed is CrashAt for the site key, named name in the timeline
// rather than by its file and line ("" for those of key as a program
// counter), as BuggifyNamed is Buggify: a program's crash point.
func (w *World) CrashAtNamed(key uintptr, name string, fire float64) {
	if w.crashPoint == nil || w.curGroup() == nil || !w.crashMay() || !w.buggifyAt(key, name, fire) {
		return
	}
	w.crashPoint(w.sites[key].name)
}
