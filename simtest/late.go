package simtest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// afterSeeds takes what an S says once its seed has ended: an S kept
// after the body returned, or a goroutine that outlived the seed. The seed
// can no longer fail, so the failure goes to the test, naming the seed.
// One afterSeeds serves every seed of a Run; its methods are safe for
// concurrent use.
type afterSeeds struct {
	t testing.TB
	// replay is the replay line of a run of seed, or of the exploration
	// timeline recipe when it is not "", or "" when there is none (a fuzz
	// input).
	replay func(seed uint64, recipe string) string
	// reported counts the failures given to t, so that the Run does not
	// take one for a failure of the seed running at that moment.
	reported atomic.Uint64

	// home is the goroutine the Run was called on, when it is a test's
	// (testing's tRunner); 0 otherwise. An S used from the goroutine of
	// another test is that test's misuse, not t's (S.refuseForeign).
	home int64

	mu     sync.Mutex
	closed bool // the test has ended: t must not be called
	// dropped names the runs (runName) whose outcome the Run dropped: a
	// seed after the one it stopped at, still under way on another
	// worker. Nothing they say reaches the test.
	dropped map[string]bool
	// told counts, for each text told of a run, how many times each S
	// told it (by S.id). A seed run again (the determinism check's second
	// run, or the run that shows a report's window at the time a failure
	// names) has an S of its own, and its goroutines outlive it as the
	// first run's do and say the same: a text is told as many times as
	// one run's S said it, not once for each run.
	told map[string]map[uint64]toldBy
}

// toldBy is how many times an S told a text, and whether that S is of a
// seed run again (S.again).
type toldBy struct {
	n     int
	again bool
}

// repeats reports whether s telling text now repeats what another run of
// its seed told, when either run is a run again: s has told it no more
// times, this one included, than the other did. a.mu is held.
func (a *afterSeeds) repeats(s *S, text string) bool {
	if a.told == nil {
		a.told = make(map[string]map[uint64]toldBy)
	}
	by := a.told[text]
	if by == nil {
		by = make(map[uint64]toldBy)
		a.told[text] = by
	}
	mine := by[s.id]
	mine.n++
	mine.again = s.again
	by[s.id] = mine
	for id, other := range by {
		if id != s.id && (other.again || s.again) && other.n >= mine.n {
			return true
		}
	}
	return false
}

// drop drops what the S of seed (of the exploration timeline recipe, when
// it is not "") says from now on.
func (a *afterSeeds) drop(seed uint64, recipe string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dropped == nil {
		a.dropped = make(map[string]bool)
	}
	a.dropped[runName(seed, recipe)] = true
}

// gone reports whether the run of seed was dropped.
func (a *afterSeeds) gone(seed uint64, recipe string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dropped[runName(seed, recipe)]
}

// newAfterSeeds returns the afterSeeds of a Run on t, made on the Run's
// goroutine. It stops calling t when t's test ends, for testing panics on
// a call after that.
func newAfterSeeds(t testing.TB, replay func(seed uint64, recipe string) string) *afterSeeds {
	a := &afterSeeds{t: t, replay: replay}
	if onTestGoroutine() {
		a.home = sim.GoroutineID()
	}
	switch t.(type) {
	case *testing.T, *testing.B, *testing.F:
		t.Cleanup(a.close)
	}
	return a
}

func (a *afterSeeds) close() {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
}

// fail reports that s failed after its seed ended: what happened, such
// as "an error was reported to", with msg, made at loc. It reports
// whether the test was still there to hear it.
func (a *afterSeeds) fail(s *S, what, loc, msg string) bool {
	seed, recipe := s.seed, s.recipe
	if a.gone(seed, recipe) {
		return false
	}
	text := fmt.Sprintf("simtest: %s the S of %s after the seed ended (by a goroutine that outlived the seed, or through an S kept after the body returned)%s", what, runName(seed, recipe), insteadOfSeed)
	if loc != "" {
		msg = loc + ": " + msg
	}
	if msg != "" {
		text += ":\n    " + indent(msg, "    ")
	}
	if line := a.replay(seed, recipe); line != "" {
		text += "\n  replay: " + line
	}
	outlived, fix := lateUse()
	return a.report(s, text+"\n  "+fix, outlived)
}

// lateUse says, for a call on an S after its seed ended, what outlived
// the test if the test has ended too, and how to fix it: on a test's own
// goroutine an S was kept past its body; on another, a goroutine outlived
// its seed.
func lateUse() (outlived, fix string) {
	if onTestGoroutine() {
		return "an S was kept past its test",
			"An S is its seed's: use it only while the body runs, and after the Run report through the test's own t."
	}
	return "a goroutine outlived its test",
		"Start goroutines that use the simulation with S.Go or the Task provider, and use an S only while its body runs (simvet's goroutine rule finds raw goroutines before running)."
}

// insteadOfSeed is what fail says of its failure while the test is there
// to take it.
const insteadOfSeed = ", so it fails the test instead of the seed"

// onTestGoroutine reports whether the caller runs on a test's own
// goroutine, not one the test or a seed started: there, an S used late
// was kept past its body.
func onTestGoroutine() bool {
	var pcs [128]uintptr
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs[:])])
	for {
		f, more := frames.Next()
		if f.Function == "testing.tRunner" {
			return true
		}
		if !more {
			return false
		}
	}
}

// givenUpCleanup reports that a cleanup of s's seed, which the watchdog
// gave up, run outside the simulation, failed: what it did, as
// "panicked: boom".
func (a *afterSeeds) givenUpCleanup(s *S, what string) bool {
	seed, recipe := s.seed, s.recipe
	if a.gone(seed, recipe) {
		return false
	}
	text := fmt.Sprintf("simtest: a cleanup of %s, which the watchdog gave up, ran outside the simulation and %s", runName(seed, recipe), what)
	if line := a.replay(seed, recipe); line != "" {
		text += "\n  replay: " + line
	}
	return a.report(s, text, "a cleanup the watchdog gave up outlived its test")
}

// report fails the test with text, told by s, if another run of the seed
// has not told it, and reports whether it did. Once the test has ended,
// nothing can be failed: report panics, as testing does for a t.Errorf
// after its test completed, so that the test binary fails rather than
// exit 0 with the failure printed and lost; outlived says what outlived
// the test.
func (a *afterSeeds) report(s *S, text, outlived string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.repeats(s, text) {
		return false
	}
	if a.closed {
		name := a.t.Name()
		text = strings.Replace(text, insteadOfSeed, ", and after the test "+name+" ended", 1)
		// The fix is in text already; say why the binary stops.
		panic(fmt.Sprintf("%s\n  The test %s had ended, so it could not be failed: %s. "+
			"The test binary stops here, as Go's testing stops it for a t.Errorf after its test has completed.", text, name, outlived))
	}
	a.reported.Add(1)
	a.t.Fail()
	a.say(text)
	return true
}

// say writes text to the test's log. A testing.T's Error or Log would
// stamp it with the line of this file that called it; text names the
// line of the test that used the S late.
func (a *afterSeeds) say(text string) {
	switch t := a.t.(type) {
	case *testing.T, *testing.B, *testing.F:
		fmt.Fprintln(t.Output(), text)
	default:
		a.t.Log(text)
	}
}

// log passes on a log line of s, whose seed ended. Once the test has
// ended too, it does what testing does with a t.Log after its test
// completed: the line goes to the test while its cleanups run, else to
// the nearest test above it still running, or, when none is, log panics,
// so that the line is not lost without a word (a goroutine still logging
// after its test is a leak).
func (a *afterSeeds) log(s *S, msg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	run := runName(s.seed, s.recipe)
	text := fmt.Sprintf("simtest: after %s ended: %s", run, msg)
	if a.dropped[run] || a.repeats(s, text) {
		return
	}
	if !a.closed {
		a.say(text)
		return
	}
	name := a.t.Name()
	defer func() {
		if recover() != nil { // testing's own panic: no test above is running
			outlived, fix := lateUse()
			panic(fmt.Sprintf("simtest: a line was logged to the S of %s after the seed ended, and after the test %s and every test above it ended:\n    %s\n  %s\n  "+
				"No test was running to take the line: %s. The test binary stops here, as Go's testing stops it for a t.Log after its test has completed.",
				run, name, indent(msg, "    "), fix, outlived))
		}
	}()
	fmt.Fprintln(a.t.Output(), text+" (after the test "+name+" returned)")
}

// runName names the run of seed in a message: "seed 42", or for the
// exploration timeline recipe, when it is not "", "timeline 42/1034:99".
func runName(seed uint64, recipe string) string {
	if recipe != "" {
		return "timeline " + recipe
	}
	return fmt.Sprintf("seed %d", seed)
}

// failNow ends the calling goroutine, after an S's failure once its seed
// (of the exploration timeline recipe, when it is not "") had ended,
// failing the test if it is still there, as FailNow does.
func (a *afterSeeds) failNow(seed uint64, recipe string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.closed && !a.dropped[runName(seed, recipe)] {
		a.t.FailNow()
	}
	runtime.Goexit()
}

// foreign reports whether the caller runs on the goroutine of a test
// other than the one whose Run a serves: testing's goroutine of a test
// (tRunner's) that is not the Run's. A goroutine that a test started is
// not told apart from one a seed left behind.
func (a *afterSeeds) foreign() bool {
	return a != nil && a.home != 0 && onTestGoroutine() && sim.GoroutineID() != a.home
}

// refuseForeign panics when what (such as "S.Error") is called on s from
// the goroutine of another test than s's: a test's S kept where a second
// test reaches it. Failing s's seed or test would blame a test that did
// nothing wrong, and the calling test's T is not at hand: the panic fails
// the calling test, as Go's testing reports a panic in a test, and stops
// the test binary.
func (s *S) refuseForeign(what string) {
	if !s.after.foreign() {
		return
	}
	where := ""
	if loc := s.caller(); loc != "" {
		where = " at " + loc
	}
	name := s.after.t.Name()
	subtest := ""
	if !s.ended.Load() {
		subtest = " (A subtest that the body started with t.Run runs on such a goroutine too: put t.Run around simtest.Run instead, a Run for each subtest.)"
	}
	panic(fmt.Sprintf("simtest: %s was called%s, on the goroutine of another test, on the S of %s of the test %s; "+
		"an S belongs to its seed, in its own test's Run: keep it inside the body, and report through the calling test's own t. "+
		"The test %[4]s is left as it was; this test cannot be failed through an S of another's, so simtest panics here, "+
		"which fails this test and stops the test binary.%s", what, where, runName(s.seed, s.recipe), name, subtest))
}
