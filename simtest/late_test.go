package simtest

import (
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
	assert.Regexp(t, `\n {4}simtest: an error was reported to the S of seed \d+ after the seed ended [^\n]*:\n {8}late_external_test.go:171: through a kept S\n`, out)
	assert.Regexp(t, `\n {4}simtest: after seed \d+ ended: late_external_test.go:172: a line from a kept S\n`, out)
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
