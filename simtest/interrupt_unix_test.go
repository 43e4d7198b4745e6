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

// An interrupt, as a cancelled CI job sends, stops the Run between two
// seeds: it reports the seeds that ran, those that failed with their
// replay lines, and fails the test saying why, where the binary used to
// die with no word of them. The binary exits as a failed test, not by the
// signal.
func TestAnInterruptStopsTheRun(t *testing.T) {
	t.Parallel() // waits on a process of its own
	bin, err := filepath.Abs(os.Args[0])
	require.NoError(t, err)
	cmd := exec.Command(bin, "-test.run=^TestInterruptInAChild$", "-test.v", "-test.timeout=2m")
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
	assert.False(t, status.Signaled(), "the binary exits as a failed test, not by the signal: %s", out.String())
	assert.Regexp(t, `simtest: the Run stopped after \d+ of 100000 seeds, as the process was sent interrupt \(a cancelled CI job, a Ctrl-C\), to report what its seeds found`, out.String())
	assert.Contains(t, out.String(), "failing seeds: ", "the failing seeds that ran are listed")
	assert.Contains(t, out.String(), "go test -run '^TestInterruptInAChild$' ./simtest -simseed=", "with their replay lines")
	assert.Contains(t, out.String(), "--- FAIL: TestInterruptInAChild")
}
