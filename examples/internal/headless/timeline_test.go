//go:build !wasm

package headless_test

import (
	"context"
	"fmt"
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

// crowd is a timeline of 20 processes that send 12,000 messages in the
// first 90 s of 100, one in ten of them lost, and 10 more in the last 5 s.
func crowd() *timelinehtml.Doc {
	doc := &timelinehtml.Doc{Title: "crowd", Seed: 1, EndNS: 100e9, Lanes: []string{"driver"}}
	for i := range 20 {
		doc.Lanes = append(doc.Lanes, fmt.Sprintf("n-%d", i))
	}
	for i := range 12000 {
		at := int64(i) * 90e9 / 12000
		doc.Messages = append(doc.Messages, timelinehtml.Message{SentNS: at, ArrivedNS: at + 400e3,
			From: doc.Lanes[1+i%20], To: doc.Lanes[1+(i*7+3)%20], Bytes: 64, Lost: i%10 == 0})
	}
	for i := range 10 {
		at := 95e9 + int64(i)*500e6
		doc.Messages = append(doc.Messages, timelinehtml.Message{SentNS: at, ArrivedNS: at + 400e3, From: "n-0", To: "n-19", Bytes: 64})
	}
	return doc
}

// TestTimelinePageDrawsACrowdOfMessagesAsDensity opens a timeline with
// more messages in view than can be read as arrows: at the whole seed
// they are drawn as a strip of density on the lanes that sent and got
// them, but where they are sparse, and the page says so; zoomed in, and
// when asked, they are arrows again.
func TestTimelinePageDrawsACrowdOfMessagesAsDensity(t *testing.T) {
	ctx := headless.Start(t)
	render(t, ctx, crowd())
	t.Log("screenshot: ", headless.Screenshot(t, ctx, "timeline-crowd.png"))

	arrows := func() int { return headless.Eval[int](t, ctx, `document.querySelectorAll("line.mpt-msg").length`) }
	cells := func() int { return headless.Eval[int](t, ctx, `document.querySelectorAll("rect.mpt-density").length`) }
	note := func() string {
		return headless.Eval[string](t, ctx, `(n => n.hidden ? "" : n.textContent)(document.querySelector(".mpt-density-note"))`)
	}
	assert.Equal(t, 10, arrows(), "only the sparse messages of the last seconds are arrows")
	assert.Positive(t, cells())
	// Each message drawn as density is counted once as sent, and once as
	// received or lost, in the cells' tooltips (a cell's two strips share
	// one).
	type counts struct{ Sent, Received, Lost int }
	sum := headless.Eval[counts](t, ctx, `[...new Set([...document.querySelectorAll("rect.mpt-density title")].map(e => e.textContent))]
		.map(s => s.match(/: (\d+) sent, (\d+) received(?:, (\d+) lost)?/))
		.reduce((c, m) => ({Sent: c.Sent + +m[1], Received: c.Received + +m[2], Lost: c.Lost + +(m[3] || 0)}), {Sent: 0, Received: 0, Lost: 0})`)
	assert.Equal(t, counts{Sent: 12000, Received: 10800, Lost: 1200}, sum)
	assert.Contains(t, note(), "12,010 messages in view, more than 3,000: 12,000 of them, where they crowd, are drawn as a strip")
	assert.Contains(t, note(), "Zoom in")
	// The strips are inside their lanes, under their names.
	inside := headless.Eval[bool](t, ctx, `(() => {
		const lanes = [...document.querySelectorAll("rect.mpt-lane")].map(e => e.getBBox());
		return [...document.querySelectorAll("rect.mpt-density")].every(e => {
			const b = e.getBBox();
			return lanes.slice(1).some(l => b.y > l.y && b.y + b.height < l.y + l.height);
		});
	})()`)
	assert.True(t, inside, "every strip is inside a process's lane")
	details := headless.Eval[string](t, ctx, `document.querySelector("rect.mpt-density").dispatchEvent(new MouseEvent("click", {bubbles: true})), document.querySelector(".mpt-details").textContent`)
	assert.Regexp(t, `(?s)^messages\nlane: n-\d+\n.*sent: \d+\nreceived: \d+\nlost: \d+\npeers: n-`, details)

	// Zoomed in to an eighth of the seed, 1,667 messages are in view:
	// every one an arrow.
	for range 3 {
		headless.Eval[bool](t, ctx, `[...document.querySelectorAll(".mpt-bar button")].find(b => b.textContent == "zoom in").click(), true`)
	}
	assert.Equal(t, "43.75s .. 56.25s", headless.Eval[string](t, ctx, `document.querySelector(".mpt-range").textContent`))
	assert.Zero(t, cells())
	assert.InDelta(t, 1667, arrows(), 2)
	assert.Contains(t, note(), " messages in view, drawn as arrows")

	// At the whole seed again, each message an arrow when asked.
	headless.Eval[bool](t, ctx, `[...document.querySelectorAll(".mpt-bar button")].find(b => b.textContent == "whole seed").click(), true`)
	assert.Positive(t, cells())
	headless.Eval[bool](t, ctx, `document.querySelector(".mpt-density-note input").click(), true`)
	assert.Zero(t, cells())
	assert.Equal(t, 12010, arrows())

	// The messages' switch hides the strips and the note with the arrows.
	headless.Eval[bool](t, ctx, `document.querySelector(".mpt-density-note input").click(), document.querySelector(".mpt-k-message input").click(), true`)
	assert.Zero(t, cells())
	assert.Zero(t, arrows())
	assert.Empty(t, note())
}

// TestTimelinePageDrawsAFewMessagesAsArrows opens a timeline of 2,000
// messages, all sent within one second of a hundred: however they crowd
// there, a page that never has more messages in view than are drawn as
// arrows draws each one as an arrow, and says nothing of density.
func TestTimelinePageDrawsAFewMessagesAsArrows(t *testing.T) {
	ctx := headless.Start(t)
	doc := &timelinehtml.Doc{Title: "burst", Seed: 1, EndNS: 100e9, Lanes: []string{"driver", "kv-0", "kv-1", "kv-2"}}
	for i := range 2000 {
		at := 50e9 + int64(i)*500e3
		doc.Messages = append(doc.Messages, timelinehtml.Message{SentNS: at, ArrivedNS: at + 300e3, From: doc.Lanes[i%4], To: doc.Lanes[(i+1)%4]})
	}
	render(t, ctx, doc)
	assert.Equal(t, 2000, headless.Eval[int](t, ctx, `document.querySelectorAll("line.mpt-msg").length`))
	assert.Zero(t, headless.Eval[int](t, ctx, `document.querySelectorAll(".mpt-density, .mpt-density-note").length`))
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
