package simtest

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
)

// TestGapsOfAFileChangedSinceTheBuildAreNotListed runs a copy of this test
// binary dated a year back, so that this file is newer than it: the
// assertion no seed reached is in a file whose lines may not be the
// binary's, and is no gap, and the log says why.
func TestGapsOfAFileChangedSinceTheBuildAreNotListed(t *testing.T) {
	const name = "TestGapsOfAFileChangedSinceTheBuildAreNotListed"
	if os.Getenv("SIMTEST_STALE_CHILD") != "" {
		Run(t, func(s *S) {
			assertions.Always(s.Context(), true, "reached")
			if s.Providers().Random.IntN(2) == 2 {
				assertions.Reachable(s.Context(), "never reached")
			}
		}, Seeds(3), KeepFailures(false))
		return
	}
	if _, err := os.Stat("assert_stale_test.go"); err != nil {
		t.Skip("the source is not here to compare with:", err)
	}
	run := func(bin string) (string, error) {
		cmd := exec.Command(bin, "-test.run=^"+name+"$", "-test.v")
		cmd.Env = append(os.Environ(), "SIMTEST_STALE_CHILD=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := run(os.Args[0])
	require.Error(t, err, "a binary as new as its source fails for the gap: %s", out)
	assert.Contains(t, out, `Reachable "never reached"`)

	old := filepath.Join(t.TempDir(), "old.test")
	copyFile(t, os.Args[0], old)
	then := time.Now().Add(-365 * 24 * time.Hour)
	require.NoError(t, os.Chtimes(old, then, then))
	out, err = run(old)
	require.NoError(t, err, "no gap where the source is newer than the binary: %s", out)
	assert.Contains(t, out, "simtest: simtest/assert_stale_test.go changed after this test binary was built, so the assertions in it that no seed reached are not listed: rebuild the binary to have them")
	assert.NotContains(t, out, "never reached")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	require.NoError(t, err)
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(dst, src)
	require.NoError(t, err)
	require.NoError(t, dst.Close())
}
