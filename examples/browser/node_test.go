//go:build !wasm

//simvet:outside runs the WebAssembly build under Node, outside any simulation
package browser_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/browser"
	"github.com/moonpool-go/moonpool/examples/browser/site"
)

// underNode builds the demo for WebAssembly and returns a function that
// runs it under Node with args. It skips tb where there is no Node, and
// under -short.
func underNode(tb testing.TB) func(args ...string) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds the demo for WebAssembly: not under -short")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Skip("no node on the PATH: install it (apt-get install nodejs) to run the demo's WebAssembly build")
	}
	dir := tb.TempDir()
	require.NoError(tb, site.Build(context.Background(), dir))
	return func(args ...string) string {
		tb.Helper()
		cmd := exec.Command(node, append([]string{filepath.Join(dir, "wasm_exec_node.js"), filepath.Join(dir, "demo.wasm")}, args...)...)
		// js/wasm has one thread: its runtime dies starting a second one
		// when GOMAXPROCS, set for the tests, asks for more.
		cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOMAXPROCS=") })
		out, err := cmd.Output()
		require.NoError(tb, err, "node %s", strings.Join(args, " "))
		return string(out)
	}
}

// TestDemoUnderNodeIsNative runs the presets' seeds in the WebAssembly
// build under Node and natively: the histories are the same, line for
// line.
func TestDemoUnderNodeIsNative(t *testing.T) {
	run := underNode(t)
	var args []string
	var want strings.Builder
	for _, p := range browser.Presets() {
		arg := fmt.Sprintf("%s/%d", p.Mode, p.Seed)
		args = append(args, arg)
		out, err := browser.Run(p.Mode, p.Seed)
		require.NoError(t, err)
		fmt.Fprintf(&want, "== %s\n%s\n", arg, strings.Join(out.History, "\n"))
	}
	got := run(args...)
	assert.Equal(t, want.String(), got)
	t.Logf("%d seeds, %d history lines, the same under WebAssembly as natively", len(args), strings.Count(got, "\n")-len(args))
}

// BenchmarkDemoSeeds runs the same stormy seeds natively and in the
// WebAssembly build under Node, in one run, and reports seeds per second
// of each and their ratio. Node's start and the build are not counted:
// the WebAssembly side times itself.
//
//	go test -run XXX -bench DemoSeeds -benchtime 1x ./examples/browser
func BenchmarkDemoSeeds(b *testing.B) {
	const seeds = 200
	run := underNode(b)
	for b.Loop() {
		start := time.Now()
		for seed := range seeds {
			if _, err := browser.Run(browser.Stormy, uint64(seed+1)); err != nil {
				b.Fatal(err)
			}
		}
		native := time.Since(start)
		var n int
		var ns int64
		_, err := fmt.Sscanf(run(fmt.Sprintf("-seeds=%d", seeds)), "seeds=%d ns=%d", &n, &ns)
		require.NoError(b, err)
		wasm := time.Duration(ns)
		b.ReportMetric(seeds/native.Seconds(), "native-seeds/s")
		b.ReportMetric(seeds/wasm.Seconds(), "wasm-seeds/s")
		b.ReportMetric(wasm.Seconds()/native.Seconds(), "wasm/native")
	}
}
