package simtest

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An S used after its Run, on the test's own goroutine, fails the test
// with the test's line, not one of simtest's, and says the S was kept.
func TestLateUseNamesTheTestsLine(t *testing.T) {
	out, err := childOutput(t, "", "SIMTEST_LATE_CHILD=1", "-test.run=^TestLateUseInAChild$", "-test.v")
	require.Error(t, err, out)
	assert.Contains(t, out, "--- FAIL: TestLateUseInAChild")
	assert.Regexp(t, `\n {4}simtest: an error was reported to the S of seed \d+ after the seed ended [^\n]*:\n {8}late_external_test.go:176: through a kept S\n`, out)
	assert.Regexp(t, `\n {4}simtest: after seed \d+ ended: late_external_test.go:177: a line from a kept S\n`, out)
	assert.Contains(t, out, "An S is its seed's: use it only while the body runs, and after the Run report through the test's own t.")
	assert.NotContains(t, out, "Start goroutines", "the S was kept, not used by a goroutine")
	assert.NotContains(t, out, "late.go:")
}

// TestLateGoroutineFailsTheBinary: an error reported by a goroutine after
// its test ended stops the test binary with a failure that says what
// happened, rather than letting it exit 0.
func TestLateGoroutineFailsTheBinary(t *testing.T) {
	out, err := childOutput(t, "", "SIMTEST_LATE_GOROUTINE_CHILD=1", "-test.run=^TestLateGoroutineInAChild$")
	require.Error(t, err, out)
	assert.Regexp(t, `panic: simtest: an error was reported to the S of seed \d+ after the seed ended [^\n]*, and after the test TestLateGoroutineInAChild ended:\n\s+late_external_test.go:\d+: a late error\n`, out)
	assert.Contains(t, out, "The test TestLateGoroutineInAChild had ended, so it could not be failed: a goroutine outlived its test")
	assert.Contains(t, out, "Start goroutines that use the simulation with S.Go or the Task provider")
	assert.NotContains(t, out, "\nok", "the binary does not pass")
}

// TestLateLogGoesToTheParentOrStopsTheBinary: a line logged through an S
// after its test returned goes where a t.Log would: to the test while
// its cleanups run, or to the test above it that still runs.
func TestLateLogGoesToTheParentOrStopsTheBinary(t *testing.T) {
	out, err := childOutput(t, "", "SIMTEST_LATE_LOG_CHILD=parent", "-test.run=^TestLateLogInAChild$", "-test.v")
	require.NoError(t, err, out)
	assert.Regexp(t, `\n {4}simtest: after seed \d+ ended: late_external_test.go:\d+: a late line \(after the test TestLateLogInAChild/inner returned\)\n`, out)
	assert.Contains(t, out, "--- PASS: TestLateLogInAChild ")

	out, err = childOutput(t, "", "SIMTEST_LATE_LOG_CHILD=cleanup", "-test.run=^TestLateLogInAChild$", "-test.v")
	require.NoError(t, err, out)
	assert.Regexp(t, `\n {4}simtest: after seed \d+ ended: late_external_test.go:\d+: a late line \(after the test TestLateLogInAChild returned\)\n`, out)
}

// outputGone is a testing.TB whose test and every test above it have
// completed: Output panics, as testing's does.
type outputGone struct{ testing.TB }

func (outputGone) Name() string { return "TestGone" }
func (outputGone) Output() io.Writer {
	panic("Output called after TestGone has completed")
}

// With no test running to take it, a late line stops the binary with a
// message that names the test, the seed and the line, rather than drop
// it without a word.
func TestLateLogWithNoTestRunningPanics(t *testing.T) {
	a := &afterSeeds{t: outputGone{}, closed: true}
	var said any
	func() {
		defer func() { said = recover() }()
		a.log(&S{seed: 42}, "x_test.go:7: a late line")
	}()
	msg, ok := said.(string)
	require.True(t, ok, "a late line with no test to take it panics with a message, not %v", said)
	assert.Equal(t, "simtest: a line was logged to the S of seed 42 after the seed ended, and after the test TestGone and every test above it ended:\n"+
		"    x_test.go:7: a late line\n"+
		"  An S is its seed's: use it only while the body runs, and after the Run report through the test's own t.\n"+
		"  No test was running to take the line: an S was kept past its test. The test binary stops here, as Go's testing stops it for a t.Log after its test has completed.", msg)
}
