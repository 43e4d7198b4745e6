package simtest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// nestedRunError is the configuration error of a Run (or Simulate) called
// inside a seed of another Run: the inner Run's seeds would all run within
// one step of the outer seed, on its task's goroutine, where neither
// Run's replay line runs them again as they ran.
const nestedRunError = "simtest: %s was called inside a seed of another Run%s; a Run's seeds each run in a simulated world of their own, " +
	"and those of a Run started inside a seed would all run within one step of that seed, which no replay line of either Run replays: " +
	"run the second simulation from the test function, after the first Run returns, or in a subtest of its own (t.Run)"

// nestedRunMarker ends the message of the panic that refuseNested raises
// on a task, by which the outer Run knows it (nestedInBody).
const nestedRunMarker = " [nested Run]"

// refuseNested ends what called fn (simtest.Run or simtest.Simulate) on a
// configuration error of the seed it is called in, when it is called
// inside one: with the seed's S as its testing.TB, or on a task of a
// seed, with the test's own t. It reports whether it refused; a call
// inside a seed does not return.
func refuseNested(t testing.TB, fn string) bool {
	if s, ok := t.(*S); ok {
		s.configErrorf(nestedRunError, fn, " (given the seed's *simtest.S as its testing.TB)")
		return true
	}
	if !onTask() {
		return false
	}
	// The S of the seed is not at hand here: the seed's task panics, and
	// the seed's Run, which reads its failure, takes the panic for the
	// configuration error it is.
	panic(fmt.Sprintf(nestedRunError, fn, "") + nestedRunMarker)
}

// nestedInBody takes the panic of refuseNested, raised on a task of s's
// seed, for the configuration error it is. (A panic that a deferred call
// raised as the task unwound may have more said before it.)
func nestedInBody(s *S, err error) {
	var f *sim.Failure
	if s.config != nil || !errors.As(err, &f) || f.Kind != sim.Panic {
		return
	}
	msg, _, ok := strings.Cut(f.Msg, nestedRunMarker)
	if !ok {
		return
	}
	if i := strings.LastIndex(msg, "simtest: simtest."); i >= 0 {
		msg = msg[i:]
	}
	s.config = &configErr{err: errors.New(msg), where: panicSite(f.Stack)}
	s.failed = true
}

// simTaskFrame is the function that runs every task of a simulated world
// on its goroutine: a goroutine whose stack holds it runs a seed's task.
const simTaskFrame = "github.com/moonpool-go/moonpool/internal/sim.(*task).body"

// onTask reports whether the caller runs on a task of a simulated world.
func onTask() bool {
	pcs := make([]uintptr, 64)
	for {
		n := runtime.Callers(2, pcs)
		if n < len(pcs) {
			pcs = pcs[:n]
			break
		}
		pcs = make([]uintptr, 2*len(pcs))
	}
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if f.Function == simTaskFrame {
			return true
		}
		if !more {
			return false
		}
	}
}
