package simtest

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// stoppedByInterrupt: the process was sent SIGINT or SIGTERM (a Run's
// stoppedBy), as a CI job's cancellation or a Ctrl-C sends it.
const stoppedByInterrupt = "an interrupt"

// interrupts hears the interrupts a Run of go test stops at: a test
// binary's default is to die at once, with the seeds that failed before
// never reported, and a CI job's log holding no replay line. The first
// stops the Run between two seeds, which then reports what ran, and the
// binary ends a moment later by the same signal (reraise); a second ends
// it at once, as before. nil for a Run that does not stop so (Simulate's,
// a fuzz input's, a replay's).
type interrupts struct {
	c   chan os.Signal
	got os.Signal
}

// listenForInterrupts starts hearing them; stop ends it.
func listenForInterrupts() *interrupts {
	in := &interrupts{c: make(chan os.Signal, 1)}
	signal.Notify(in.c, os.Interrupt, syscall.SIGTERM)
	return in
}

// came reports whether an interrupt has come; the first one that does
// stops the hearing, so that the next ends the binary.
func (in *interrupts) came() bool {
	if in == nil {
		return false
	}
	if in.got != nil {
		return true
	}
	select {
	case in.got = <-in.c:
		signal.Stop(in.c)
		return true
	default:
		return false
	}
}

func (in *interrupts) stop() {
	if in != nil {
		signal.Stop(in.c)
	}
}

// reraiseAfter is how long after an interrupted Run's report the signal
// is sent again: time for go test to print the test's output, which it
// holds until the test ends unless -v.
const reraiseAfter = time.Second

// reraise sends the signal that stopped the Run to the process again, a
// moment after the Run returns, with the signal's default action back:
// the binary ends as the interrupt asked, rather than going on to its
// other tests, whose Runs would each hear the next interrupt alone.
func (in *interrupts) reraise() {
	sig := in.got
	go func() {
		time.Sleep(reraiseAfter)
		signal.Reset(sig)
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Signal(sig)
		}
	}()
}

// interruptError is the failure of a Run an interrupt stopped after ran
// of the planned seeds.
func interruptError(sig os.Signal, ran, planned int) string {
	ranOf := fmt.Sprintf("%d seeds", ran)
	if planned > ran {
		ranOf = fmt.Sprintf("%d of %d seeds", ran, planned)
	}
	return fmt.Sprintf("simtest: the Run stopped after %s, as the process was sent %v (a cancelled CI job, a Ctrl-C), to report what its seeds found; "+
		"the test binary then ends as the signal asks, a second after this report (a second signal ends it at once). "+
		"Its results file, if it writes one, has no summary, so a merge takes it for a shard cut off", ranOf, sig)
}
