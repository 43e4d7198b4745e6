package simtest

import (
	"errors"
	"log/slog"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/tally"
)

// observer is one seed's share of the Run's assertions, invariants and
// timeline: it sends the world's assertions to the Run's book, runs the
// invariants after each step, and hands timeline entries to watches and
// to the timeline file.
type observer struct {
	run  *runAsserts
	w    *sim.World
	seed uint64
	book *tally.Seed
	s    *S

	invariants []*invariant
	liveness   []*liveness // S.Eventually's properties
	quiesced   bool        // the faults have stopped
	stepping   bool        // the world calls afterStep
	watches    []*Watch
	keep       bool         // keep the whole timeline, for the timeline file
	timeline   []sim.Entry  // the whole timeline, when kept
	drawing    bool         // the timeline is kept for the HTML timeline
	ops        []sim.Op     // the devices' operations, when kept (observer.op)
	opAt       []int        // for each op, how many entries came before it
	attached   []attachment // S.Attach's files, when drawing
	win        *window      // the timeline around the first failure (window.go)
	faults     faultCounts  // the faults the seed saw, by kind
	// byHand counts, of faults, those the test made: an Injector's, or
	// a call's of Cluster or Net, which the faults line tells apart from
	// the chaos configuration's. hand is set while such a fault's entries
	// are told (S.byHand).
	byHand faultCounts
	hand   bool
	// unsyncedDirs: a disk's crash kept a namespace change whose
	// directory was not synced, which a real disk could have lost.
	unsyncedDirs bool
	// reach holds the processes the seed's reboots and pauses reached.
	reach reach
	// failing is the error an assertion's failure carries besides its
	// details, while the assertion is checked: an Eventually's last.
	failing error
}

// observe makes the observer of a world about to run seed, whose figures
// go to book: the Run's, one of the seed's own when seeds run in parallel
// (merged in seed order as they end), or a book dropped after when the
// seed runs again (checking: for the determinism check, or to show its
// window at another time), which must not count twice. win is the window
// it keeps, or nil for one around the first failure.
func (r *runner) observe(w *sim.World, seed uint64, book *tally.Book, checking bool, win *window) *observer {
	ra := r.runAsserts()
	if win == nil {
		win = newWindow(r.cfg.asserts.tail)
	}
	o := &observer{run: ra, w: w, seed: seed, win: win}
	o.book = book.Begin(seed, w, tally.Hooks{Fail: o.failWith, Signal: o.signal})
	w.SetAsserter(o.book)
	w.ObserveRecoveredPanics(o.recovered)
	// A fuzz input writes the timeline files only when a replay line runs
	// it by name.
	// Seeds run in parallel all keep theirs: which one the file gets is
	// known only once the seeds before it have ended.
	c := r.cfg.asserts
	o.keep = r.keepAgain || !checking && (r.fuzz == nil || r.fuzz.timelines) && c.keepsTimeline() && (r.cfg.workers > 1 || !ra.timelineKept)
	w.ObserveTimeline(o.entry)
	o.drawing = o.keep && c.drawsTimeline()
	if o.keep {
		w.ObserveOps(o.op)
	}
	return o
}

// op hears a device operation, while the timeline is kept: the disks'
// for the timeline file, the network's too when drawing.
func (o *observer) op(op sim.Op) {
	if op.Kind != sim.OpDisk && !o.drawing {
		return
	}
	o.ops = append(o.ops, op)
	o.opAt = append(o.opAt, len(o.timeline))
}

// runAsserts returns the Run's accounting, made on first use.
func (r *runner) runAsserts() *runAsserts {
	if r.asserts == nil {
		r.asserts = newRunAsserts(r.sites)
	}
	return r.asserts
}

// attach gives the observer the seed's S, made by the root task.
func (o *observer) attach(s *S) {
	o.s = s
	s.obs = o
}

// end closes the seed's accounting. The world may still be running, if a
// task escaped the simulation: nothing here touches it.
func (o *observer) end() {
	o.book.End()
}

// fail fails the seed, as S.Errorf would, with an assertion's failure or
// misuse.
func (o *observer) fail(msg string) { o.failWith(msg, nil) }

// failWith is fail with the assertion's details, key/value pairs whose
// values may be errors the failure carries, which may name an earlier
// time for the report's window (namedTime); so may o.failing.
func (o *observer) failWith(msg string, details []any) {
	s := o.s
	if s == nil {
		return
	}
	s.failed = true
	errs := []error{o.failing}
	for _, d := range details {
		if a, ok := d.(slog.Attr); ok {
			d = a.Value.Any()
		}
		if err, ok := d.(error); ok {
			errs = append(errs, err)
		}
	}
	o.win.fail(o.w.Now(), errors.Join(errs...))
	s.errs = append(s.errs, s.stamp()+msg)
	o.w.Log(errorEntry(msg))
}

// recovered fails the seed with a panic that code under test recovered
// and went on from (a simhttp handler's), as S.Errorf would at the line
// that panicked, with the stack cut to the frames a task's panic shows:
// from the panic down to the code that recovered it.
func (o *observer) recovered(msg string, stack []byte) bool {
	s := o.s
	if s == nil {
		return false
	}
	raw := string(stack)
	s.failAt(panicSite(raw), msg+"\n  stack:\n    "+indent(panicStack(raw), "    "), nil)
	return true
}

func (o *observer) signal(p tally.Progress) {
	if o.s != nil {
		o.s.signal(p)
	}
}

// entry hears a timeline entry.
func (o *observer) entry(e sim.Entry) {
	f := faultOf(e)
	o.faults.add(f)
	if o.hand && f.kind().counted() {
		o.byHand.add(f)
	}
	if !o.unsyncedDirs && keptUnsyncedDirs(e, f) {
		o.unsyncedDirs = true
	}
	o.reach.add(e, f)
	o.win.add(e, f.listedKind())
	if o.keep {
		o.timeline = append(o.timeline, e)
	}
	for _, w := range o.watches {
		w.offer(e)
	}
	if o.s != nil && o.s.timeline != nil {
		o.s.timeline.add(e)
	}
}

// observeTimeline makes sure the world hands entries to the observer.
func (o *observer) observeTimeline() {
	o.w.ObserveTimeline(o.entry)
}
