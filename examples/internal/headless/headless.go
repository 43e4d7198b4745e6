//go:build !wasm

// Package headless starts a headless Chromium for the examples' browser
// tests, driven with chromedp, or skips the test, saying why, where no
// Chromium is installed.
//
//simvet:production drives a real browser for tests, never inside a simulation
package headless

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Env names a Chromium (or Chrome) binary to use instead of the first of
// chromium, chromium-browser, google-chrome on the PATH.
const Env = "MOONPOOL_CHROMIUM"

// Browser finds Chromium: the binary Env names, or the first on the PATH.
func Browser() (string, bool) {
	if p := os.Getenv(Env); p != "" {
		return p, true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Start starts a headless Chromium with a fresh profile, stopped when t
// ends, and returns a chromedp context for one tab whose actions time out
// after a minute. It skips t when no Chromium is found.
func Start(t testing.TB) context.Context {
	t.Helper()
	bin, ok := Browser()
	if !ok {
		t.Skipf("no Chromium found (chromium, chromium-browser or google-chrome on the PATH, or $%s): install it (apt-get install chromium) to run the browser test", Env)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1400, 800),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	// The first action starts the browser, which lives as long as the
	// context it was given: the timeout goes on the actions after it.
	if err := chromedp.Do(ctx); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("starting %s: %v", bin, err)
	}
	tctx, cancelTime := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	return tctx
}

// Eval evaluates a JavaScript expression in ctx's page and returns its
// value, failing t when the expression throws or its value is not a T.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

// Screenshot takes a screenshot of ctx's whole page and writes it as name
// to a directory that outlives the test, so that a person can look at it;
// it returns the file's path, for the test to log.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	dir := filepath.Join(os.TempDir(), "moonpool-screenshots")
	require.NoError(t, os.MkdirAll(dir, 0o777))
	out := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(out, shot, 0o666))
	return out
}
