package simtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// A run branched while attrition waits before its next attempt draws the
// wait again from the branch's source: the children of one branch point
// meet their first reboot at many times, where each kept its root's.
func TestABranchDrawsAttritionsNextRebootAgain(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.PowerLoss, cfg.Attrition.Pause = 0, 1, 0, 0
	cfg.Attrition.Interval = chaos.Range{Min: 2 * time.Second, Max: 20 * time.Second}
	const root = 42
	// firstReboot runs root, or a recipe, and returns the time of its
	// first reboot and the draw count a second into the chaos phase.
	firstReboot := func(opt Option) (time.Duration, uint64) {
		var at uint64
		first := time.Duration(-1)
		res := Simulate(func(s *S) {
			tl := s.Timeline()
			c := s.Boot(Processes{Name: "srv", Count: 3, New: func() Process {
				return ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					for p.Time.Sleep(ctx, 100*time.Millisecond) == nil {
					}
					return nil
				})
			}})
			s.Go("note", func(ctx context.Context) error {
				if err := s.Providers().Time.Sleep(ctx, time.Second); err == nil {
					at = s.w.Rand().Draws()
				}
				return nil
			})
			c.Run(Phases{Chaos: 30 * time.Second})
			for _, e := range tl.Snapshot() {
				if strings.HasPrefix(e.Msg, "reboot: ") {
					first = e.At
					return
				}
			}
		}, opt, Chaos(cfg))
		require.True(t, res.OK(), res.Report)
		return first, at
	}
	rootFirst, at := firstReboot(Replay(root))
	require.Greater(t, rootFirst, 2*time.Second, "the root's first reboot comes after the branch point")
	firsts := map[time.Duration]bool{}
	for child := range uint64(8) {
		first, _ := firstReboot(ReplayRecipe(fmt.Sprintf("%d/%d:%d", root, at, child)))
		if first >= 0 {
			assert.Greater(t, first, time.Second, "no reboot begins before the branch point")
			firsts[first.Round(time.Second)] = true
		}
	}
	assert.GreaterOrEqual(t, len(firsts), 4, "the children draw the wait before the first reboot afresh: %v, to the second (the root's %v)", firsts, rootFirst)
}
