package simtest

import (
	"errors"
	"log/slog"
	"slices"
	"time"

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
	quiesced   bool        // the faults have stopped and the windows of Eventually opened
	faultsOff  bool        // the faults have stopped
	stepping   bool        // the world calls afterStep
	watches    []*Watch
	keep       bool         // keep the whole timeline, for the timeline file
	timeline   []sim.Entry  // the whole timeline, when kept: its last entries, past keepMax
	drawing    bool         // the timeline is kept for the HTML timeline
	ops        []sim.Op     // the devices' operations, when kept (observer.op): the last ones, past keepMax
	opAt       []int        // for each op, how many entries came before it, those left out included
	keepMax    int          // how many entries and ops together the timeline keeps at most; 0 for all
	cut        timelineCut  // what the timeline left out
	attached   []attachment // S.Attach's files, when drawing
	win        *window      // the timeline around the first failure (window.go)
	faults     faultCounts  // the faults the seed saw, by kind
	silent     silentConns  // the connections a random close silenced
	// byHand counts, of faults, those the test made: an Injector's, or
	// a call's of Cluster, Net or Disk, which the faults line tells apart from
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
	win.focus = r.cfg.asserts.focus
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
	o.keepMax = c.timelineMax()
	win.keepMax = o.keepMax
	win.filed = o.keep && c.timelinePath != ""
	win.drawn = o.drawing
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
	if o.full() {
		o.cut.laterOps++
		return
	}
	if len(o.ops) == cap(o.ops) {
		// Double, where append grows a long slice by a quarter at a
		// time and copies it over and over.
		o.ops = slices.Grow(o.ops, max(len(o.ops), 256))
		o.opAt = slices.Grow(o.opAt, max(len(o.opAt), 256))
	}
	o.ops = append(o.ops, op)
	o.opAt = append(o.opAt, o.cut.entries+len(o.timeline))
	o.bound()
}

// timelineCut is what a kept timeline left out, its oldest entries and
// ops, past its bound (TimelineMax).
type timelineCut struct {
	entries, ops int
	upTo         time.Duration // when the last of them happened
	// failed: the seed failed, and the timeline keeps what comes after
	// its first failure up to its bound, then leaves out the later
	// entries and ops, from laterFrom on.
	failed                 bool
	laterEntries, laterOps int
	laterFrom              time.Duration
	// before and after, once the seed failed: how many entries and ops
	// were kept before its first failure, and how many it keeps after.
	before, after int
}

// failedNow tells the kept timeline that the seed failed: it keeps the
// entries and ops nearest before the first failure, and after it those
// that the bound leaves room for, a quarter of it at least (and the
// failure's own entry, however small the bound), rather than those
// nearest the seed's end, which may be hours later. What comes after and
// is not used is left to those before (trimTimeline).
func (o *observer) failedNow() {
	if !o.keep || o.keepMax <= 0 || o.cut.failed {
		return
	}
	o.cut.failed = true
	o.cutTo(o.keepMax)
	before := len(o.timeline) + len(o.ops)
	o.cut.after = max(o.keepMax-min(before, o.keepMax-o.keepMax/4), 1)
	o.cut.before = before
}

// full reports whether the kept timeline, of a seed that failed, holds
// what it keeps after the first failure, and leaves out what comes now.
func (o *observer) full() bool {
	if !o.cut.failed || len(o.timeline)+len(o.ops)-o.cut.before < o.cut.after {
		return false
	}
	if o.cut.laterEntries+o.cut.laterOps == 0 {
		o.cut.laterFrom = o.w.Now()
	}
	return true
}

// bound cuts the kept timeline back to its bound, its entries and ops
// together, once it holds a quarter more: keeping an entry costs the
// same however long the seed, memory for the bound and a quarter, and
// four copies at most.
func (o *observer) bound() {
	if o.keepMax > 0 && !o.cut.failed && len(o.timeline)+len(o.ops) >= o.keepMax+max(o.keepMax/4, 1) {
		o.cutTo(o.keepMax)
	}
}

// cutTo leaves out the oldest entries and ops, in the order they came,
// past the last n.
func (o *observer) cutTo(n int) {
	drop := len(o.timeline) + len(o.ops) - n
	if drop <= 0 {
		return
	}
	e, k := 0, 0 // the entries and ops left out
	for ; drop > 0; drop-- {
		// An op came before the entry that many entries had come before.
		if k < len(o.ops) && (e == len(o.timeline) || o.opAt[k] <= o.cut.entries+e) {
			o.cut.upTo = max(o.cut.upTo, o.ops[k].Start)
			k++
		} else {
			o.cut.upTo = max(o.cut.upTo, o.timeline[e].At)
			e++
		}
	}
	o.cut.entries += e
	o.cut.ops += k
	o.timeline = o.timeline[:copy(o.timeline, o.timeline[e:])]
	clear(o.timeline[len(o.timeline):cap(o.timeline)][:e])
	o.ops = o.ops[:copy(o.ops, o.ops[k:])]
	clear(o.ops[len(o.ops):cap(o.ops)][:k])
	o.opAt = o.opAt[:copy(o.opAt, o.opAt[k:])]
}

// trimTimeline cuts the kept timeline to its bound, as the seed ends: of
// a seed that failed, the oldest entries and ops before its failure go,
// as many as came after it.
func (o *observer) trimTimeline() {
	if o.keepMax > 0 {
		o.cutTo(o.keepMax)
	}
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
	o.failedNow()
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
	// A panic is no check made too soon: the report names no tasks due
	// at its instant.
	s.failOf(panicSite(raw), msg+"\n  stack:\n    "+indent(panicStack(raw), "    "), nil, false)
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
	o.silent.hear(e)
	o.win.add(e, f.listedKind())
	if o.keep {
		if o.full() {
			o.cut.laterEntries++
		} else {
			if len(o.timeline) == cap(o.timeline) {
				o.timeline = slices.Grow(o.timeline, max(len(o.timeline), 256))
			}
			o.timeline = append(o.timeline, e)
			o.bound()
		}
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
