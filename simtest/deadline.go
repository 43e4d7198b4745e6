package simtest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/sim"
)

// stoppedByTimeout: go test's -timeout was near (a Run's stoppedBy).
const stoppedByTimeout = "go test's -timeout"

// testDeadline is a Run's view of go test's -timeout: when the test binary
// will be stopped, from the test's Deadline, and how long the Run's
// slowest seed took, so that it stops with time to spare to report.
type testDeadline struct {
	at      time.Time // zero: no deadline
	window  time.Duration
	slowest time.Duration
}

// newTestDeadline reads t's deadline, if t has one (a *testing.T does).
func newTestDeadline(t any) testDeadline {
	d, ok := t.(interface{ Deadline() (time.Time, bool) })
	if !ok {
		return testDeadline{}
	}
	at, ok := d.Deadline()
	if !ok {
		return testDeadline{}
	}
	return testDeadline{at: at, window: time.Until(at)}
}

// inBubble reports whether t is the testing.T of a synctest bubble
// (synctest.Test), whose Deadline panics: the testing package says so in no
// other way.
func inBubble(t any) (in bool) {
	d, ok := t.(interface{ Deadline() (time.Time, bool) })
	if !ok {
		return false
	}
	defer func() {
		if r := recover(); r != nil {
			if msg, _ := r.(string); !strings.Contains(msg, "synctest bubble") {
				panic(r)
			}
			in = true
		}
	}()
	d.Deadline()
	return false
}

// inBubbleError is the failure of a Run called inside a synctest bubble.
const inBubbleError = "simtest: simtest.Run was called inside synctest.Test's bubble: the simulation keeps its own time and goroutines, " +
	"which a bubble's fake clock and durable blocking cannot stand in for; call simtest.Run from the test itself, outside synctest.Test"

// near reports whether the Run must stop, after a seed that took wall,
// when the rest of its seeds would take rest: the time left is less than
// what it keeps to spare (a tenth of the time it had, at least a second,
// and twice its slowest seed), and too short for the rest and a report.
// A Run that would end in time runs to its end.
func (d *testDeadline) near(wall, rest time.Duration) bool {
	if d.at.IsZero() || rest <= 0 {
		return false
	}
	d.slowest = max(d.slowest, wall)
	spare := max(time.Second, d.window/10, 2*d.slowest)
	left := time.Until(d.at)
	return left < spare && left-max(reportTime, 2*d.slowest) < rest
}

// reportTime is what a Run keeps, at least, to report once its seeds end.
const reportTime = 250 * time.Millisecond

// timeoutError is the failure of a Run that stopped before go test's
// -timeout, after ran of the planned seeds it set out to run, or of its
// timelines when it explored;
// window is the time the Run had when it started, which a later Run of
// the binary has less of than the -timeout given.
func timeoutError(ran, planned int, window time.Duration, explored bool) string {
	if explored {
		return fmt.Sprintf("simtest: the exploration stopped after %s, before go test's -timeout ends the test binary, %v after this Run started, to report what its timelines found: "+
			"raise -timeout, or give it a smaller budget of timelines (-simtimelines)", plural.Count(ran, "timeline"), window.Round(100*time.Millisecond))
	}
	return fmt.Sprintf("simtest: the Run stopped after %s, before go test's -timeout ends the test binary, %v after this Run started, to report what its seeds found: "+
		"raise -timeout, run fewer seeds (-simseeds), or give the Run a budget of wall time (-simfor) that fits. "+
		"The -timeout is the whole test binary's, which every test of the package shares: a Run that comes after others has what they left, "+
		"so a sweep runs each test of many seeds in a go test -run of its own, or gives each a -simfor of its share", seedsOf(ran, planned), window.Round(100*time.Millisecond))
}

// seedsOf says how many seeds a Run stopped short ran: "486 of 3000
// seeds", or "486 seeds" when it set out to run no more.
func seedsOf(ran, planned int) string {
	if planned > ran {
		return fmt.Sprintf("%d of %d seeds", ran, planned)
	}
	return plural.Count(ran, "seed")
}

// stopBy is when a seed still running is stopped (sim.Config.StopBy): a
// fortieth of the time the Run had, and at least half a second, before go
// test's -timeout ends the test binary, which it would do with a dump of
// its goroutines and no word of the seed. The seed then fails with its
// replay line and what its tasks were doing. The margin is well inside
// the one near keeps between seeds (at least a second), so that a seed
// the Run lets start has time to end, and wider than the grace the
// engine gives a task that does not come back (a fifth of a second). It
// is zero with no deadline, and for a fuzz input, which go test -fuzz
// bounds itself.
func (r *runner) stopBy() time.Time {
	if r.fuzz != nil {
		return time.Time{}
	}
	// Field by field: the Run's goroutine writes the deadline's slowest
	// seed (near) while workers read these two.
	at, window := r.deadline.at, r.deadline.window
	if at.IsZero() {
		d := newTestDeadline(r.t) // a replay's, which runs no deadline between seeds
		at, window = d.at, d.window
	}
	if at.IsZero() {
		return time.Time{}
	}
	return at.Add(-max(500*time.Millisecond, window/40))
}

// maxStill is the Run's MaxWallPerInstant, or none for a fuzz input,
// whose failures must depend on the input alone, as for stopBy.
func (r *runner) maxStill() time.Duration {
	if r.fuzz != nil {
		return 0
	}
	return r.cfg.maxStill
}

// overtime reports whether o's seed was stopped because go test's
// -timeout was near (sim.Overtime). Its failure depends on the wall clock,
// not on the seed alone: it is not kept, run again or checked, and the
// Run stops there.
func overtime(o *seedOutcome) bool {
	var f *sim.Failure
	return errors.As(o.res.Err, &f) && f.Kind == sim.Overtime
}
