//go:build !wasm

package kv_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/internal/headless"
	"github.com/moonpool-go/moonpool/simtest"
)

// plantedSeed is the planted bug's first failing seed, told in README.md.
const plantedSeed = 12401540429705631555

// TestTimelineHTMLInABrowser draws the planted bug's failing seed as an
// HTML timeline, opens it in headless Chromium, and checks what a person
// would see: a lane per replica and the driver, the messages between them,
// the failure marked and listed, and the link to porcupine's picture of
// the history. It saves a screenshot and logs its path.
func TestTimelineHTMLInABrowser(t *testing.T) {
	ctx := headless.Start(t)
	dir := t.TempDir()
	res := simtest.Simulate(func(s *simtest.S) { runKV(s, true) },
		harsh, simtest.Replay(plantedSeed), simtest.TimelineHTML(dir+"/"))
	require.Equal(t, 1, res.Failed, res.Report)
	page := filepath.Join(dir, "Simulate.html")
	require.FileExists(t, page)
	require.FileExists(t, filepath.Join(dir, "Simulate.porcupine.html"))

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+page)))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#moonpool-timeline").dataset.rendered > 0`))
	require.NoError(t, err, "the page draws its timeline")
	lanes := headless.Eval[[]string](t, ctx, `[...document.querySelectorAll(".mpt-lane-label")].map(e => e.textContent)`)
	failures := headless.Eval[[]string](t, ctx, `[...document.querySelectorAll(".mpt-failures li")].map(e => e.textContent)`)
	arrows := headless.Eval[int](t, ctx, `document.querySelectorAll(".mpt-msg").length`)
	marks := headless.Eval[int](t, ctx, `document.querySelectorAll(".mpt-failure").length`)
	link := headless.Eval[string](t, ctx, `document.querySelector(".mpt-link").getAttribute("href")`)
	out := headless.Screenshot(t, ctx, "kv-timeline.png")
	assert.Equal(t, []string{"driver", "kv-0", "kv-1", "kv-2"}, lanes)
	assert.Greater(t, arrows, 1000, "the replicas' and clients' messages")
	assert.Zero(t, headless.Eval[int](t, ctx, `document.querySelectorAll(".mpt-density, .mpt-density-note").length`),
		"a page of a few thousand messages draws each as an arrow")
	assert.Positive(t, marks, "the failure is drawn")
	require.NotEmpty(t, failures)
	assert.Contains(t, strings.Join(failures, "\n"), `Always "the history is linearizable" failed`)
	assert.Equal(t, "Simulate.porcupine.html", link)

	// Zoom: the axis shows the whole seed, then half of it.
	assert.Equal(t, "0s .. 1m16.055s", headless.Eval[string](t, ctx, `document.querySelector(".mpt-range").textContent`))
	zoomedIn := headless.Eval[string](t, ctx, `[...document.querySelectorAll(".mpt-bar button")].find(b => b.textContent == "zoom in").click(), document.querySelector(".mpt-range").textContent`)
	assert.Equal(t, "19.014s .. 57.041s", zoomedIn)
	assert.Less(t, headless.Eval[int](t, ctx, `document.querySelectorAll(".mpt-msg").length`), arrows, "fewer arrows in half the time")

	// A click on the failure shows its details.
	details := headless.Eval[string](t, ctx, `document.querySelector(".mpt-failures li").click(), document.querySelector(".mpt-details").textContent`)
	assert.Contains(t, details, "the history is linearizable")
	assert.Contains(t, details, "at_ns: 1m16.055s")

	t.Logf("screenshot of seed %d's timeline: %s", uint64(plantedSeed), out)

	// The click zoomed in on the failure: the last seconds, in detail.
	out = headless.Screenshot(t, ctx, "kv-timeline-failure.png")
	t.Logf("screenshot of the same, zoomed in on the failure: %s", out)
}

// BenchmarkTimelineHTML draws the planted bug's failing seed (about 7,000
// steps and events) as an HTML timeline and loads it in headless Chromium:
// it reports the page's size and the time from navigation to the timeline
// drawn.
//
//	go test -run XXX -bench TimelineHTML -benchtime 5x ./examples/kv
func BenchmarkTimelineHTML(b *testing.B) {
	ctx := headless.Start(b)
	dir := b.TempDir()
	res := simtest.Simulate(func(s *simtest.S) { runKV(s, true) },
		harsh, simtest.Replay(plantedSeed), simtest.TimelineHTML(dir+"/"))
	require.Equal(b, 1, res.Failed, res.Report)
	page := filepath.Join(dir, "Simulate.html")
	st, err := os.Stat(page)
	require.NoError(b, err)
	var load time.Duration
	for b.Loop() {
		start := time.Now()
		require.NoError(b, chromedp.Do(ctx, chromedp.Navigate("file://"+page)))
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#moonpool-timeline").dataset.rendered > 0`))
		require.NoError(b, err)
		load += time.Since(start)
	}
	b.ReportMetric(float64(st.Size()), "html-bytes")
	b.ReportMetric(float64(res.Steps+res.Events), "steps+events")
	b.ReportMetric(float64(load.Milliseconds())/float64(b.N), "ms/load")
}
