package simtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// A crash aimed at an unsynced write that still waits for one as the
// chaos phase ends does not strike in the quiesce, after the faults have
// healed, nor hold the quiesce open for the rest of Interval's Max: a fault drawn in
// the chaos phase does not begin after it, as a drawn pause does not.
func TestAnAimedCrashDoesNotStrikeAfterTheChaosPhase(t *testing.T) {
	var boots int
	var ran time.Duration
	a := chaos.DefaultAttrition()
	a.Graceful, a.PowerLoss, a.Wipe, a.Kill, a.Pause, a.CrashAtUnsyncedWriteProb = 0, 0, 0, 0, 0, 1
	a.Interval = chaos.Range{Min: time.Second, Max: 2 * time.Second} // one draw in the phase, whose aim outlasts it
	a.DownFor = chaos.Range{Min: time.Second, Max: time.Second}
	cfg := chaos.Off()
	cfg.Attrition = a
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "idle", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				boots++ // it never writes: no write takes the aim
				return providers.Wait(ctx, p.Task)
			})
		}})
		began := s.Now()
		c.Run(simtest.Phases{Chaos: 2 * time.Second, Settle: time.Second})
		ran = s.Now().Sub(began)
	}, simtest.Chaos(cfg), simtest.Seeds(1), simtest.KeepFailures(false))
	require.Zero(t, res.Failed, res.Report)
	assert.Equal(t, 1, boots, "no crash struck after the chaos phase")
	assert.Less(t, ran, 4*time.Second, "the quiesce did not wait for the aim: chaos and settle took %v", ran)
}
