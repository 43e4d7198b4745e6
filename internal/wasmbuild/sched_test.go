package wasmbuild

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// orders runs the gosched program under seeds 1..n and returns how many
// distinct orders it printed. With twice it runs each seed again and
// checks that the seed prints the same order; a program that prints one
// order whatever the seed needs no second run to show it.
func orders(t *testing.T, path string, n int, twice bool) int {
	h := newHost(t, path)
	seen := map[string]bool{}
	for seed := uint64(1); seed <= uint64(n); seed++ {
		out := h.run(seed)
		if twice {
			require.Equal(t, out, h.run(seed), "seed %d printed two orders", seed)
		}
		seen[out] = true
	}
	return len(seen)
}

func TestSchedulerPatchSeedsGoroutineOrder(t *testing.T) {
	n := 50
	if testing.Short() {
		n = 10
	}
	patched, err := Build(context.Background(), Config{Package: "./testdata/gosched"})
	require.NoError(t, err)
	distinct := orders(t, patched, n, true)
	t.Logf("patched: %d orders over %d seeds", distinct, n)
	assert.GreaterOrEqual(t, distinct, n*9/10, "goroutine order should depend on the seed")

	stock, err := build(context.Background(), Config{Package: "./testdata/gosched"}, false)
	require.NoError(t, err)
	assert.Equal(t, 1, orders(t, stock, n, false), "the stock runtime runs yielding goroutines in one order whatever the seed")
}

func TestPatchProcFitsThisGo(t *testing.T) {
	env, err := goEnv(context.Background(), "")
	require.NoError(t, err)
	src, err := os.ReadFile(filepath.Join(env.goroot, filepath.FromSlash(procPath)))
	require.NoError(t, err)
	out, err := patchProc(src, env.version, procHunks())
	require.NoError(t, err)
	assert.Equal(t, len(procHunks()), strings.Count(string(out), "// moonpool:")-strings.Count(string(src), "// moonpool:"))
}

func TestInlineAtomicsFitsThisGo(t *testing.T) {
	env, err := goEnv(context.Background(), "")
	require.NoError(t, err)
	src, err := os.ReadFile(filepath.Join(env.goroot, filepath.FromSlash(atomicPath)))
	require.NoError(t, err)
	out, err := inlineAtomics(src, env.version)
	require.NoError(t, err)
	// Load is a plain load: inlined; Loadp hands back a pointer: kept.
	assert.NotContains(t, string(out), "//go:noinline\nfunc Load(")
	assert.Contains(t, string(out), "//go:noinline\nfunc Loadp(")
	assert.Contains(t, string(src), "//go:noinline\nfunc Load(", "the toolchain's own file is left alone")
}

func TestInlineAtomicsNothingToInline(t *testing.T) {
	_, err := inlineAtomics([]byte("package atomic\n\nfunc Load(ptr *uint32) uint32 { return *ptr }\n"), "go1.99.1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "go1.99.1")
	assert.Contains(t, err.Error(), "GOTOOLCHAIN=")
}

func TestPatchProcAnchorMissing(t *testing.T) {
	proc := `package runtime

func runqget(pp *p) (gp *g, inheritTime bool) {
	return nil, false
}

func goschedImpl(gp *g, preempted bool) {
}
`
	_, err := patchProc([]byte(proc), "go1.99.1", schedHunks)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "go1.99.1")
	assert.Contains(t, msg, "runqget")
	assert.Contains(t, msg, "GOTOOLCHAIN=")
	assert.Equal(t, 1, strings.Count(msg, ". ")+1, "one sentence: %s", msg)
}

func TestPatchProcAnchorOutsideItsFunction(t *testing.T) {
	// The anchor must be inside the function it belongs to: the same
	// text elsewhere does not count.
	proc := fmt.Sprintf("package runtime\n\nfunc other() {\n%s}\n\nfunc runqget(pp *p) (gp *g, inheritTime bool) {\n}\n", schedHunks[0].anchor)
	_, err := patchProc([]byte(proc), "go1.99.1", schedHunks[:1])
	require.ErrorContains(t, err, "function runqget has changed")
}

func TestPatchProcTwice(t *testing.T) {
	// An anchor found twice in its function is ambiguous.
	h := hunk{fn: "f", anchor: "x++\n", replace: "x += 2\n"}
	_, err := patchProc([]byte("package p\n\nfunc f() {\n\tx++\n\tx++\n}\n"), "go1.99.1", []hunk{h})
	require.Error(t, err)
	out, err := patchProc([]byte("package p\n\nfunc f() {\n\tx++\n}\n"), "go1.99.1", []hunk{h})
	require.NoError(t, err)
	assert.Equal(t, "package p\n\nfunc f() {\n\tx += 2\n}\n", string(out))
}

func TestBuildRejectsOverlayOfProc(t *testing.T) {
	_, err := Build(context.Background(), Config{Package: "./testdata/hello", Overlay: map[string][]byte{procPath: nil}})
	require.ErrorContains(t, err, "leave it out of the overlay")
}

func TestPatchProcGo125Gosched(t *testing.T) {
	// Go 1.25's goschedImpl has no else branch; the alternative hunk fits.
	proc := "package runtime\n\nfunc goschedImpl(gp *g, preempted bool) {\n" + schedHunks[1].alt.anchor + "\tschedule()\n}\n"
	out, err := patchProc([]byte(proc), "go1.25.5", schedHunks[1:])
	require.NoError(t, err)
	assert.Contains(t, string(out), "runqput(getg().m.p.ptr(), gp, false)")
}

func TestPatchMemFitsThisGo(t *testing.T) {
	env, err := goEnv(context.Background(), "")
	require.NoError(t, err)
	src, err := os.ReadFile(filepath.Join(env.goroot, filepath.FromSlash(memPath)))
	require.NoError(t, err)
	out, err := patchMem(src, env.version)
	require.NoError(t, err)
	assert.Contains(t, string(out), "blocMax = max(blocMax, uintptr(currentMemory())*physPageSize)")
	assert.NotContains(t, string(src), "moonpool", "the toolchain's own file is left alone")
}

func TestPatchMemAnchorMissing(t *testing.T) {
	_, err := patchMem([]byte("package runtime\n\nfunc sbrk(n uintptr) unsafe.Pointer {\n\treturn nil\n}\n"), "go1.99.1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "go1.99.1")
	assert.Contains(t, err.Error(), "memHunk")
}
