package simnet

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// simUntil finds the first instant at which a host's clock reads a given
// time, for any skew, any drift the configuration allows and any time,
// those where int64 saturates included.
func TestSimUntilIsTheFirstInstant(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := &Host{
			// A skew is drawn in [-MaxClockSkew, MaxClockSkew].
			skew:  max(drawNear(t, "skew", 1<<31), -math.MaxInt64),
			drift: rapid.Int64Range(-billion/2, billion/2).Draw(t, "drift"),
		}
		checkSimUntil(t, h, drawNear(t, "local", 1<<50))
	})
	// Where the clock is flat at the bottom of int64: a skew below zero.
	for _, drift := range []int64{0, 1, -1} {
		checkSimUntil(t, &Host{skew: -1 << 30, drift: drift}, math.MinInt64)
	}
}

func checkSimUntil(t interface{ Fatalf(string, ...any) }, h *Host, local int64) {
	got := h.simUntil(local)
	if got > math.MinInt64 && h.toLocal(got-1) >= local {
		t.Fatalf("skew %d, drift %d: simUntil(%d) = %d, but the clock reads %d an instant earlier", h.skew, h.drift, local, got, h.toLocal(got-1))
	}
	if got < math.MaxInt64 && h.toLocal(got) < local {
		t.Fatalf("skew %d, drift %d: simUntil(%d) = %d, where the clock reads only %d", h.skew, h.drift, local, got, h.toLocal(got))
	}
}

// drawNear draws an int64 within span of zero or of either end of int64.
func drawNear(t *rapid.T, label string, span int64) int64 {
	d := rapid.Int64Range(0, span).Draw(t, label)
	switch rapid.IntRange(0, 2).Draw(t, label+" near") {
	case 0:
		return math.MinInt64 + d
	case 1:
		return math.MaxInt64 - d
	}
	return d - span/2
}
