//go:build unix

package simtest

import (
	"bufio"
	"os"
	"os/exec"
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

// An interrupt, as a cancelled CI job sends, stops the Run between two
// seeds: it reports the seeds that ran, those that failed with their
// replay lines, and fails the test saying why, where the binary used to
// die with no word of them; then the binary ends by the signal, as it
// asked, and runs none of its other tests.
func TestAnInterruptStopsTheRun(t *testing.T) {
	t.Parallel() // waits on a process of its own
	bin, err := filepath.Abs(os.Args[0])
	require.NoError(t, err)
	cmd := exec.Command(bin, "-test.run=^TestInterruptInAChild", "-test.v", "-test.timeout=2m")
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
		if !signalled && strings.Contains(lines.Text(), " FAIL sim=") {
			// A seed has failed: the Run is under way.
			require.NoError(t, cmd.Process.Signal(os.Interrupt))
			signalled = true
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, out.String())
	status, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	assert.True(t, status.Signaled() && status.Signal() == syscall.SIGINT, "the binary ends by the signal, once the Run has reported: %v: %s", status, out.String())
	assert.Regexp(t, `simtest: the Run stopped after \d+ of 100000 seeds, as the process was sent interrupt \(a cancelled CI job, a Ctrl-C\), to report what its seeds found`, out.String())
	assert.Contains(t, out.String(), "failing seeds: ", "the failing seeds that ran are listed")
	assert.Contains(t, out.String(), "go test -run '^TestInterruptInAChild$' ./simtest -simseed=", "with their replay lines")
	assert.Contains(t, out.String(), "--- FAIL: TestInterruptInAChild ")
	assert.NotContains(t, out.String(), "TestInterruptInAChildThen (", "the next test's Run does not run on")
}
