package simtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestAttritionSwarmGivesEachSeedItsRegime runs a cluster under
// Attrition.Swarm and reads each seed's reboots from its timeline: a
// seed reboots only with the kinds of its regime, some seeds never
// reboot, and the seeds together see every kind.
func TestAttritionSwarmGivesEachSeedItsRegime(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition() // graceful, crash and power loss
	cfg.Attrition.Swarm = true
	never, seen := 0, map[string]bool{}
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		a := s.ChaosConfig().Attrition
		c := s.Boot(simtest.Processes{Name: "p", Count: 3, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return providers.Wait(ctx, p.Task) })
		}})
		c.Run(simtest.Phases{Chaos: time.Minute})
		allowed := map[string]bool{"graceful": a.Graceful > 0, "crash": a.Crash > 0, "power loss": a.PowerLoss > 0, "wipe": a.Wipe > 0}
		downs := 0
		for _, e := range tl.Snapshot() {
			if e.Name != "down" {
				continue
			}
			downs++
			kind := e.Msg[strings.LastIndex(e.Msg, "(")+1 : len(e.Msg)-1]
			seen[kind] = true
			assert.True(s, allowed[kind], "seed %d rebooted by %s outside its regime %v", s.Seed(), kind, allowed)
		}
		if !a.Enabled {
			never++
			assert.Zero(s, downs, "a seed that never reboots does not")
		} else {
			assert.Positive(s, downs, "a minute of attrition reboots")
		}
	}, simtest.Chaos(cfg), simtest.Seeds(40))
	assert.Positive(t, never, "some seeds never reboot")
	assert.Less(t, never, 40)
	assert.Equal(t, map[string]bool{"graceful": true, "crash": true, "power loss": true}, seen)
}

// TestSpikedSeedsClogMore compares the clogs of a Run's seeds with and
// without SpikeProb 1: spiked seeds are the same seeds with their clogs
// pushed to extremes.
func TestSpikedSeedsClogMore(t *testing.T) {
	clogs := func(spike float64) int {
		cfg := chaos.Off()
		cfg.Network = chaos.DefaultNetwork()
		cfg.SpikeProb = spike
		n := 0
		simtest.Run(t, func(s *simtest.S) {
			tl := s.Timeline()
			if spike > 0 {
				require.Equal(s, chaos.DefaultNetwork().Spike(), s.ChaosConfig().Network)
			}
			l, err := s.HostProviders("server").Network.Listen(s.Context(), "server:1")
			require.NoError(s, err)
			s.Go("server", func(ctx context.Context) error {
				conn, err := l.Accept()
				if err != nil {
					return err
				}
				buf := make([]byte, 64)
				for {
					if _, err := conn.Read(buf); err != nil {
						return nil
					}
				}
			})
			conn, err := s.HostProviders("client").Network.Dial(s.Context(), "server:1")
			if err != nil {
				return
			}
			for range 500 {
				if _, err := conn.Write([]byte("x")); err != nil {
					break
				}
			}
			conn.Close()
			for _, e := range tl.Snapshot() {
				if strings.Contains(e.Msg, "clog") {
					n++
				}
			}
		}, simtest.Chaos(cfg), simtest.Seeds(10))
		return n
	}
	calm, spiked := clogs(0), clogs(1)
	t.Logf("clog entries over 10 seeds: %d calm, %d spiked", calm, spiked)
	assert.Greater(t, spiked, 5*calm+5, "spiked seeds clog far more (calm %d, spiked %d)", calm, spiked)
}

// TestTheTimelineTellsWhatTheSeedDrew checks the notes a failing seed's
// report shows of its spike and its regime of reboots.
func TestTheTimelineTellsWhatTheSeedDrew(t *testing.T) {
	cfg := chaos.Defaults()
	cfg.SpikeProb, cfg.Attrition.Swarm = 1, true
	res := simtest.Simulate(func(s *simtest.S) { s.Errorf("look") }, simtest.Chaos(cfg), simtest.Seeds(1))
	assert.Contains(t, res.Report, "chaos: the network spikes this seed (SpikeProb): clogs and partitions pushed to extremes")
	assert.Regexp(t, `chaos: (no reboots this seed|reboots this seed by [a-z ,]+ only \(Attrition.Swarm\))`, res.Report)

	plain := simtest.Simulate(func(s *simtest.S) { s.Errorf("look") }, simtest.Seeds(1))
	assert.NotContains(t, plain.Report, "chaos:", "a Config without them notes nothing")
}

// A seed in swarm mode opens its timeline with the families Swarm
// switched off, and its failure report repeats it, though its window is
// far from the seed's start.
func TestAFailingSeedsReportNamesWhatSwarmSwitchedOff(t *testing.T) {
	cfg := chaos.Defaults()
	cfg.Swarm = true
	seen := map[string]bool{}
	for seed := range uint64(8) {
		var off []string
		res := simtest.Simulate(func(s *simtest.S) {
			off = s.ChaosConfig().SwarmOff
			for i := range 100 {
				s.Logf("step %d", i)
				s.Sleep(time.Second)
			}
			s.Errorf("look")
		}, simtest.Chaos(cfg), simtest.Replay(seed+1), simtest.KeepFailures(false))
		require.Equal(t, 1, res.Failed, res.Report)
		note := "chaos: Swarm switches no family off this seed"
		if len(off) > 0 {
			note = "chaos: Swarm switches off " + strings.Join(off, ", ") + " this seed"
			if len(off) > 1 {
				note = "chaos: Swarm switches off " + strings.Join(off[:len(off)-1], ", ") + " and " + off[len(off)-1] + " this seed"
			}
		}
		seen[note] = true
		head, window, ok := strings.Cut(res.Report, "timeline around the first failure")
		require.True(t, ok, res.Report)
		assert.Contains(t, head, "\n  "+note+"\n", "the report's header")
		assert.NotContains(t, window, "chaos:", "the window does not reach the seed's start")
	}
	assert.Greater(t, len(seen), 2, "seeds differ in what they switch off")
}
