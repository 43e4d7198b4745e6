package simtest_test

import (
	"context"
	"fmt"
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

// decider appends a decision to its log, tells the world it decided (sent
// counts it, as a commit sent to the participants would), and syncs the
// log; each boot counts in lost the decisions sent that its log lacks.
// With early, the crash point is between the send and the sync, where a
// crash loses a decision others have heard; otherwise after the sync.
func decider(early bool, sent, lost *int) func() simtest.Process {
	return func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			f, err := p.Storage.OpenFile("decisions", os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				return err
			}
			info, err := f.Stat()
			if err != nil {
				return err
			}
			if durable := int(info.Size()); durable < *sent {
				*lost += *sent - durable
				*sent = durable // the participants learn the outcome again
			}
			for {
				if _, err := f.Write([]byte{'d'}); err != nil {
					return err
				}
				*sent++
				if early {
					chaos.CrashPoint(ctx)
				}
				if err := f.Sync(); err != nil {
					return err
				}
				if !early {
					chaos.CrashPoint(ctx)
				}
				if err := p.Time.Sleep(ctx, 20*time.Millisecond); err != nil {
					return nil
				}
			}
		})
	}
}

// A crash point crashes its process where it stands when it fires: one
// between a send and the sync that makes it durable loses decisions that
// were sent, which attrition's crashes at random instants never did in
// these seeds; one after the sync loses none. The timeline names the point.
func TestACrashPointCrashesWhereItStands(t *testing.T) {
	run := func(early bool, cfg chaos.Config) (lost int, told []string) {
		res := simtest.Simulate(func(s *simtest.S) {
			tl := s.Timeline()
			sent := 0
			c := s.Boot(simtest.Processes{Name: "coord", SoleCopy: true, New: decider(early, &sent, &lost)})
			c.Run(simtest.Phases{Chaos: 30 * time.Second})
			for _, e := range tl.Snapshot() {
				if e.Name == "crash point" {
					told = append(told, e.Msg)
				}
			}
		}, simtest.Chaos(cfg), simtest.Seeds(10), simtest.KeepFailures(false))
		require.Zero(t, res.Failed, res.Report)
		return lost, told
	}
	cfg := chaos.Off()
	cfg.Buggify = chaos.DefaultBuggify()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Storage.SyncLatency, cfg.Storage.TornWriteProb = chaos.DefaultStorage().SyncLatency, 0.5
	lostEarly, told := run(true, cfg)
	assert.NotZero(t, lostEarly, "a crash between the send and the sync loses what was sent")
	require.NotEmpty(t, told)
	assert.Regexp(t, `^crash point: coord-0 crashes at crashpoint_external_test\.go:\d+$`, told[0])
	lostLate, _ := run(false, cfg)
	assert.Zero(t, lostLate, "a crash after the sync loses nothing")

	// With buggify off, no crash point fires; attrition's crashes at random
	// instants find the window seldom.
	cfg.Buggify.Enabled = false
	lostRandom, told := run(true, cfg)
	assert.Empty(t, told)
	assert.Less(t, lostRandom, lostEarly)
	t.Logf("decisions lost: %d with the crash point between send and sync, %d after the sync, %d with buggify off", lostEarly, lostLate, lostRandom)
}

// A crash point never crashes a Protected process, nor one in the test's
// own tasks.
func TestACrashPointSparesWhatAttritionSpares(t *testing.T) {
	cfg := chaos.Off()
	cfg.Buggify = chaos.DefaultBuggify()
	cfg.Buggify.ActivationProb, cfg.Buggify.FireProb = 1, 1
	res := simtest.Simulate(func(s *simtest.S) {
		sent, lost := 0, 0
		c := s.Boot(simtest.Processes{Name: "coord", Protected: true, New: decider(true, &sent, &lost)})
		for range 100 {
			chaos.CrashPoint(s.Context()) // the driver's: no process to crash
		}
		c.Run(simtest.Phases{Chaos: 10 * time.Second})
		assert.Equal(s, 1, c.Boots("coord-0"))
	}, simtest.Chaos(cfg), simtest.Seeds(3))
	assert.Zero(t, res.Failed, res.Report)
	assert.False(t, strings.Contains(res.Report, "crash point:"), res.Report)
}

// Crash points that fire in several tasks of one process at one instant
// crash it once.
func TestCrashPointsAtOneInstantCrashOnce(t *testing.T) {
	cfg := chaos.Off()
	cfg.Buggify = chaos.DefaultBuggify()
	cfg.Buggify.ActivationProb = 1
	type instant struct {
		seed uint64
		at   time.Duration
	}
	perInstant := map[instant]int{}
	boots, points := 0, 0
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "coord", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				for i := range 50 {
					p.Task.Go(ctx, fmt.Sprintf("worker-%d", i), func(ctx context.Context) error {
						for {
							if err := p.Time.Sleep(ctx, 10*time.Millisecond); err != nil {
								return nil
							}
							chaos.CrashPoint(ctx)
						}
					})
				}
				return providers.Wait(ctx, p.Task)
			})
		}})
		c.Run(simtest.Phases{Chaos: 20 * time.Second})
		for _, e := range tl.Snapshot() {
			switch e.Name {
			case "crash point":
				perInstant[instant{s.Seed(), e.At}]++
				points++
			case "boot":
				boots++
			}
		}
	}, simtest.Chaos(cfg), simtest.Seeds(3))
	require.Zero(t, res.Failed, res.Report)
	require.NotZero(t, points)
	for at, n := range perInstant {
		assert.Equal(t, 1, n, "crash points at %v", at)
	}
	assert.Equal(t, 3+points, boots, "a first boot a seed, and one a crash")
}

// A crash point counts a process that is up and not ready as down, as
// attrition does, by process or by machine: with MaxDead 1 and one process
// not ready all through the chaos phase, no crash point takes another
// down beside it.
func TestACrashPointCountsANotReadyProcessDown(t *testing.T) {
	for _, unit := range []chaos.Unit{chaos.Process, chaos.Machine} {
		t.Run(unit.String(), func(t *testing.T) {
			cfg := chaos.Off()
			cfg.Buggify = chaos.DefaultBuggify()
			cfg.Buggify.ActivationProb = 1
			cfg.Attrition = chaos.DefaultAttrition()
			cfg.Attrition.Unit = unit
			points := 0
			res := simtest.Simulate(func(s *simtest.S) {
				tl := s.Timeline()
				sent, lost := 0, 0
				c := s.Boot(
					simtest.Processes{Name: "slow", Protected: true, New: func() simtest.Process {
						return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
							providers.SetNotReady(p.Cluster, "loading")
							if err := p.Time.Sleep(ctx, 12*time.Second); err != nil {
								return nil
							}
							providers.SetReady(p.Cluster)
							for p.Time.Sleep(ctx, time.Second) == nil {
							}
							return nil
						})
					}},
					simtest.Processes{Name: "coord", New: decider(true, &sent, &lost)},
				)
				c.Run(simtest.Phases{Chaos: 10 * time.Second, Settle: 10 * time.Second})
				for _, e := range tl.Snapshot() {
					if e.Name == "crash point" {
						points++
					}
				}
			}, simtest.Chaos(cfg), simtest.Seeds(5), simtest.KeepFailures(false))
			require.Zero(t, res.Failed, res.Report)
			assert.Zero(t, points, "crash points beside a process not ready, with MaxDead 1")
		})
	}
}

// A crash point that may not crash its process (here, a Protected one)
// makes no draw and tells no firing: the summary counts no buggify site
// fired, where none injected anything.
func TestACrashPointThatMayNotCrashTellsNoFiring(t *testing.T) {
	cfg := chaos.Off()
	cfg.Buggify = chaos.DefaultBuggify()
	cfg.Buggify.ActivationProb = 1
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		sent, lost := 0, 0
		c := s.Boot(simtest.Processes{Name: "coord", Protected: true, New: decider(true, &sent, &lost)})
		c.Run(simtest.Phases{Chaos: 10 * time.Second})
		assert.Zero(s, tl.Count("buggify fired")+tl.Count("buggify site on"), "no draw, no firing")
	}, simtest.Chaos(cfg), simtest.Seeds(2))
	require.Zero(t, res.Failed, res.Report)
	assert.NotContains(t, res.Report, "buggify sites fired")
}
