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

// TestAProcessWhoseRunReturnsIsDownUntilStarted checks the promise of
// docs/processes.md for a Run that returns nil: the process is down (its
// other tasks end with it, its host closes what it left open) and stays
// down until the test starts it again.
func TestAProcessWhoseRunReturnsIsDownUntilStarted(t *testing.T) {
	var ticks, atExit int
	var boots []providers.Boot
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "batch", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				boots = append(boots, p.Cluster.Boot())
				if len(boots) > 1 {
					return providers.Wait(ctx, p.Task)
				}
				if _, err := p.Network.Listen(ctx, p.Cluster.Self().Host+":7000"); err != nil {
					return err
				}
				p.Task.Go(ctx, "ticker", func(ctx context.Context) error {
					for p.Time.Sleep(ctx, time.Millisecond) == nil {
						ticks++
					}
					return nil
				})
				if err := p.Time.Sleep(ctx, time.Second); err != nil {
					return err
				}
				atExit = ticks
				return nil // done, by design; the ticker and the listener are left behind
			})
		}})
		require.NoError(s, c.Join(s.Context(), "batch-0"))
		assert.False(s, c.Alive("batch-0"), "a process whose Run returned is down")
		s.Sleep(time.Second)
		assert.Equal(s, atExit, ticks, "the process's other tasks ended as its Run returned")
		_, err := s.Providers().Network.Dial(s.Context(), "batch-0:7000")
		assert.Error(s, err, "the listener the process left open was closed as it exited")
		c.Start("batch-0")
		assert.True(s, c.Alive("batch-0"))
		assert.Equal(s, 2, c.Boots("batch-0"))
		s.Sleep(time.Millisecond) // for the new instance to run
	}, simtest.Chaos(chaos.Off()), simtest.Replay(1))
	assert.Equal(t, []providers.Boot{providers.FirstBoot, providers.AfterGraceful}, boots, "an exit is a clean stop")
}

// A process that returned is down, but a Stop or Reboot of it still
// reaches its disk: a batch job's disk can be wiped before it runs again.
func TestAStopOfAProcessThatReturnedReachesItsDisk(t *testing.T) {
	var boots []providers.Boot
	var found []bool
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "batch", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				boots = append(boots, p.Cluster.Boot())
				_, err := p.Storage.Stat("out")
				found = append(found, err == nil)
				f, err := p.Storage.Create("out")
				if err != nil {
					return err
				}
				if err := f.Sync(); err != nil {
					return err
				}
				return f.Close()
			})
		}})
		require.NoError(s, c.Join(s.Context(), "batch-0"))
		c.Reboot("batch-0", simtest.Crash)
		require.NoError(s, c.Join(s.Context(), "batch-0"))
		c.Stop("batch-0", simtest.Wipe)
		c.Start("batch-0")
		require.NoError(s, c.Join(s.Context(), "batch-0"))
	}, simtest.Chaos(chaos.Off()), simtest.Replay(1))
	assert.Equal(t, []providers.Boot{providers.FirstBoot, providers.AfterCrash, providers.AfterWipe}, boots)
	assert.Equal(t, []bool{false, true, false}, found, "the crash kept the synced file, the wipe erased it")
}
