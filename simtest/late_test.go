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
	assert.Regexp(t, `\n {4}simtest: an error was reported to the S of seed \d+ after the seed ended [^\n]*:\n {8}late_external_test.go:133: through a kept S\n`, out)
	assert.Regexp(t, `\n {4}simtest: after seed \d+ ended: late_external_test.go:134: a line from a kept S\n`, out)
	assert.Contains(t, out, "An S is its seed's: use it only while the body runs, and after the Run report through the test's own t.")
	assert.NotContains(t, out, "Start goroutines", "the S was kept, not used by a goroutine")
	assert.NotContains(t, out, "late.go:")
}
