package simtest_test

import (
	"context"
	"os"
	"strings"
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

// stopsByHand stops a process gracefully by hand after a while.
type stopsByHand struct{ name string }

func (stopsByHand) Setup(context.Context, providers.Providers) error { return nil }
func (w stopsByHand) Run(ctx context.Context, p providers.Providers) error {
	if err := p.Time.Sleep(ctx, 6*time.Second); err != nil {
		return err
	}
	simtest.ClusterOf(p).Stop(w.name, simtest.Graceful, simtest.Grace(2*time.Second))
	return nil
}
func (stopsByHand) Check(context.Context, providers.Providers) error { return nil }

// A graceful stop by hand of a process whose crash attrition aimed at an
// unsynced write takes the aim back: the process's flush as it shuts down
// does not pause it for a crash that never comes, which would hold its
// shutdown to the grace's end.
func TestAGracefulStopTakesBackAnAimedCrash(t *testing.T) {
	var flushed bool
	a := chaos.DefaultAttrition()
	a.Graceful, a.PowerLoss, a.Wipe, a.Kill, a.Pause, a.CrashAtUnsyncedWriteProb = 0, 0, 0, 0, 0, 1
	a.Interval = chaos.Range{Min: 5 * time.Second, Max: 5 * time.Second} // aimed at 5s, to 10s
	cfg := chaos.Off()
	cfg.Attrition = a
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "log", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				f, err := p.Storage.OpenFile("log", os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
				if err != nil {
					return err
				}
				_ = providers.Wait(ctx, p.Task)
				if _, err := f.Write([]byte("bye")); err != nil { // a flush as it shuts down
					return err
				}
				flushed = true
				return nil
			})
		}})
		c.Run(simtest.Phases{Chaos: time.Minute}, stopsByHand{"log-0"})
		s.Errorf("the seed fails, for its report")
	}, simtest.Chaos(cfg), simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed)
	assert.True(t, flushed, "the stop's Run went on past its flush")
	assert.NotContains(t, res.Report, "crashes just after")
	assert.NotContains(t, res.Report, "grace over")
}

// A write through a file opened O_SYNC leaves nothing unsynced, and so
// does not take an aimed crash, which strikes at Interval's Max instead;
// the same writes without O_SYNC take it.
func TestAnOSyncWriteDoesNotTakeAnAimedCrash(t *testing.T) {
	run := func(flag int) (aimedAt, downs int) {
		a := chaos.DefaultAttrition()
		a.Graceful, a.PowerLoss, a.Wipe, a.Kill, a.Pause, a.CrashAtUnsyncedWriteProb = 0, 0, 0, 0, 0, 1
		a.Interval = chaos.Range{Min: time.Second, Max: 2 * time.Second}
		a.DownFor = chaos.Range{Min: time.Second, Max: time.Second}
		cfg := chaos.Off()
		cfg.Attrition = a
		res := simtest.Simulate(func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "w", New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					f, err := p.Storage.OpenFile("log", os.O_RDWR|os.O_CREATE|os.O_APPEND|flag, 0o644)
					if err != nil {
						return err
					}
					for {
						if _, err := f.Write([]byte("record")); err != nil {
							return err
						}
						if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
							return err
						}
					}
				})
			}})
			reboots, down := s.Watch("aimed crash"), s.Watch("down")
			c.Run(simtest.Phases{Chaos: 20 * time.Second})
			for _, e := range reboots.Next() {
				if strings.Contains(e.Msg, "crashes just after") {
					aimedAt++
				}
			}
			downs = len(down.Next())
		}, simtest.Chaos(cfg), simtest.Seeds(1), simtest.KeepFailures(false))
		require.Zero(t, res.Failed, res.Report)
		return aimedAt, downs
	}
	aimedAt, downs := run(os.O_SYNC)
	assert.Zero(t, aimedAt, "no O_SYNC write took the aim")
	assert.Greater(t, downs, 2, "the crashes came all the same")
	aimedAt, downs = run(0)
	assert.Equal(t, downs, aimedAt, "every crash struck at a write")
	assert.Greater(t, downs, 2)
}

// An aimed crash counts against MaxDead while it waits for a write: with
// MaxDead 1, attrition draws no other reboot meanwhile, so that from a
// draw to its process's boot no other is drawn, though each crash waits
// out Interval's Max.
func TestAnAimedCrashCountsAgainstMaxDeadWhileItWaits(t *testing.T) {
	a := chaos.DefaultAttrition()
	a.Graceful, a.PowerLoss, a.Wipe, a.Kill, a.Pause, a.CrashAtUnsyncedWriteProb = 0, 0, 0, 0, 0, 1
	a.Interval = chaos.Range{Min: time.Second, Max: 3 * time.Second}
	a.DownFor = chaos.Range{Min: time.Second, Max: time.Second}
	cfg := chaos.Off()
	cfg.Attrition = a
	var drawn, most int
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "idle", Count: 3, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				return providers.Wait(ctx, p.Task) // no write takes the aim
			})
		}})
		entries := s.Watch("task started", "boot")
		c.Run(simtest.Phases{Chaos: time.Minute})
		open := 0 // reboots drawn whose process has not booted again
		for _, e := range entries.Next() {
			switch {
			case e.Name == "task started" && strings.HasPrefix(e.Task, "reboot "):
				drawn++
				open++
				most = max(most, open)
			case e.Name == "boot" && open > 0:
				open--
			}
		}
	}, simtest.Chaos(cfg), simtest.Seeds(1), simtest.KeepFailures(false))
	require.Zero(t, res.Failed, res.Report)
	assert.Greater(t, drawn, 5, "crashes came")
	assert.Equal(t, 1, most, "one reboot at a time, its wait for a write counted")
}

// A create, a rename or a remove leaves a change unsynced too, and takes
// an aimed crash as a write does: a process whose only changes are renames
// of a file written O_SYNC is crashed at them.
func TestARenameTakesAnAimedCrash(t *testing.T) {
	a := chaos.DefaultAttrition()
	a.Graceful, a.PowerLoss, a.Wipe, a.Kill, a.Pause, a.CrashAtUnsyncedWriteProb = 0, 0, 0, 0, 0, 1
	a.DownFor = chaos.Range{Min: time.Second, Max: time.Second}
	cfg := chaos.Off()
	cfg.Attrition = a
	var aimed []string
	downs := 0
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "w", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				name := "a"
				if _, err := p.Storage.Stat("b"); err == nil {
					name = "b"
				}
				f, err := p.Storage.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_SYNC, 0o644)
				if err != nil {
					return err
				}
				if _, err := f.Write([]byte("record")); err != nil {
					return err
				}
				for {
					if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
						return err
					}
					next := map[string]string{"a": "b", "b": "a"}[name]
					if err := p.Storage.Rename(name, next); err != nil {
						return err
					}
					name = next
				}
			})
		}})
		w, down := s.Watch("aimed crash"), s.Watch("down")
		c.Run(simtest.Phases{Chaos: 20 * time.Second})
		for _, e := range w.Next() {
			aimed = append(aimed, e.Msg)
		}
		downs = len(down.Next())
	}, simtest.Chaos(cfg), simtest.Seeds(1), simtest.KeepFailures(false))
	require.Zero(t, res.Failed, res.Report)
	require.Greater(t, downs, 2)
	assert.Len(t, aimed, downs, "every crash struck at a change")
}
