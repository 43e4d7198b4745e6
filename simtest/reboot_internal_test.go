package simtest

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/chaos"
)

// With no weight on power losses, a reboot's kind is drawn as it was
// before power losses existed, so that seeds keep their reboots.
func TestZeroPowerLossWeightKeepsTheOtherKindsDraws(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := chaos.Attrition{
			Graceful: rapid.Float64Range(0, 10).Draw(t, "graceful"),
			Crash:    rapid.Float64Range(0, 10).Draw(t, "crash"),
			Wipe:     rapid.Float64Range(0, 10).Draw(t, "wipe"),
		}
		u := rapid.Float64Range(0, 1).Draw(t, "u")
		x := u * (a.Graceful + a.Crash + a.Wipe)
		want := Wipe
		switch {
		case x < a.Graceful:
			want = Graceful
		case x < a.Graceful+a.Crash:
			want = Crash
		}
		if got := pickKind(a, u); got != want {
			t.Fatalf("pickReboot(%+v, %v) = %v, want %v", a, u, got, want)
		}
	})
}

func TestPowerLossIsDrawnByItsWeight(t *testing.T) {
	a := chaos.Attrition{Graceful: 2, Crash: 2, PowerLoss: 1}
	for u, want := range map[float64]Reboot{0: Graceful, 0.39: Graceful, 0.41: Crash, 0.79: Crash, 0.81: PowerLoss, 0.999: PowerLoss} {
		if got := pickKind(a, u); got != want {
			t.Errorf("pickReboot(2:2:0:1, %v) = %v, want %v", u, got, want)
		}
	}
}

// With no weight on kills, a reboot's kind is drawn as it was before
// kills existed, so that seeds keep their reboots.
func TestZeroKillWeightKeepsTheOtherKindsDraws(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := chaos.Attrition{
			Graceful:  rapid.Float64Range(0, 10).Draw(t, "graceful"),
			Crash:     rapid.Float64Range(0, 10).Draw(t, "crash"),
			Wipe:      rapid.Float64Range(0, 10).Draw(t, "wipe"),
			PowerLoss: rapid.Float64Range(0, 10).Draw(t, "powerLoss"),
		}
		u := rapid.Float64Range(0, 1).Draw(t, "u")
		x := u * (a.Graceful + a.Crash + a.Wipe + a.PowerLoss)
		var want Reboot
		switch {
		case x < a.Graceful:
			want = Graceful
		case x < a.Graceful+a.Crash:
			want = Crash
		case x < a.Graceful+a.Crash+a.Wipe || a.PowerLoss == 0:
			want = Wipe
		default:
			want = PowerLoss
		}
		if got := pickKind(a, u); got != want {
			t.Fatalf("pickReboot(%+v, %v) = %v, want %v", a, u, got, want)
		}
	})
}

func TestKillIsDrawnByItsWeight(t *testing.T) {
	a := chaos.Attrition{Graceful: 2, Crash: 2, PowerLoss: 1, Kill: 5}
	for u, want := range map[float64]Reboot{0: Graceful, 0.19: Graceful, 0.21: Crash, 0.39: Crash, 0.41: PowerLoss, 0.49: PowerLoss, 0.51: Kill, 0.999: Kill} {
		if got := pickKind(a, u); got != want {
			t.Errorf("pickReboot(2:2:0:1:5, %v) = %v, want %v", u, got, want)
		}
	}
	a = chaos.Attrition{Graceful: 1, Kill: 1}
	for u, want := range map[float64]Reboot{0.49: Graceful, 0.51: Kill, 0.999: Kill} {
		if got := pickKind(a, u); got != want {
			t.Errorf("pickReboot(1:0:0:0:1, %v) = %v, want %v", u, got, want)
		}
	}
}

// pickKind is pickReboot's kind, or -1 for a pause.
func pickKind(a chaos.Attrition, u float64) Reboot {
	how, pause := pickReboot(a, u)
	if pause {
		return -1
	}
	return how
}

// With no weight on pauses, a reboot's kind is drawn as it was before
// pauses existed, so that seeds keep their reboots.
func TestZeroPauseWeightKeepsTheOtherKindsDraws(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := chaos.Attrition{
			Graceful:  rapid.Float64Range(0, 10).Draw(t, "graceful"),
			Crash:     rapid.Float64Range(0, 10).Draw(t, "crash"),
			Wipe:      rapid.Float64Range(0, 10).Draw(t, "wipe"),
			PowerLoss: rapid.Float64Range(0, 10).Draw(t, "powerLoss"),
			Kill:      rapid.Float64Range(0, 10).Draw(t, "kill"),
		}
		u := rapid.Float64Range(0, 1).Draw(t, "u")
		x := u * (a.Graceful + a.Crash + a.Wipe + a.PowerLoss + a.Kill)
		var want Reboot
		switch {
		case x < a.Graceful:
			want = Graceful
		case x < a.Graceful+a.Crash:
			want = Crash
		case x < a.Graceful+a.Crash+a.Wipe || a.PowerLoss+a.Kill == 0:
			want = Wipe
		case x < a.Graceful+a.Crash+a.Wipe+a.PowerLoss || a.Kill == 0:
			want = PowerLoss
		default:
			want = Kill
		}
		if got := pickKind(a, u); got != want {
			t.Fatalf("pickReboot(%+v, %v) = %v, want %v", a, u, got, want)
		}
	})
}

func TestPauseIsDrawnByItsWeight(t *testing.T) {
	a := chaos.Attrition{Graceful: 2, Crash: 2, PowerLoss: 1, Pause: 5}
	for u, want := range map[float64]Reboot{0: Graceful, 0.19: Graceful, 0.21: Crash, 0.41: PowerLoss, 0.49: PowerLoss, 0.51: -1, 0.999: -1} {
		if got := pickKind(a, u); got != want {
			t.Errorf("pickReboot(2:2:0:1:0:5, %v) = %v, want %v", u, got, want)
		}
	}
	a = chaos.Attrition{Pause: 1}
	for _, u := range []float64{0, 0.5, 0.999} {
		if got := pickKind(a, u); got != -1 {
			t.Errorf("pickReboot(pauses alone, %v) = %v, want a pause", u, got)
		}
	}
}
