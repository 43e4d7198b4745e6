package wasmbuild

import (
	"context"
	"os"
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
