//go:build !wasm

package headless_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/internal/headless"
	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

// TestTimelinePageDrawsWhatUsersNameAsText opens in headless Chromium a
// timeline whose lanes, tasks and messages are named as a user may name
// them: markup, a script's end, and the names of JavaScript's own object
// properties. Each is drawn as its text, on a lane of its own.
func TestTimelinePageDrawsWhatUsersNameAsText(t *testing.T) {
	ctx := headless.Start(t)
	lanes := []string{"driver", "<img src=x onerror=document.title='owned'>", "__proto__", "constructor", "</script><b>x</b>"}
	doc := &timelinehtml.Doc{Title: "<i>seed</i>", Seed: 1, Failed: true, EndNS: 1e9, Lanes: lanes}
	for i, l := range lanes {
		doc.Events = append(doc.Events, timelinehtml.Event{AtNS: int64(i+1) * 1e8, Lane: l, Task: l, Kind: timelinehtml.KindFailure, Msg: "failed: " + l})
	}
	page := filepath.Join(t.TempDir(), "page.html")
	f, err := os.Create(page)
	require.NoError(t, err)
	require.NoError(t, timelinehtml.Write(f, doc))
	require.NoError(t, f.Close())

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+page)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#moonpool-timeline").dataset.rendered > 0`))
	require.NoError(t, err, "the page draws its timeline")
	assert.Equal(t, "<i>seed</i>", headless.Eval[string](t, ctx, `document.title`), "the title is text, and no handler ran")
	assert.Equal(t, lanes, headless.Eval[[]string](t, ctx, `[...document.querySelectorAll(".mpt-lane-label")].map(e => e.textContent)`))
	assert.Zero(t, headless.Eval[int](t, ctx, `document.querySelectorAll("#moonpool-timeline img, #moonpool-timeline b, #moonpool-timeline i").length`), "no markup made elements")
	failures := headless.Eval[[]string](t, ctx, `[...document.querySelectorAll(".mpt-failures li")].map(e => e.textContent)`)
	require.Len(t, failures, len(lanes))
	assert.Contains(t, failures[1], "failed: <img src=x")
	// Every failure is drawn, each on its own lane: a diamond whose top is
	// inside that lane's band.
	ys := headless.Eval[[]float64](t, ctx, `[...document.querySelectorAll("path.mpt-failure")].map(e => e.getBBox().y)`)
	require.Len(t, ys, len(lanes), "a mark per failure")
	bands := headless.Eval[[]float64](t, ctx, `[...document.querySelectorAll("rect.mpt-lane")].map(e => e.getBBox().y)`)
	require.Len(t, bands, len(lanes))
	for i := range lanes {
		assert.InDelta(t, bands[i]+8, ys[i], 0.5, "the mark of lane %q is in its band", lanes[i])
	}
}
