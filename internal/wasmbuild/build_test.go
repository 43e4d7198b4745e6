package wasmbuild

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
)

func TestBuildRuns(t *testing.T) {
	path, err := Build(context.Background(), Config{Package: "./testdata/hello"})
	require.NoError(t, err)
	assert.Equal(t, "hello [a b] from the package\n", run(t, path, 1, "a", "b"))
}

func TestBuildOverlayAddsAndReplaces(t *testing.T) {
	// A file added to package os is part of the build; the program does
	// not see it, but the linker keeps its init's output.
	path, err := Build(context.Background(), Config{
		Package: "./testdata/hello",
		Overlay: map[string][]byte{
			"src/os/zz_wasmbuild.go": []byte("package os\n\nfunc init() { println(\"overlaid\") }\n"),
		},
	})
	require.NoError(t, err)
	plain, err := Build(context.Background(), Config{Package: "./testdata/hello"})
	require.NoError(t, err)
	assert.NotEqual(t, plain, path, "an overlay must change the module")
}

func TestBuildSamePath(t *testing.T) {
	a, err := Build(context.Background(), Config{Package: "./testdata/hello"})
	require.NoError(t, err)
	b, err := Build(context.Background(), Config{Package: "./testdata/hello"})
	require.NoError(t, err)
	assert.Equal(t, a, b)
	_, err = os.Stat(a)
	require.NoError(t, err)
}

func TestBuildErrors(t *testing.T) {
	_, err := Build(context.Background(), Config{})
	require.ErrorContains(t, err, "Config.Package is empty")
	_, err = Build(context.Background(), Config{Package: "./testdata/hello", Overlay: map[string][]byte{"/etc/x.go": nil}})
	require.ErrorContains(t, err, "not relative to GOROOT")
}

func TestToolchainInModuleCache(t *testing.T) {
	tc := toolchain{goroot: "/home/u/go/pkg/mod/golang.org/toolchain@v0.0.1-go1.25.5.linux-amd64", version: "go1.25.5", modcache: "/home/u/go/pkg/mod"}
	err := tc.check()
	require.ErrorContains(t, err, "GOTOOLCHAIN=local")
	require.ErrorContains(t, err, "go1.25.5")
	tc.goroot = "/usr/local/go"
	require.NoError(t, tc.check())
}

// MainFiles go into the main package, and BuildMode c-shared makes a
// reactor: _initialize runs the initializers and returns, and the
// functions the files export can be called after it.
func TestBuildReactorWithMainFiles(t *testing.T) {
	path, err := Build(context.Background(), Config{
		Package:   "./testdata/hello",
		MainFiles: map[string][]byte{"zz_twice.go": []byte("package main\n\n//go:wasmexport twice\nfunc twice(x int32) int32 { return 2 * x }\n")},
		BuildMode: "c-shared",
	})
	require.NoError(t, err)
	h := newHost(t, path)
	ctx := context.Background()
	mod, err := h.r.InstantiateModule(ctx, h.mod, wazero.NewModuleConfig().WithName("").WithStartFunctions("_initialize"))
	require.NoError(t, err)
	defer mod.Close(ctx)
	res, err := mod.ExportedFunction("twice").Call(ctx, 21)
	require.NoError(t, err)
	assert.Equal(t, []uint64{42}, res)
	assert.Nil(t, mod.ExportedFunction("_start"), "a reactor has no _start")
}

func TestBuildMainFilesErrors(t *testing.T) {
	_, err := Build(context.Background(), Config{Package: "./testdata/hello", MainFiles: map[string][]byte{"sub/x.go": nil}})
	require.ErrorContains(t, err, "not a Go file's name")
	_, err = Build(context.Background(), Config{Package: "./testdata/hello", BuildMode: "pie"})
	require.ErrorContains(t, err, `Config.BuildMode "pie"`)
}

// Compiling says whether a build compiles the standard library: a build
// with an empty Go build cache does, and one after a build of the same
// imports does not.
func TestBuildSaysWhetherItCompilesTheStandardLibrary(t *testing.T) {
	// A comment naming the test's own directory keeps an earlier run's
	// module from being reused, so that go build runs each time.
	program := func() string {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/p\n\ngo 1.25\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\n// "+dir+"\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n"), 0o644))
		return dir
	}
	var calls []bool
	c := Config{Package: ".", Compiling: func(cold bool) { calls = append(calls, cold) }}
	c.Dir = program()
	_, err := Build(context.Background(), c)
	require.NoError(t, err)
	c.Dir = program()
	_, err = Build(context.Background(), c)
	require.NoError(t, err)
	require.Len(t, calls, 2, "each build ran go build")
	assert.False(t, calls[1], "the first build left the standard library in Go's build cache")

	// An empty build cache: the build is stopped as soon as it says so.
	t.Setenv("GOCACHE", t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls = nil
	c.Dir = program()
	c.Compiling = func(cold bool) { calls = append(calls, cold); cancel() }
	_, err = Build(ctx, c)
	require.Error(t, err)
	assert.Equal(t, []bool{true}, calls)
}
