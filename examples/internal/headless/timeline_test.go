//go:build !wasm

package headless_test

import (
	"context"
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
	render(t, ctx, doc)
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

// TestTimelinePageDrawsAPauseAsASpan opens a timeline in which a process is
// paused from 2 s to 5 s of 10: the paused stretch is a band across its
// lane, between the marks of its pause and its resume, hidden with the
// reboots.
func TestTimelinePageDrawsAPauseAsASpan(t *testing.T) {
	ctx := headless.Start(t)
	doc := &timelinehtml.Doc{Title: "pause", Seed: 1, EndNS: 10e9, Lanes: []string{"driver", "srv-0", "srv-1"},
		Events: []timelinehtml.Event{
			{AtNS: 2e9, Lane: "srv-0", Kind: timelinehtml.KindReboot, Msg: "pause: srv-0 paused for 3s"},
			{AtNS: 5e9, Lane: "srv-0", Kind: timelinehtml.KindReboot, Msg: "resume: srv-0 resumed after 3s"},
		},
		Spans: []timelinehtml.Span{{StartNS: 2e9, EndNS: 5e9, Lane: "srv-0", Kind: timelinehtml.KindReboot, Msg: "pause: srv-0 paused for 3s"}},
	}
	render(t, ctx, doc)
	t.Log("screenshot: ", headless.Screenshot(t, ctx, "timeline-pause.png"))

	type box struct{ X, Y, W, H float64 }
	const bbox = `(e => { const b = e.getBBox(); return {X: b.x, Y: b.y, W: b.width, H: b.height}; })`
	spans := headless.Eval[[]box](t, ctx, `[...document.querySelectorAll("rect.mpt-span")].map(`+bbox+`)`)
	require.Len(t, spans, 1, "the pause is one band")
	marks := headless.Eval[[]box](t, ctx, `[...document.querySelectorAll("rect.mpt-reboot")].map(`+bbox+`)`)
	require.Len(t, marks, 2, "its ends are marked as before")
	lane := headless.Eval[box](t, ctx, bbox+`(document.querySelectorAll("rect.mpt-lane")[1])`)
	span := spans[0]
	assert.InDelta(t, marks[0].X+marks[0].W/2, span.X, 0.5, "the band starts at the pause's mark")
	assert.InDelta(t, marks[1].X+marks[1].W/2, span.X+span.W, 0.5, "and ends at the resume's")
	assert.Greater(t, span.W, 100.0, "three tenths of the seed's width")
	assert.True(t, span.Y > lane.Y && span.Y+span.H < lane.Y+lane.H, "the band is inside srv-0's lane: %+v in %+v", span, lane)
	assert.Contains(t, headless.Eval[string](t, ctx, `document.querySelector("rect.mpt-span title").textContent`), "pause: srv-0 paused for 3s")

	// Hidden with the reboots' switch.
	require.True(t, headless.Eval[bool](t, ctx, `(document.querySelector(".mpt-k-reboot input").click(), true)`))
	assert.Zero(t, headless.Eval[int](t, ctx, `document.querySelectorAll("rect.mpt-span").length`))
}

// A disk operation's tooltip says where it was, and for a write a full
// disk cut short, how much of what was asked it wrote and why; a failed
// operation is drawn apart from the others.
func TestTimelinePageTellsAWriteCutShort(t *testing.T) {
	ctx := headless.Start(t)
	at := func(n int64) *int64 { return &n }
	doc := &timelinehtml.Doc{Title: "full", Seed: 1, EndNS: 10e9, Lanes: []string{"driver", "db"},
		Disk: []timelinehtml.DiskOp{
			{StartNS: 1e9, EndNS: 2e9, Lane: "db", What: "write", File: "wal", Bytes: 432, Off: at(0)},
			{StartNS: 3e9, EndNS: 4e9, Lane: "db", What: "write", File: "wal", Bytes: 20, Off: at(432), Asked: 432, Err: "no space left on device"},
			{StartNS: 5e9, EndNS: 6e9, Lane: "db", What: "sync", File: "wal", Err: "input/output error"},
		},
	}
	render(t, ctx, doc)

	titles := headless.Eval[[]string](t, ctx, `[...document.querySelectorAll("rect.mpt-diskop title")].map(e => e.textContent)`)
	assert.Equal(t, []string{
		"disk operation write wal, 432 bytes at 0",
		"disk operation write wal, 20 of 432 bytes at 432: no space left on device",
		"disk operation sync wal: input/output error",
	}, titles)
	failed := headless.Eval[[]bool](t, ctx, `[...document.querySelectorAll("rect.mpt-diskop")].map(e => e.classList.contains("mpt-diskop-failed"))`)
	assert.Equal(t, []bool{false, true, true}, failed)
}

// render writes doc's page and opens it, once it has drawn its timeline.
func render(t *testing.T, ctx context.Context, doc *timelinehtml.Doc) {
	t.Helper()
	page := filepath.Join(t.TempDir(), "page.html")
	f, err := os.Create(page)
	require.NoError(t, err)
	require.NoError(t, timelinehtml.Write(f, doc))
	require.NoError(t, f.Close())

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+page)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#moonpool-timeline").dataset.rendered > 0`))
	require.NoError(t, err, "the page draws its timeline")
}
