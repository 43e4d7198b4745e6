package simtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestOvertimeInAChild runs a seed that never ends and that no guard of
// the simulation stops: every step moves simulated time on, slowly, as a
// loop that writes to a disk with no capacity does. It runs in the child
// process of TestASeedInProgressStopsBeforeTheTimeout.
func TestOvertimeInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_OVERTIME_CHILD") == "" {
		t.Skip("run by TestASeedInProgressStopsBeforeTheTimeout")
	}
	before := goleak.IgnoreCurrent()
	Run(t, func(s *S) {
		s.Go("bystander", func(ctx context.Context) error { return s.Providers().Time.Sleep(ctx, 1000*time.Hour) })
		for {
			s.Sleep(time.Millisecond)
			time.Sleep(time.Millisecond) // a step that takes real time
		}
	}, Seeds(1))
	goleak.VerifyNone(t, before)
}

// A seed still running when go test's -timeout comes near is stopped
// between two steps and fails with its replay line, how far it got and
// what its tasks were doing, where the timeout would have ended the test
// binary with a dump of its goroutines and no word of the seed. Its
// goroutines end, and the seed, whose failure depends on the wall clock,
// is not kept.
func TestASeedInProgressStopsBeforeTheTimeout(t *testing.T) {
	t.Parallel() // waits on a process of its own, beside the others that do
	dir := t.TempDir()
	out, err := childOutput(t, dir, "SIMTEST_OVERTIME_CHILD=1", "-test.run=^TestOvertimeInAChild$", "-test.timeout=3s")
	require.Error(t, err, out)
	assert.NotContains(t, out, "panic: test timed out")
	assert.Regexp(t, `simtest: seed \d+ failed: out of wall time at \S+ in task "driver": the seed ran for [\d.]+m?s of wall time \(\S+ of simulated time, \d+ steps and \d+ events\) `+
		`without finishing before go test's -timeout, which would end the test binary with no report; it was stopped between two steps, after one of task "driver"\.`, out)
	assert.Regexp(t, `\n\s+replay: go test -run '\^TestOvertimeInAChild\$' \./simtest -simseed=\d+(?: -race)?\n`, out)
	assert.Contains(t, out, "Give each seed less simulated time (the TimeBudget option; this seed's is 1h0m0s), bound what loops, or raise -timeout.")
	assert.Regexp(t, `task "driver" waits on sleep[^\n]*:\n\s+github.com/moonpool-go/moonpool/simtest.TestOvertimeInAChild.func1\n\s+\S+deadline_test.go:\d+`, out)
	assert.Contains(t, out, `task "bystander" `, "every task is listed")
	assert.Contains(t, out, "simtest: 1 seed, 0 passed, 1 failed")
	assert.NotContains(t, out, "unexpected goroutines")
	assert.NoDirExists(t, filepath.Join(dir, "testdata"), "a seed stopped by the wall clock is not kept")
}
