package simtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOuterSkipInAChild skips the test's own t from a helper inside the
// body, or inside a task, as a team's skip helper given t does. It runs
// in the child process of TestTheTestsOwnSkipIsAConfigurationError.
func TestOuterSkipInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_OUTERSKIP_CHILD") == "" {
		t.Skip("run by TestTheTestsOwnSkipIsAConfigurationError")
	}
	t.Run("body", func(t *testing.T) {
		Run(t, func(s *S) {
			skipIfNoBackend(t) //simvet:allow testingt the slip this test is about
		}, Seeds(3))
	})
	t.Run("task", func(t *testing.T) {
		Run(t, func(s *S) {
			h := s.Go("checker", func(context.Context) error {
				skipIfNoBackend(t) //simvet:allow testingt the slip this test is about
				return nil
			})
			_ = h.Join(s.Context())
		}, Seeds(3))
	})
}

func skipIfNoBackend(tb testing.TB) {
	tb.Helper()
	tb.Skip("no backend")
}

// A skip of the test's own t inside the body, or in one of its tasks,
// is a mistake of set-up, as a nested Run is: the test fails with a
// configuration error that names the line that skipped, the body's line
// that called the helper, and the fix, the
// Run stops at its first seed, and no seed is kept as a bug's
// reproduction, where one was once failed as a bug and kept to run first
// on every later run.
func TestTheTestsOwnSkipIsAConfigurationError(t *testing.T) {
	dir := t.TempDir()
	out, err := childOutput(t, dir, "SIMTEST_OUTERSKIP_CHILD=1", "-test.run=^TestOuterSkipInAChild$")
	require.Error(t, err, out)
	for _, sub := range []string{"body", "task"} {
		assert.Contains(t, out, "--- FAIL: TestOuterSkipInAChild/"+sub)
	}
	want := "simtest: configuration error: the test's own testing.T was skipped inside the Run's body " +
		"(t.Skip, or a helper given the test's t that skips it); its SkipNow ends the task it is called on, not the test, " +
		"and the seed cannot tell that from a failure: skip through the body's S instead (s.Skip, or give the helper s), " +
		"which skips the whole test, or skip in the test function before simtest.Run\n" +
		"              at skip_test.go:39, called from the body at "
	// The helper's line, and the body's that called it: in the body
	// itself, then in a task the body started.
	assert.Equal(t, 1, strings.Count(out, want+"skip_test.go:23\n"), out)
	assert.Equal(t, 1, strings.Count(out, want+"skip_test.go:29\n"), out)
	assert.Equal(t, 2, strings.Count(out, "simtest: 1 seed, 0 passed, 1 failed"), "a configuration error ends the Run at its first seed")
	assert.NotContains(t, out, "runtime.Goexit was called in a task")
	assert.NotContains(t, out, "kept seed")
	assert.NoDirExists(t, filepath.Join(dir, "testdata"), "a configuration error keeps no seed")
}
