package simtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/internal/tally"
)

// nameLevel draws one level of a test's name: any bytes, with the ones
// that have a meaning in a path drawn often.
func nameLevel() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.String(),
		rapid.StringOf(rapid.Map(rapid.Byte(), func(b byte) rune { return rune(b) })),
		rapid.Map(rapid.SliceOf(rapid.Byte()), func(b []byte) string { return string(b) }),
		rapid.SampledFrom([]string{"", ".", "..", "...", "CON", "con", "Con", "com1", "nul", "a.b", "A", "a", "%", "%41", "!a", "~", `\`, `..\..`, "C:", " ", "\x00"}),
		rapid.Map(rapid.IntRange(100, 400), func(n int) string { return strings.Repeat("Ab.", n) }),
	)
}

func TestKeepPathStaysUnderTestdata(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		levels := rapid.SliceOfN(nameLevel(), 1, 6).Draw(t, "levels")
		name := strings.Join(levels, "/")
		p := keepPath(name)
		rel, err := filepath.Rel(keepDir, p)
		require.NoError(t, err)
		require.True(t, filepath.IsLocal(rel), "%q is kept at %q", name, p)
		got := strings.Split(rel, string(filepath.Separator))
		levels = strings.Split(name, "/")
		require.Len(t, got, len(levels), "one directory a level: %q at %q", name, p)
		for i, g := range got {
			require.NotContains(t, []string{"", ".", ".."}, g)
			require.LessOrEqual(t, len(g), 255)
			require.NotContains(t, g, `\`)
			require.NotContains(t, g, ":")
			if !strings.Contains(g, "~") {
				assert.Equal(t, levels[i], unescapeName(g), "the escaping is undone")
			}
		}
	})
}

func TestKeepPathsOfDistinctNamesDiffer(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := strings.Join(rapid.SliceOfN(nameLevel(), 1, 3).Draw(t, "a"), "/")
		b := rapid.OneOf(
			rapid.Just(strings.ToLower(a)),
			rapid.Just(strings.ToUpper(a)),
			rapid.Just(a+"."),
			rapid.Just(a+"/x"),
			rapid.Just(a[:len(a)/2]),
			rapid.Map(nameLevel(), func(s string) string { return a + s }),
		).Draw(t, "b")
		if a == b {
			return
		}
		pa, pb := keepPath(a), keepPath(b)
		assert.NotEqual(t, pa, pb, "%q and %q", a, b)
	})
}

// TestKeepPathOfEveryTestName runs subtests named with generated names, as
// testing rewrites them, and checks where they would be kept.
func TestKeepPathOfEveryTestName(t *testing.T) {
	seen := map[string]string{}
	rapid.Check(t, func(rt *rapid.T) {
		raw := nameLevel().Draw(rt, "name")
		var name string
		t.Run(raw, func(t *testing.T) { name = t.Name() })
		rel, err := filepath.Rel(keepDir, keepPath(name))
		require.NoError(rt, err)
		require.True(rt, filepath.IsLocal(rel), "%q", name)
		require.Len(rt, strings.Split(rel, string(filepath.Separator)), len(strings.Split(name, "/")), "one directory a level: %q at %q", name, rel)
		key := keepPath(name)
		if other, ok := seen[key]; ok {
			require.Equal(rt, other, name, "two names, one directory")
		}
		seen[key] = name
	})
}

func TestOldKeptSeedsAreReadWhereSafe(t *testing.T) {
	t.Chdir(t.TempDir())
	old := func(dir, test string, seed uint64) {
		require.NoError(t, os.MkdirAll(filepath.Join(keepDir, dir), 0o755))
		text := keptHeader(test) + "\n# old\n"
		require.NoError(t, os.WriteFile(filepath.Join(keepDir, dir, strconv.FormatUint(seed, 10)), []byte(text), 0o644))
	}
	old("TestX/a.b", "TestX/a.b", 5)
	old("TestX/a.b", "TestX/other", 6) // not its file
	_, _, err := keepSeed("TestX/a.b", 7, 0, 0, "new", "go test ...")
	require.NoError(t, err)
	seeds, err := keptSeeds("TestX/a.b")
	require.NoError(t, err)
	assert.Equal(t, []uint64{5, 7}, seeds, "the old directory's own files, then the new one's")

	old("escaped", "TestX/../../escaped", 8)
	seeds, err = keptSeeds("TestX/../../escaped")
	require.NoError(t, err)
	assert.Empty(t, seeds, "an old directory out of place is not read")
}

// TestEscapingSubtestIsKeptUnderTestdata fails a subtest whose name climbs
// out of the directory, in a child process in a scratch directory: its
// seed is kept under testdata/simtest, and nothing is written elsewhere.
func TestEscapingSubtestIsKeptUnderTestdata(t *testing.T) {
	if os.Getenv("SIMTEST_ESCAPE_CHILD") != "" {
		t.Run("../../../escaped", func(t *testing.T) {
			Run(t, func(s *S) { s.Errorf("fails") }, Seeds(1))
		})
		return
	}
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b", "c")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	out, err := childOutput(t, dir, "SIMTEST_ESCAPE_CHILD=1", "-test.run=^TestEscapingSubtestIsKeptUnderTestdata$")
	require.Error(t, err, out)
	var files []string
	require.NoError(t, filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	}))
	require.Len(t, files, 1, out)
	assert.Regexp(t, `^testdata/simtest/TestEscapingSubtestIsKeptUnderTestdata/%2E%2E/%2E%2E/%2E%2E/escaped/\d+$`, files[0])
}

// A test binary kept seeds under the directory it ran in, where go test
// ./pkg never reads them; one run elsewhere in its module keeps them in
// its package's directory, found from its build information.
func TestKeepBaseIsThePackageDirectory(t *testing.T) {
	root := t.TempDir()
	write := func(dir, module string) {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+module+"\n\ngo 1.25\n"), 0o644))
	}
	write(root, "example.com/m")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "kv", "sub"), 0o755))
	write(filepath.Join(root, "tools"), "example.com/tools") // a module nested in it
	require.NoError(t, os.MkdirAll(filepath.Join(root, "tools", "x"), 0o755))
	other := t.TempDir()

	for _, tc := range []struct {
		name, start, bin, want string
	}{
		{"in the package directory, as under go test", filepath.Join(root, "kv"), "example.com/m/kv.test", ""},
		{"from the module root", root, "example.com/m/kv.test", "kv"},
		{"from below the package", filepath.Join(root, "kv", "sub"), "example.com/m/kv.test", ".."},
		{"from a module nested in it", filepath.Join(root, "tools", "x"), "example.com/m/kv.test", filepath.Join("..", "..", "kv")},
		{"the module root's own package", filepath.Join(root, "kv"), "example.com/m.test", ".."},
		{"outside the module", other, "example.com/m/kv.test", ""},
		{"a package directory that is not there", root, "example.com/m/gone.test", ""},
		{"a binary built from files", root, "command-line-arguments.test", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, keepBaseOf(tc.start, tc.bin, "example.com/m"))
		})
	}
}

// A go test -c binary run in a module nested in its own finds its own
// module's root, so that the gaps in its module are its own and fail it.
func TestModuleRootPassesOverANestedModule(t *testing.T) {
	root := t.TempDir()
	nested := filepath.Join(root, "tools")
	require.NoError(t, os.MkdirAll(filepath.Join(nested, "x"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/m\n\ngo 1.25\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(nested, "go.mod"), []byte("module example.com/tools\n\ngo 1.25\n"), 0o644))

	start := filepath.Join(nested, "x")
	mod := moduleRootOf(start, "example.com/m")
	assert.Equal(t, root, mod)
	assert.True(t, tally.Within(&tally.Site{File: filepath.Join(root, "kv", "kv_test.go")}, mod), "the test's own file is in its module")
	assert.Equal(t, nested, moduleRootOf(start, ""), "a binary that does not name its module: the nearest go.mod")
	assert.Empty(t, moduleRootOf(t.TempDir(), "example.com/m"), "outside the module")
}
