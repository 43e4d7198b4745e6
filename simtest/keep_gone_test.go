package simtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeFiles writes each file of files, by its path below dir, making the
// directories on the way.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
}

// A package's kept directory whose test its _test.go files no longer
// declare is named, with what it keeps and the fix; those of its tests,
// escaped or not, in any case, are not, whatever build constraints their
// files have, nor a directory that keeps nothing.
func TestGoneKeptNamesTheDirectoriesOfTestsGone(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a_test.go":     "package p\n\nimport \"testing\"\n\nfunc TestKept(t *testing.T) {}\n\nfunc FuzzKept(f *testing.F) {}\n\nfunc helper() {}\n",
		"b_test.go":     "//go:build never\n\npackage p_test\n\nimport \"testing\"\n\nfunc TestTagged(t *testing.T) {}\n\nfunc TestÄ(t *testing.T) {}\n",
		"c.go":          "package p\n\nfunc TestNotInATestFile() {}\n",
		"testdata/x/y":  "not kept",
		"a_test.go.bak": "",
	})
	kept := filepath.Join(dir, keepDir)
	writeFiles(t, kept, map[string]string{
		"TestKept/1":              "",
		"TestKept/sub/2":          "",
		"FuzzKept/input-abc":      "",
		"TestTagged/3":            "",
		"Test%C3%84/4":            "",
		"TestÄ/5":                 "",
		"testkept/6":              "", // TestKept's on a file system that ignores case
		"TestGone/77":             "",
		"TestGone/sub%2Fx/8":      "",
		"TestGone/recipe-1-2":     "",
		"TestGone/.gitkeep":       "",
		"TestNotInATestFile/9":    "",
		"TestEmpty/.gitkeep":      "",
		".hidden/10":              "",
		"README":                  "a file, not a test's directory",
		"helper/11":               "",
		"TestMany/1":              "",
		"TestMany/2":              "",
		"TestMany/3":              "",
		"TestMany/4":              "",
		"TestMany/5":              "",
		"TestMany/6":              "",
		"TestMany/7":              "",
		"Test%E2%9C%93Gone/12":    "",
		"TestLong~0123456789ab/1": "",
	})
	note := goneKept(dir, "TestKept")
	lines := strings.Split(note, "\n")
	require.Len(t, lines, 6, note)
	fix := "if the test was renamed, rename the directory to its new name; if it was deleted, or the bugs are fixed, delete the directory"
	assert.Equal(t, "simtest: "+filepath.Join(kept, "Test%E2%9C%93Gone")+" keeps 1 file (12) of Test✓Gone, a test this package no longer has (its _test.go files have no function Test✓Gone), so it never runs: "+fix, lines[0])
	assert.Equal(t, "simtest: "+filepath.Join(kept, "TestGone")+" keeps 3 files (77, recipe-1-2, sub%2Fx/8) of TestGone, a test this package no longer has (its _test.go files have no function TestGone), so they never run: "+fix, lines[1])
	assert.Contains(t, lines[2], "TestLong~0123456789ab keeps 1 file (1) of TestLong~0123456789ab,")
	assert.Contains(t, lines[3], "TestMany keeps 7 files (1, 2, 3, 4, 5 and 2 more) of TestMany,")
	assert.Contains(t, lines[4], "TestNotInATestFile keeps 1 file (9)")
	assert.Contains(t, lines[5], "helper keeps 1 file (11)")

	assert.Empty(t, goneKept(dir, "TestElsewhere"), "files that do not declare the running test are another package's")
	writeFiles(t, dir, map[string]string{"d_test.go": "package p\n\nfunc TestBroken( {\n"})
	assert.Empty(t, goneKept(dir, "TestKept"), "a file that does not parse may declare any test")

	clean := t.TempDir()
	writeFiles(t, clean, map[string]string{"a_test.go": "package p\n\nimport \"testing\"\n\nfunc TestKept(t *testing.T) {}\n"})
	assert.Empty(t, goneKept(clean, "TestKept"), "no kept directory")
	writeFiles(t, clean, map[string]string{"testdata/simtest/TestKept/1": ""})
	assert.Empty(t, goneKept(clean, "TestKept"), "only the test's own")
}

// TestRunOfAGoneTestsPackageInAChild runs two Runs, in the child process
// of TestGoneKeptIsToldOnceAProcess.
func TestRunOfAGoneTestsPackageInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_GONE_CHILD") == "" {
		t.Skip("run by TestGoneKeptIsToldOnceAProcess")
	}
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) {
			Run(t, func(s *S) {}, Seeds(1))
		})
	}
}

// The first Run of a process that reads its kept seeds names the kept
// directories of tests gone, once, whatever Runs and -count follow, and
// the test passes.
func TestGoneKeptIsToldOnceAProcess(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a_test.go":                  "package p\n\nimport \"testing\"\n\nfunc TestRunOfAGoneTestsPackageInAChild(t *testing.T) {}\n",
		"testdata/simtest/TestOld/7": "",
	})
	out, err := childOutput(t, dir, "SIMTEST_GONE_CHILD=1", "-test.run=^TestRunOfAGoneTestsPackageInAChild$", "-test.v", "-test.count=2")
	require.NoError(t, err, out)
	// At the line that called Run, as its other lines are.
	told := regexp.MustCompile(`\n +keep_gone_test\.go:\d+: simtest: ` + regexp.QuoteMeta(filepath.Join("testdata", "simtest", "TestOld")) + ` keeps 1 file \(7\) of TestOld, a test this package no longer has`)
	assert.Len(t, told.FindAllString(out, -1), 1, out)
	assert.Equal(t, 4, strings.Count(out, "--- PASS: TestRunOfAGoneTestsPackageInAChild/"), out)
}
