package simtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeTree writes files, by slash path, below root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
}

// The source hash covers the test's package, its tests included, the
// packages of its module it imports, and go.mod and go.sum; not another
// package's tests, nor a package it does not import; and not where the
// checkout is, nor which of its directories the binary started in.
func TestSourceHashIsOfTheSourceAlone(t *testing.T) {
	tree := map[string]string{
		"go.mod":             "module example.com/m\n\ngo 1.25\n",
		"go.sum":             "",
		"svc/svc.go":         "package svc\n\nimport _ \"example.com/m/lib\"\n",
		"svc/svc_test.go":    "package svc\n",
		"lib/lib.go":         "package lib\n\nimport _ \"example.com/m/internal/deep\"\n",
		"lib/lib_test.go":    "package lib\n",
		"internal/deep/d.go": "package deep\n",
		"other/other.go":     "package other\n",
	}
	hashOf := func(files map[string]string, startIn string) string {
		root := t.TempDir()
		writeTree(t, root, files)
		return sourceHashOf(filepath.Join(root, filepath.FromSlash(startIn)), "example.com/m/svc.test", "example.com/m")
	}
	base := hashOf(tree, "svc")
	require.Len(t, base, 16)
	assert.Equal(t, base, hashOf(tree, "svc"), "another checkout of the same source")
	assert.Equal(t, base, hashOf(tree, "."), "a binary started at the module's root")

	edited := func(name, text string) map[string]string {
		files := make(map[string]string, len(tree))
		for k, v := range tree {
			files[k] = v
		}
		files[name] = text
		return files
	}
	for _, name := range []string{"svc/svc_test.go", "lib/lib.go", "internal/deep/d.go", "go.sum", "go.mod"} {
		assert.NotEqual(t, base, hashOf(edited(name, tree[name]+"// edited\n"), "svc"), name)
	}
	for _, name := range []string{"lib/lib_test.go", "other/other.go", "README.md"} {
		assert.Equal(t, base, hashOf(edited(name, tree[name]+"// edited\n"), "svc"), name)
	}
	assert.Empty(t, sourceHashOf(t.TempDir(), "example.com/m/svc.test", "example.com/m"), "outside the module")
	assert.Empty(t, sourceHashOf(filepath.Join(t.TempDir()), "example.com/m/svc", "example.com/m"), "not a test binary")
}
