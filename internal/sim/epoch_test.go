package sim

import (
	"math"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// SinceEpoch is t.Sub(Epoch) for every t: near the epoch, where its
// arithmetic is its own, and far from it, where Sub saturates.
func TestSinceEpochIsSub(t *testing.T) {
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("x", -7*3600)}
	rapid.Check(t, func(t *rapid.T) {
		var sec int64
		switch rapid.IntRange(0, 2).Draw(t, "range") {
		case 0: // a run's deadlines
			sec = rapid.Int64Range(-1<<20, 1<<20).Draw(t, "sec")
		case 1: // around the edge of the fast path
			sec = rapid.Int64Range(1<<33-3, 1<<33+3).Draw(t, "sec")
			if rapid.Bool().Draw(t, "neg") {
				sec = -sec
			}
		default: // anywhere
			sec = rapid.Int64Range(math.MinInt64/4, math.MaxInt64/4).Draw(t, "sec")
		}
		nsec := rapid.Int64Range(0, 1e9-1).Draw(t, "nsec")
		at := time.Unix(Epoch.Unix()+sec, nsec).In(zones[rapid.IntRange(0, len(zones)-1).Draw(t, "zone")])
		if got, want := SinceEpoch(at), int64(at.Sub(Epoch)); got != want {
			t.Fatalf("SinceEpoch(%v) = %d, want %d as Sub gives", at, got, want)
		}
	})
	// A time read from the wall clock carries a monotonic reading too.
	now := time.Now()
	if got, want := SinceEpoch(now), int64(now.Sub(Epoch)); got != want {
		t.Fatalf("SinceEpoch(time.Now()) = %d, want %d", got, want)
	}
}
