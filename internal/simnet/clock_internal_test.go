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
			skew:  drawNear(t, "skew", 1<<31),
			drift: rapid.Int64Range(-billion/2, billion/2).Draw(t, "drift"),
		}
		local := drawNear(t, "local", 1<<50)
		got := h.simUntil(local)
		if got > math.MinInt64 && h.toLocal(got-1) >= local {
			t.Fatalf("simUntil(%d) = %d, but the clock reads %d an instant earlier", local, got, h.toLocal(got-1))
		}
		if got < math.MaxInt64 && h.toLocal(got) < local {
			t.Fatalf("simUntil(%d) = %d, where the clock reads only %d", local, got, h.toLocal(got))
		}
	})
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
