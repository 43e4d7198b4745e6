//go:build !wasm

package browser_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/browser"
	"github.com/moonpool-go/moonpool/examples/browser/site"
	"github.com/moonpool-go/moonpool/examples/internal/headless"
)

// TestDemoInABrowser builds the demo for WebAssembly, serves it on
// loopback, and has headless Chromium run two seeds on the page: for each,
// the history the page shows must be the native run's, line for line. It
// saves a screenshot of the failing seed and logs its path.
func TestDemoInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the demo for WebAssembly: not under -short")
	}
	// The build first: headless.Start's minute is the browser's, and a
	// build for WebAssembly on a busy machine can take most of one.
	dir := t.TempDir()
	require.NoError(t, site.Build(context.Background(), dir))
	ctx := headless.Start(t)
	srv := httptest.NewServer(site.Handler(dir))
	defer srv.Close()

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?mode=calm&seed=1")))
	for i, run := range []struct {
		mode browser.Mode
		seed uint64
	}{{browser.Stormy, 7}, {browser.Buggy, 3}} {
		want, err := browser.Run(run.mode, run.seed)
		require.NoError(t, err)
		// The page runs calm/1 on load; each run after is asked through
		// its form, as a person would.
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`window.demoState.runs >= %d || window.demoState.error`, i+1)))
		require.NoError(t, err)
		expr := fmt.Sprintf(`document.getElementById("mode").value = %q, document.getElementById("seed").value = "%d", document.getElementById("run").click(), true`, run.mode, run.seed)
		_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		require.NoError(t, err)
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`window.demoState.runs >= %d || window.demoState.error`, i+2)))
		require.NoError(t, err)
		state := headless.Eval[struct {
			Error   string
			Mode    string
			Seed    string
			OK      bool
			History []string
		}](t, ctx, `window.demoState`)
		require.Empty(t, state.Error)
		assert.Equal(t, string(run.mode), state.Mode)
		assert.Equal(t, fmt.Sprint(run.seed), state.Seed)
		assert.Equal(t, want.OK, state.OK)
		assert.Empty(t, cmp.Diff(want.History, state.History), "%s seed %d: the page's history is the native one", run.mode, run.seed)
		t.Logf("%s seed %d: %d history lines, the same in the browser as natively; %s", run.mode, run.seed, len(state.History), state.History[len(state.History)-1])
	}
	lanes := headless.Eval[[]string](t, ctx, `[...document.querySelectorAll(".mpt-lane-label")].map(e => e.textContent)`)
	assert.Equal(t, []string{"driver", "server-0"}, lanes)
	assert.Positive(t, headless.Eval[int](t, ctx, `document.querySelectorAll(".mpt-msg").length`), "the requests are drawn")
	assert.Positive(t, headless.Eval[int](t, ctx, `document.querySelectorAll(".mpt-reboot").length`), "the reboots are drawn")
	out := headless.Screenshot(t, ctx, "browser-demo.png")
	t.Logf("screenshot of the demo after buggy seed 3: %s", out)
}
