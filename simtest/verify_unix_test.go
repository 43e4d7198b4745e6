//go:build unix

package simtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVerifyReplayStopsTheFreshProcessAndWhatItStarted checks that the
// bound kills the process that checks a replay with the processes it
// started: a test that starts one and then hangs leaves nothing running.
func TestVerifyReplayStopsTheFreshProcessAndWhatItStarted(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	t.Setenv("SIMTEST_VERIFY_PIDFILE", pidFile)
	out := verifyChild(t, dir, "hang with a child", "-simverify", "-simkeep=false")
	assert.Regexp(t, `replay not checked: a fresh process running seed \d+ had not ended after \S+ \(3 times the \S+ the seed took, and 3s\), and was stopped\n`, out)
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err, "the fresh process started its own before it was stopped: %s", out)
	var pid int
	var deadline bool
	_, err = fmt.Sscanf(string(b), "%d %t", &pid, &deadline)
	require.NoError(t, err, "%s", b)
	assert.True(t, deadline, "the fresh process has a -timeout of its own, which ends it if nothing else does")
	t.Cleanup(func() {
		if !processGone(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL) // this test's, left by a bound that killed too little
		}
	})
	// A kill is delivered, not done, when kill returns.
	assert.Eventually(t, func() bool { return processGone(pid) }, 10*time.Second, 20*time.Millisecond,
		"the process the fresh process started (pid %d) was killed with it", pid)
}

// processGone reports whether process pid has ended: it is no more, or
// it is a zombie that nobody has waited for yet (its parent was killed).
func processGone(pid int) bool {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// The state follows the command's name, in parentheses.
		i := bytes.LastIndexByte(b, ')')
		return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
