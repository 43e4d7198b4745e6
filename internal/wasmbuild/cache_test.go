package wasmbuild

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// module writes a one-package module into a new directory and returns it.
func module(t *testing.T, main string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.25\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(main), 0o644))
	return dir
}

const printsOne = "package main\n\nfunc main() { println(1) }\n"

func TestBuildCachedDoesNotRebuild(t *testing.T) {
	ctx := context.Background()
	a, err := Build(ctx, Config{Package: "./testdata/big"})
	require.NoError(t, err)
	before, err := os.Stat(a)
	require.NoError(t, err)
	start := time.Now()
	b, err := Build(ctx, Config{Package: "./testdata/big"})
	require.NoError(t, err)
	t.Logf("building a %d-byte module again: %v", before.Size(), time.Since(start))
	require.Equal(t, a, b)
	after, err := os.Stat(b)
	require.NoError(t, err)
	assert.True(t, os.SameFile(before, after), "the cached module was written again")
	assert.Equal(t, before.ModTime(), after.ModTime(), "the cached module was written again")
}

func TestBuildCacheKey(t *testing.T) {
	ctx := context.Background()
	dir := module(t, printsOne)
	base, err := Build(ctx, Config{Dir: dir, Package: "."})
	require.NoError(t, err)

	tagged, err := Build(ctx, Config{Dir: dir, Package: ".", Tags: []string{"sometag"}})
	require.NoError(t, err)
	assert.NotEqual(t, base, tagged, "tags are part of the key")

	overlaid, err := Build(ctx, Config{Dir: dir, Package: ".", Overlay: map[string][]byte{"src/os/zz_wasmbuild.go": []byte("package os\n")}})
	require.NoError(t, err)
	assert.NotEqual(t, base, overlaid, "overlay contents are part of the key")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { println(2) }\n"), 0o644))
	changed, err := Build(ctx, Config{Dir: dir, Package: "."})
	require.NoError(t, err)
	assert.NotEqual(t, base, changed, "the package's sources are part of the key")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "extra.go"), []byte("package main\n\nvar x = 1\n"), 0o644))
	added, err := Build(ctx, Config{Dir: dir, Package: "."})
	require.NoError(t, err)
	assert.NotEqual(t, changed, added, "a new file is part of the key")
}

func TestBuildConcurrent(t *testing.T) {
	// Builds of one new key at once, as parallel tests do, all return the
	// same whole module.
	dir := module(t, printsOne)
	const n = 4
	paths := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			paths[i], errs[i] = Build(context.Background(), Config{Dir: dir, Package: "."})
		}()
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, paths[0], paths[i])
	}
	run(t, paths[0], 1) // a whole module instantiates
}

func TestTrim(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	old := now.Add(-trimAge - time.Hour)
	for _, name := range []string{"old.wasm", "new.wasm", "build-1", "other"} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, nil, 0o644))
		require.NoError(t, os.Chtimes(p, old, old))
	}
	require.NoError(t, os.Chtimes(filepath.Join(dir, "new.wasm"), now, now))
	trim(dir, now)
	var left []string
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	assert.ElementsMatch(t, []string{"new.wasm", "other", "trim.txt"}, left)

	// Trimmed less than a day ago: nothing is removed.
	p := filepath.Join(dir, "new.wasm")
	require.NoError(t, os.Chtimes(p, old, old))
	trim(dir, now)
	assert.FileExists(t, p)
}
