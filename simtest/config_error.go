package simtest

import (
	"errors"
	"fmt"
	"strings"
)

// configErr is a mistake in how a test sets up its simulation (a bad
// process declaration, a MaxDead above the number of processes, a negative
// phase) rather than a bug that a seed found. It fails the test once,
// labelled as such, and the seed that came upon it is not kept: any seed
// that gets there fails the same way, so it is no regression test.
type configErr struct {
	err   error
	where string // the line of the test that made the mistake, if known
	// workers is the Run's worker count when the mistake is one only on
	// more than one worker (a workersErr): the seed replayed alone runs
	// on one, and passes.
	workers int
}

// workersErr is a call refused because the Run runs n seeds at once.
type workersErr struct {
	err error
	n   int
}

func (e *workersErr) Error() string { return e.err.Error() }
func (e *workersErr) Unwrap() error { return e.err }

// configError ends the seed on a mistake in the test's set-up: err says
// what is wrong and how to fix it. Call it from the driver's tasks, where
// s.Fatal would be called for a failure of the system under test.
func (s *S) configError(err error) {
	s.Helper()
	if s.ended.Load() {
		s.Fatalf("configuration error: %v", err)
	}
	switch {
	case s.config == nil:
		s.config = &configErr{err: err, where: s.caller()}
	case s.config.err == nil: // its line found by the caller
		s.config.err = err
	}
	var we *workersErr
	if errors.As(err, &we) && s.config.err == err {
		s.config.workers = we.n
	}
	s.failed = true
	s.w.Log("configuration error: " + headline(err.Error()))
	s.FailNow()
}

// configErrorf is configError with a message made as fmt.Errorf makes one.
func (s *S) configErrorf(format string, args ...any) {
	s.Helper()
	s.configError(fmt.Errorf(format, args...))
}

// configReport tells of a configuration error, met while what (such as
// "seed N") ran, which replay runs again.
func configReport(o *seedOutcome, what, replay string) string {
	var b strings.Builder
	msg := strings.TrimPrefix(o.s.config.err.Error(), "simtest: ")
	fmt.Fprintf(&b, "simtest: configuration error: %s", indent(msg, "  "))
	if o.s.config.where != "" {
		fmt.Fprintf(&b, "\n  at %s", o.s.config.where)
	}
	where, which, alone := ",", "", "."
	if n := o.s.config.workers; n > 1 {
		where, which = fmt.Sprintf(", on one of %d workers,", n), " on more than one"
		alone = fmt.Sprintf("; replayed alone, the seed runs on one worker and passes, so the replay runs the test again on %d.", n)
	}
	fmt.Fprintf(&b, "\n  This is a mistake in the test's set-up, not a bug the simulation found: it was met while %s ran%s "+
		"and would fail any seed that gets there%s, so the seed is not kept under %s%s\n  replay: %s", what, where, which, keepDir, alone, replay)
	return b.String()
}

// replayFor is the replay line of a failing seed's outcome o: the seed's
// own, but for a configuration error met only on more than one worker,
// which the seed replayed alone, on one, does not meet: there, the test
// run again on as many workers.
func (r *runner) replayFor(o *seedOutcome) string {
	if o.s == nil || o.s.config == nil || o.s.config.workers < 2 {
		if line := r.watchdogReplay(o); line != "" {
			return line
		}
		return r.replayOf(o.res.Seed)
	}
	n := o.s.config.workers
	if r.outside {
		return fmt.Sprintf("simtest.Workers(%d)", n)
	}
	return newReplayer().line(r.t.Name(), fmt.Sprintf("-simworkers=%d", n))
}
