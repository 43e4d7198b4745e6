package simtest

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/internal/tally"
)

// SkipCheck is what an invariant's check returns when it cannot judge the
// state at this step, as a walk's function returns [io/fs.SkipDir]: the
// money of a bank cannot be added up while a shard that holds some is
// down. The check counts as neither true nor false, and a span of false
// checks goes on across it; an invariant that could never judge is a
// coverage gap, as an Always never reached is. Return it, or an error
// that wraps it, only while the state is out of view, never to hide a
// state that is wrong. An [S.Eventually] check may return it too: the
// property is not yet true, and a window that closes on skipped checks
// names the last error of one that judged, or says none did.
var SkipCheck = errors.New("simtest: skip this check of the invariant")

// invariant is a check registered with S.Invariant.
type invariant struct {
	name  string
	check func() error
	entry *tally.Entry
	drew  bool // it drew randomness once; reported, then not again
	// falses counts the checks of the seed's first span of falses (those
	// that found it false until one found it true), from first to last;
	// again counts the checks that found it false after that span, in
	// spans more spans, the last of them at lastAgain. open is set while
	// the last check found it false. err is the index in the seed's
	// errors of the failure the first false check reported, -1 while
	// none did.
	falses, again, spans int
	first, last          time.Duration
	lastAgain            time.Duration
	open                 bool
	err                  int
}

// falseSpan says, for the seed's report, how long a failed invariant
// stayed false: one failure, which the assertion table's FALSE counts
// once a check. It is "" for one found false once.
// An invariant that held again in between and was then found false once
// more says so apart, as a span from its first false check to its last
// would read as false throughout.
func (inv *invariant) falseSpan() string {
	if inv.falses+inv.again < 2 {
		return ""
	}
	const why = "an invariant is checked after every step, and the assertion table's FALSE counts each check"
	if inv.spans == 0 {
		return fmt.Sprintf("(false in %d checks from %v to %v: %s)", inv.falses, inv.first, inv.last, why)
	}
	first := fmt.Sprintf("false in %s from %v to %v", plural.Count(inv.falses, "check"), inv.first, inv.last)
	if inv.falses == 1 {
		first = fmt.Sprintf("false in 1 check at %v", inv.first)
	}
	return fmt.Sprintf("(%s; it held again, and was false in %s, in %s, the last at %v: %s)",
		first, plural.Count(inv.again, "more check"), plural.Count(inv.spans, "more span"), inv.lastAgain, why)
}

// Invariant registers check as an invariant of the seed: a property of the
// system's state, or of its timeline (see [S.Watch]), that must hold
// between any two steps. From now until the seed ends, check runs after
// every step: each time a task parks or ends, and after each event
// callback, but for a step after which a process booted at that instant
// has not begun its Run (its instance is the empty one its factory just
// made). It reports through an Always assertion with name as its
// message: a non-nil error fails the seed, which goes on to its end, and
// the assertion table counts every check; but [SkipCheck], returned when
// the check cannot judge the state at this step, counts as neither. An invariant that stays false
// is one failure, false at every check until it holds again: the seed's
// report says how many checks found it false and from when to when, and
// the table's FALSE for it counts those checks.
//
// check runs on the scheduler, outside any task: it may read state and
// timeline, but must not block, start tasks or draw randomness (that
// would change the run; Invariant reports it), nor end the seed with
// FailNow or testify's require, for no task runs there to end: it returns
// an error. A panic in check is a
// failure of the invariant. Register invariants at the start of the body,
// once per seed each; name must be unique, like an assertion's message.
// With no invariant registered, a step costs nothing more.
//
// Called by a crashed process's task as it unwinds, Invariant registers
// nothing and the task unwinds on, as [S.Cleanup] does there.
func (s *S) Invariant(name string, check func() error) {
	if s.over("S.Invariant") {
		s.after.fail(s, "Invariant was called on", s.caller(), fmt.Sprintf("the invariant %q is not checked: the seed has no more steps", name))
		return
	}
	var site *tally.Site
	if pc, _, _, ok := runtime.Caller(1); ok {
		site = s.obs.book.Book().SiteOf(pc)
	}
	bad := func(why string) {
		s.Errorf("s.Invariant(%q): %s", name, why) // Errorf names the line
	}
	switch {
	case check == nil:
		bad("the check is nil; pass a func() error that returns an error when the invariant does not hold")
		return
	case name == "":
		bad("the name is empty; name the invariant: the name is its message in reports")
		return
	}
	o := s.obs
	for _, inv := range o.invariants {
		if inv.name == name {
			bad("an invariant of that name is already registered in this seed; register each invariant once, with its own name")
			return
		}
	}
	s.unwindCrashed() // a crashed process's defer registers nothing
	e, err := o.book.Book().Declare(simctx.Always, name, site)
	if err != nil {
		bad(err.Error())
		return
	}
	o.invariants = append(o.invariants, &invariant{name: name, check: check, entry: e, err: -1})
	o.run.noteInvariant(name, site)
	o.watchSteps()
}

// watchSteps makes the world call afterStep, once an invariant or a
// liveness property is registered: with neither, a step costs nothing.
func (o *observer) watchSteps() {
	if !o.stepping {
		o.stepping = true
		o.w.AfterStep(o.afterStep)
	}
}

// afterStep runs every invariant and every open liveness check. The
// invariants wait while a process booted at this instant has not begun its
// Run: its instance is the one its factory just made, with none of the
// state its Run builds, which an invariant would read as lost. Its main
// task runs at this same instant, and the check after its first step
// judges it, with a SetNotReady of Run's first lines in force.
//
// Every check waits while a process resumed from a pause inside a clock
// read or a write has not gone on from it: the task the pause stopped is
// still inside that call, holding what it held there (a sync.Mutex
// around a read of the clock, on which a check would block outside the
// simulation), and goes on at its next turn, as the thread a real pause
// stopped goes on when the process resumes.
func (o *observer) afterStep() {
	if o.w.Resuming() {
		return
	}
	if o.s == nil || o.s.cluster == nil || !o.s.cluster.booting() {
		for _, inv := range o.invariants {
			o.checkOne(inv)
		}
	}
	for _, l := range o.liveness {
		o.checkLiveness(l)
	}
}

func (o *observer) checkOne(inv *invariant) {
	draws := o.w.Rand().Draws()
	err := runCheck(inv.check)
	if o.w.Rand().Draws() != draws && !inv.drew {
		inv.drew = true
		o.fail(fmt.Sprintf("invariant %q (%v) drew from the run's random stream, which changes the run it checks; an invariant must only look at state", inv.name, inv.entry.Site()))
	}
	if errors.Is(err, SkipCheck) {
		return
	}
	if err != nil {
		now := o.w.Now()
		switch {
		case inv.falses == 0:
			inv.first, inv.last, inv.falses = now, now, 1
		case inv.spans == 0 && inv.open:
			inv.last = now
			inv.falses++
		default: // after a check that found it true
			if !inv.open {
				inv.spans++
			}
			inv.again++
			inv.lastAgain = now
		}
		inv.open = true
		errs := 0
		if o.s != nil {
			errs = len(o.s.errs)
		}
		o.book.Check(inv.entry, false, "error", err.Error())
		if o.s != nil && inv.err < 0 && len(o.s.errs) > errs {
			inv.err = errs
		}
		return
	}
	inv.open = false
	o.book.Check(inv.entry, true)
}

// invariantSpan is falseSpan of the invariant whose failure is the
// seed's error i, or "".
func (o *observer) invariantSpan(i int) string {
	if o == nil {
		return ""
	}
	for _, inv := range o.invariants {
		if inv.err == i {
			return inv.falseSpan()
		}
	}
	return ""
}

// runCheck calls check and turns a panic into an error.
func runCheck(check func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the check panicked: %v", r)
		}
	}()
	return check()
}
