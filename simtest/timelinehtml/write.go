package timelinehtml

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"io"
)

//go:embed timeline.js
var script string

//go:embed timeline.css
var style string

// Script returns the renderer's JavaScript, for a page that draws Docs of
// its own; it defines MoonpoolTimeline.render (see the package comment).
func Script() string { return script }

// Style returns the renderer's CSS, for the same pages.
func Style() string { return style }

// Write writes d as one HTML page that needs nothing else to open: the
// renderer's script and style, and d as JSON, are inside it.
func Write(w io.Writer, d *Doc) error {
	if d == nil {
		return fmt.Errorf("timelinehtml.Write: the Doc is nil; pass the timeline to draw")
	}
	data, err := json.Marshal(d) // escapes <, > and &: the JSON cannot end its script element
	if err != nil {
		return fmt.Errorf("timelinehtml.Write: encoding the timeline: %w", err)
	}
	title := d.Title
	if title == "" {
		title = fmt.Sprintf("seed %d", d.Seed)
	}
	_, err = fmt.Fprintf(w, page, html.EscapeString(title), style, data, script)
	if err != nil {
		return fmt.Errorf("timelinehtml.Write: %w", err)
	}
	return nil
}

const page = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%s</title>
<style>
%s</style>
</head>
<body>
<div id="moonpool-timeline"></div>
<script id="moonpool-timeline-data" type="application/json">%s</script>
<script>
%s</script>
<script>
MoonpoolTimeline.render(document.getElementById("moonpool-timeline"),
	JSON.parse(document.getElementById("moonpool-timeline-data").textContent));
</script>
</body>
</html>
`
