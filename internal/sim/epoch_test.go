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

// FromEpoch is Epoch.Add field for field (== compares a Time's location
// too), for every count of nanoseconds a run's clocks may reach and past.
func TestFromEpochIsAdd(t *testing.T) {
	if Epoch.Unix() != epochUnix || Epoch.Nanosecond() != 0 {
		t.Fatalf("epochUnix is %d, but Epoch is %d s and %d ns since 1970", epochUnix, Epoch.Unix(), Epoch.Nanosecond())
	}
	check := func(t interface{ Fatalf(string, ...any) }, ns int64) {
		if got, want := FromEpoch(ns), Epoch.Add(time.Duration(ns)); got != want {
			t.Fatalf("FromEpoch(%d) = %v (%#v), want %v (%#v) as Epoch.Add gives", ns, got, got, want, want)
		}
	}
	for _, ns := range []int64{0, 1, 999_999_999, 1e9, 1e9 + 1, -1, -1e9, math.MaxInt64, math.MinInt64} {
		check(t, ns)
	}
	rapid.Check(t, func(t *rapid.T) {
		if rapid.Bool().Draw(t, "run") {
			check(t, rapid.Int64Range(0, int64(1000*time.Hour)).Draw(t, "ns"))
			return
		}
		check(t, rapid.Int64().Draw(t, "ns"))
	})
}
