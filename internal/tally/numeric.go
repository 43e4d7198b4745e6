package tally

import (
	"math"
	"strconv"
	"time"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// mark is a numeric assertion's watermark: the comparison that came
// closest to failing (Always forms) or to holding (Sometimes forms),
// measured by its margin, how far left is on the holding side of right.
type mark struct {
	set         bool
	margin      float64
	left, right float64
	duration    bool
	seed        uint64 // the seed that made it
}

// better reports whether margin m improves on the mark for kind k.
func (mk mark) better(k simctx.AssertKind, m float64) bool {
	if !mk.set {
		return true
	}
	if k.IsAlways() {
		return m < mk.margin
	}
	return m > mk.margin
}

func margin(k simctx.AssertKind, left, right float64) float64 {
	var m float64
	switch k {
	case simctx.AlwaysGreaterThan, simctx.AlwaysGreaterThanOrEqual, simctx.SometimesGreaterThan, simctx.SometimesGreaterThanOrEqual:
		m = left - right
	default:
		m = right - left
	}
	if math.IsNaN(m) { // both infinite, on one side
		return 0
	}
	return m
}

func (s *Seed) compare(e *Entry, a simctx.Assertion) {
	if math.IsNaN(a.Left) || math.IsNaN(a.Right) {
		side := "left"
		if !math.IsNaN(a.Left) {
			side = "right"
		}
		s.misuseOf(e, "the "+side+" operand is NaN, which compares false with everything; check for NaN before asserting, or assert on something that cannot be NaN")
		return
	}
	m := margin(a.Kind, a.Left, a.Right)
	if e.sMark.better(a.Kind, m) {
		e.sMark = mark{set: true, margin: m, left: a.Left, right: a.Right, duration: a.Duration, seed: s.seed}
		s.signal(e, progressMark, level(m), Progress{cmp: [2]float64{a.Left, a.Right}, dur: a.Duration})
	}
	if e.mark.better(a.Kind, m) {
		e.mark = e.sMark
	}
	s.record(e, a.OK, Hit{Left: a.Left, Right: a.Right}, a.Args)
}

// level buckets a margin by its sign and binary order of magnitude, so
// that progress signals stay few: a watermark moving within one power of
// two is not news.
func level(m float64) uint64 {
	if m == 0 {
		return 0
	}
	_, exp := math.Frexp(m)
	l := uint64(exp + 2048)
	if m < 0 {
		l |= 1 << 12
	}
	return l
}

func operator(k simctx.AssertKind) string {
	switch k {
	case simctx.AlwaysGreaterThan, simctx.SometimesGreaterThan:
		return ">"
	case simctx.AlwaysGreaterThanOrEqual, simctx.SometimesGreaterThanOrEqual:
		return ">="
	case simctx.AlwaysLessThan, simctx.SometimesLessThan:
		return "<"
	}
	return "<="
}

// formatComparison writes a comparison as the call made it.
func formatComparison(k simctx.AssertKind, left, right float64, duration bool) string {
	return formatNumber(left, duration) + " " + operator(k) + " " + formatNumber(right, duration)
}

func formatNumber(v float64, duration bool) string {
	if duration && math.Abs(v) < math.MaxInt64 {
		return time.Duration(v).String()
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
