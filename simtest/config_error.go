package simtest

import (
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
}

// configError ends the seed on a mistake in the test's set-up: err says
// what is wrong and how to fix it. Call it from the driver's tasks, where
// s.Fatal would be called for a failure of the system under test.
func (s *S) configError(err error) {
	s.Helper()
	if s.ended.Load() {
		s.Fatalf("configuration error: %v", err)
	}
	if s.config == nil {
		s.config = &configErr{err: err, where: s.caller()}
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
	fmt.Fprintf(&b, "\n  This is a mistake in the test's set-up, not a bug the simulation found: it was met while %s ran, "+
		"and would fail any seed that gets there, so the seed is not kept under %s.\n  replay: %s", what, keepDir, replay)
	return b.String()
}
