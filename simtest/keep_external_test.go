package simtest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// TestUnreadableKeptSeedsFailTheTest puts a file where the test's kept
// seeds should be, so that they cannot be read: the test fails, naming the
// path and why, and the other seeds still run.
func TestUnreadableKeptSeedsFailTheTest(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := filepath.Join("testdata", "simtest", "TestUnreadable")
	require.NoError(t, os.MkdirAll(filepath.Dir(dir), 0o755))
	require.NoError(t, os.WriteFile(dir, []byte("not a directory"), 0o644))
	r := runIn("TestUnreadable", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {}, simtest.Seeds(3))
	})
	out := r.output()
	require.True(t, r.failed, out)
	assert.Contains(t, out, "the kept seeds in "+dir+" cannot be read")
	assert.Contains(t, out, "not a directory")
	assert.Contains(t, out, "3 seeds, 3 passed, 0 failed")
}
