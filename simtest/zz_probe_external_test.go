package simtest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestZZCombos(t *testing.T) {
	base := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps())
	chk := simtest.Simulate(twoRare, simtest.Explore(explore.Defaults()), simtest.AllowGaps(), simtest.CheckDeterminism())
	t.Logf("base %d %s; chk %d %s", base.Seeds, base.Replay, chk.Seeds, chk.Replay)
	if d := cmp.Diff(base.PerSeed, chk.PerSeed); d != "" {
		t.Errorf("check differs %s", d)
	}
	for _, n := range []int{1, 2, 3, 7, 8, 9, 13, 17} {
		cfg := explore.Defaults()
		cfg.Timelines = n
		for _, w := range []int{1, 3} {
			r := simtest.Simulate(twoRare, simtest.Explore(cfg), simtest.AllowGaps(), simtest.Workers(w))
			if r.Seeds != n {
				t.Errorf("budget %d workers %d: %d seeds\n%s", n, w, r.Seeds, r.Report)
			}
		}
	}
}
