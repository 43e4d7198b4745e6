//go:build unix

package simtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInterruptInAChild runs seeds that take real time, one in ten
// failing, in the child process of TestAnInterruptStopsTheRun.
func TestInterruptInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_INTERRUPT_CHILD") == "" {
		t.Skip("run by TestAnInterruptStopsTheRun")
	}
	Run(t, func(s *S) {
		time.Sleep(2 * time.Millisecond)
		if s.Providers().Random.IntN(10) == 0 {
			s.Errorf("the planted bug fired")
		}
	}, Seeds(100000), KeepGoing(), KeepFailures(false))
}

// TestInterruptInAChildThen is a test after TestInterruptInAChild, in the
// same child process, that an interrupt must keep from running on.
func TestInterruptInAChildThen(t *testing.T) {
	if os.Getenv("SIMTEST_INTERRUPT_CHILD") == "" {
		t.Skip("run by TestAnInterruptStopsTheRun")
	}
	Run(t, func(s *S) { time.Sleep(2 * time.Millisecond) }, Seeds(100000), KeepFailures(false))
}

// TestChildRunsBesideAnInterrupt runs two Runs at once in the child process
// of TestAnInterruptWaitsForTheRunsBeside: one of seeds that fail one in
// ten, and one whose first seed is under way until two seconds after the
// process is sent an interrupt, longer than the moment the binary waits
// after a report before it ends.
func TestChildRunsBesideAnInterrupt(t *testing.T) {
	if os.Getenv("SIMTEST_INTERRUPT_CHILD") == "" {
		t.Skip("run by TestAnInterruptWaitsForTheRunsBeside")
	}
	t.Run("fast", func(t *testing.T) {
		t.Parallel()
		Run(t, func(s *S) {
			time.Sleep(2 * time.Millisecond)
			if s.Providers().Random.IntN(10) == 0 {
				s.Errorf("the planted bug fired")
			}
		}, Seeds(100000), KeepGoing(), KeepFailures(false))
	})
	t.Run("slow", func(t *testing.T) {
		t.Parallel()
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		defer signal.Stop(sig)
		Run(t, func(s *S) {
			select {
			case <-sig:
				time.Sleep(2 * reraiseAfter)
			case <-time.After(time.Minute):
			}
		}, Seeds(1000), KeepFailures(false))
	})
}

// TestChildSeedLongAfterAnInterrupt runs a Run whose first seed goes on
// long after the process is sent an interrupt, in the child process of
// TestASecondInterruptEndsTheBinaryAtOnce.
func TestChildSeedLongAfterAnInterrupt(t *testing.T) {
	if os.Getenv("SIMTEST_INTERRUPT_CHILD") == "" {
		t.Skip("run by TestASecondInterruptEndsTheBinaryAtOnce")
	}
	Run(t, func(s *S) {
		fmt.Println(childUnderWay)
		// Twenty seconds of real time, in steps the watchdog sees.
		for range 2000 {
			time.Sleep(10 * time.Millisecond)
			if err := s.Providers().Time.Sleep(s.Context(), time.Millisecond); err != nil {
				s.Fatal(err)
			}
		}
	}, Seeds(10), KeepFailures(false))
}

// childUnderWay is the line a child's seed prints once its Run hears
// interrupts.
const childUnderWay = "simtest child: a seed is under way"

// interruptChild runs this test binary's tests that match run in a child
// process, under -v, sends it an interrupt once a seed's line says FAIL
// (a Run is under way), and returns its output and how it exited, which
// must be an error.
func interruptChild(t *testing.T, run string) (string, *exec.ExitError) {
	t.Helper()
	return signalChild(t, run, " FAIL sim=", 1)
}

// signalChild runs this test binary's tests that match run in a child
// process, under -v, sends it times interrupts, a moment apart, once a
// line holds at, and returns its output and how it exited, which must be
// an error.
func signalChild(t *testing.T, run, at string, times int) (string, *exec.ExitError) {
	t.Helper()
	bin, err := filepath.Abs(os.Args[0])
	require.NoError(t, err)
	cmd := exec.Command(bin, "-test.run="+run, "-test.v", "-test.timeout=2m")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "SIMTEST_INTERRUPT_CHILD=1")
	pipe, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var out strings.Builder
	lines := bufio.NewScanner(pipe)
	signalled := false
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if !signalled && strings.Contains(lines.Text(), at) {
			for i := range times {
				if i > 0 {
					time.Sleep(200 * time.Millisecond)
				}
				require.NoError(t, cmd.Process.Signal(os.Interrupt))
			}
			signalled = true
		}
	}
	var exit *exec.ExitError
	require.ErrorAs(t, cmd.Wait(), &exit, out.String())
	return out.String(), exit
}

// An interrupt stops every Run under way, and the binary ends only once
// the last has reported: a Run beside the one that stopped first, whose
// seed was still going, was ended by the signal sent again a second after
// the first Run's report, with no report of its own.
func TestAnInterruptWaitsForTheRunsBeside(t *testing.T) {
	t.Parallel() // waits on a process of its own
	out, _ := interruptChild(t, "^TestChildRunsBesideAnInterrupt$")
	assert.Contains(t, out, "--- FAIL: TestChildRunsBesideAnInterrupt/fast ")
	assert.Contains(t, out, "--- FAIL: TestChildRunsBesideAnInterrupt/slow ", "the Run beside reports too")
	assert.Contains(t, out, "simtest: the Run stopped after 1 of 1000 seeds, as the process was sent interrupt")
}

// An interrupt, as a cancelled CI job sends, stops the Run between two
// seeds: it reports the seeds that ran, those that failed with their
// replay lines, and fails the test saying why, where the binary used to
// die with no word of them; then the binary ends by the signal, as it
// asked, and runs none of its other tests.
func TestAnInterruptStopsTheRun(t *testing.T) {
	t.Parallel() // waits on a process of its own
	out, exit := interruptChild(t, "^TestInterruptInAChild")
	status, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	// It ends by the signal sent again unless it ran out of tests first.
	assert.True(t, !status.Signaled() || status.Signal() == syscall.SIGINT, "the binary ends by the signal, once the Run has reported: %v: %s", status, out)
	assert.Regexp(t, `simtest: the Run stopped after \d+ of 100000 seeds, as the process was sent interrupt \(a cancelled CI job, a Ctrl-C\), to report what its seeds found`, out)
	assert.Contains(t, out, "failing seeds: ", "the failing seeds that ran are listed")
	assert.Contains(t, out, "go test -run '^TestInterruptInAChild$' ./simtest -simseed=", "with their replay lines")
	assert.Contains(t, out, "--- FAIL: TestInterruptInAChild ")
	assert.NotContains(t, out, "--- PASS: TestInterruptInAChildThen", "the next test's Run does not run on")
	if strings.Contains(out, "--- FAIL: TestInterruptInAChildThen ") {
		// Begun in the moment before the binary ends: its first seed.
		assert.Contains(t, out, "simtest: the Run stopped after 1 of 100000 seeds", "the next test's Run stops after its first seed")
	}
}

// A second interrupt ends the binary at once, even while every Run is in
// the middle of a seed: the hearing of the first stopped only when a Run
// next looked between two seeds, so the second was taken for the first
// and lost, and the binary ran on to the seed's end.
func TestASecondInterruptEndsTheBinaryAtOnce(t *testing.T) {
	t.Parallel() // waits on a process of its own
	out, exit := signalChild(t, "^TestChildSeedLongAfterAnInterrupt$", childUnderWay, 2)
	status, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	assert.True(t, status.Signaled() && status.Signal() == syscall.SIGINT, "the binary ends by the second signal: %v: %s", status, out)
	assert.NotContains(t, out, "simtest: the Run stopped after", "the seed under way was not waited for")
}
