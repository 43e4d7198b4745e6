package simtest

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/moonpool-go/moonpool/internal/plural"
)

// stoppedByInterrupt: the process was sent SIGINT or SIGTERM (a Run's
// stoppedBy), as a CI job's cancellation or a Ctrl-C sends it.
const stoppedByInterrupt = "an interrupt"

// interrupts hears the interrupts a Run of go test stops at: a test
// binary's default is to die at once, with the seeds that failed before
// never reported, and a CI job's log holding no replay line. The first
// stops every Run between two seeds, which then reports what ran, and
// the binary ends a moment after the last of them by the same signal
// (reraise); a second ends it at once, as before, even while every Run
// is in the middle of a seed. nil for a Run that does not stop so
// (Simulate's, a fuzz input's, a replay's).
type interrupts struct {
	got os.Signal // the interrupt this Run stopped at
}

// interrupted is the process's hearing, which its Runs share: a signal
// comes once for the process, not once per Run. The first that comes
// stops the hearing, so the next ends the binary, however long the
// seeds under way go on; a Run that starts after it stops after its
// first seed; and the binary ends only once no Run is under way, so that
// a Run beside the one that heard it first (a parallel test's) still
// reports, and go test prints the output it holds.
var interrupted struct {
	mu   sync.Mutex
	c    chan os.Signal // while Runs listen and none has come
	done chan struct{}  // closed when the last Run stops listening
	runs int            // the Runs under way
	got  os.Signal      // the first that came
}

// listenForInterrupts starts hearing them; stop ends it. It returns nil
// where a process gets no signals (WebAssembly's wasip1 and js), whose
// signal package would leave a goroutine polling for none.
func listenForInterrupts() *interrupts {
	if runtime.GOOS == "wasip1" || runtime.GOOS == "js" {
		return nil
	}
	interrupted.mu.Lock()
	defer interrupted.mu.Unlock()
	if interrupted.c == nil && interrupted.got == nil {
		c, done := make(chan os.Signal, 1), make(chan struct{})
		signal.Notify(c, os.Interrupt, syscall.SIGTERM)
		interrupted.c, interrupted.done = c, done
		go hear(c, done)
	}
	interrupted.runs++
	return &interrupts{}
}

// hear takes the first signal to come on c, until done: it stops the
// hearing at once, rather than at a Run's next look between two seeds,
// as a seed may go on for minutes and a second signal must end the
// binary meanwhile.
func hear(c chan os.Signal, done chan struct{}) {
	var sig os.Signal
	select {
	case sig = <-c:
	case <-done:
		// One that came as the last Run stopped, still in c, is told.
		select {
		case sig = <-c:
		default:
			return
		}
	}
	signal.Stop(c)
	interrupted.mu.Lock()
	defer interrupted.mu.Unlock()
	if interrupted.c == c {
		interrupted.c, interrupted.done = nil, nil
	}
	if interrupted.got != nil {
		// A hearing begun as the last came: this is a second.
		resend(sig)
		return
	}
	interrupted.got = sig
	if interrupted.runs == 0 {
		// It came as the last Run under way stopped listening.
		reraise(sig)
	}
}

// came reports whether an interrupt has come to the process.
func (in *interrupts) came() bool {
	if in == nil {
		return false
	}
	if in.got != nil {
		return true
	}
	interrupted.mu.Lock()
	defer interrupted.mu.Unlock()
	in.got = interrupted.got
	return in.got != nil
}

// stop ends the Run's hearing. The last Run under way to stop after an
// interrupt came has the signal sent again (reraise).
func (in *interrupts) stop() {
	if in == nil {
		return
	}
	interrupted.mu.Lock()
	defer interrupted.mu.Unlock()
	interrupted.runs--
	if interrupted.runs > 0 {
		return
	}
	if interrupted.c != nil {
		// A signal hear has taken but not yet told of is its to tell.
		signal.Stop(interrupted.c)
		close(interrupted.done)
		interrupted.c, interrupted.done = nil, nil
	}
	if interrupted.got != nil {
		reraise(interrupted.got)
	}
}

// reraiseAfter is how long after an interrupted Run's report the signal
// is sent again: time for go test to print the test's output, which it
// holds until the test ends unless -v.
const reraiseAfter = time.Second

// reraise sends sig to the process again, a moment after the last Run
// under way returned, with the signal's default action back: the binary
// ends as the interrupt asked, rather than going on to its other tests.
// A Run under way then (one that started since) sends it when it stops.
func reraise(sig os.Signal) {
	go func() {
		time.Sleep(reraiseAfter)
		interrupted.mu.Lock()
		defer interrupted.mu.Unlock()
		if interrupted.runs > 0 {
			return
		}
		resend(sig)
	}()
}

// resend gives sig its default action back and sends it to the process,
// which it then ends.
func resend(sig os.Signal) {
	signal.Reset(sig)
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Signal(sig)
	}
}

// interruptError is the failure of a Run an interrupt stopped after ran
// of the planned seeds, or after ran timelines when it explored.
func interruptError(sig os.Signal, ran, planned int, explored bool) string {
	ranOf, what := seedsOf(ran, planned), "seeds"
	if explored {
		ranOf, what = plural.Count(ran, "timeline"), "timelines"
	}
	return fmt.Sprintf("simtest: the Run stopped after %s, as the process was sent %v (a cancelled CI job, a Ctrl-C), to report what its %s found; "+
		"the test binary then ends as the signal asks, a second after this report (a second signal ends it at once). "+
		"Its results file, if it writes one, has no summary, so a merge takes it for a shard cut off", ranOf, sig, what)
}
