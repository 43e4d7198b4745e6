package wasmbuild

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cache of compiled code is kept under its limit by removing the
// modules written longest ago, leaves a module being written alone, and
// is looked at once an interval at most.
func TestTrimCompiledKeepsTheNewestUnderTheLimit(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	write := func(name string, size int, age time.Duration) {
		path := filepath.Join(dir, "wazero-v1-amd64-linux", name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, make([]byte, size), 0o644))
		require.NoError(t, os.Chtimes(path, now.Add(-age), now.Add(-age)))
	}
	write("a", 100, 4*time.Hour)
	write("b", 100, 3*time.Hour)
	write("c", 100, 2*time.Hour)
	write("d", 100, time.Hour)
	write("e.1.tmp", 100, 10*time.Minute) // being written
	write("f.2.tmp", 100, 48*time.Hour)   // abandoned

	TrimCompiled(dir, 250, now)
	assert.ElementsMatch(t, []string{"c", "d", "e.1.tmp", "trim.txt"}, files(t, dir))

	write("g", 150, 0)
	TrimCompiled(dir, 250, now.Add(30*time.Second))
	assert.ElementsMatch(t, []string{"c", "d", "e.1.tmp", "g", "trim.txt"}, files(t, dir), "not trimmed again within the interval")

	TrimCompiled(dir, 250, now.Add(2*time.Minute))
	assert.ElementsMatch(t, []string{"d", "e.1.tmp", "g", "trim.txt"}, files(t, dir))
}

// files lists the names of the files under dir.
func files(t *testing.T, dir string) []string {
	var names []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, d.Name())
		}
		return err
	}))
	return names
}
