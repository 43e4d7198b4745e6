// Package timelinehtml draws a seed's timeline as one self-contained HTML
// page: processes and the test driver as lanes, messages as arrows between
// them (as a strip of density on their lanes where more crowd a view than
// can be read as arrows), disk operations, faults and reboots marked,
// pauses drawn as bands across their process's lane, failures highlighted,
// simulated time on the axis, with zoom and a click on anything to read
// its details. The page needs no network to open: its script, its style
// and the timeline itself are inside it.
//
// A [Doc] is the picture's data, plain values that encode as JSON. The
// simtest flag -simhtml and the option simtest.TimelineHTML write the
// Doc of a failing seed with [Write]; simtest.TimelineDoc hands it over
// for a page of one's own, which draws it with the same renderer: [Script]
// and [Style] are the renderer's JavaScript and CSS, and the script defines
//
//	MoonpoolTimeline.render(element, doc)
//
// which draws doc (the Doc as JSON, parsed) into element and returns an
// object whose zoom(from_ns, to_ns) shows a span of simulated time.
package timelinehtml
