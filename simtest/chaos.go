package simtest

import (
	"fmt"
	"strings"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
)

// Chaos sets the faults of every seed: the network's, the disks', process
// reboots and buggify. The default is [chaos.Defaults]; [chaos.Off] turns
// everything off, [chaos.Random] draws intensities per seed, and Swarm mode
// switches a random half of the families off per seed. A configuration that
// does not validate fails the test before any seed runs.
func Chaos(cfg chaos.Config) Option {
	return optionFunc(func(c *config) error {
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("simtest.Chaos: %w", err)
		}
		c.chaos = cfg
		return nil
	})
}

// seedChaos draws the seed's chaos configuration from its stream, first
// thing in the run, and applies the engine's part of it.
func (s *S) seedChaos(cfg chaos.Config) {
	s.chaos = cfg.ForSeed(s.w.Rand())
	s.reboots = cfg.Attrition.Enabled || cfg.Randomize
	a := cfg.Attrition
	s.takesDown = a.Graceful+a.Crash+a.Wipe+a.PowerLoss+a.Kill > 0
	s.noteChaos(cfg)
	b := s.chaos.Buggify
	s.w.SetBuggify(sim.Buggify{Enabled: b.Enabled, Activation: b.ActivationProb, Fire: b.FireProb})
}

// ChaosConfig returns the chaos configuration this seed runs with: the
// Run's, with per-seed draws and swarm choices made.
func (s *S) ChaosConfig() chaos.Config { return s.chaos }

// noteChaos tells in the timeline what the seed drew of the settings that
// vary one seed from the next more than the presets do: a spike of the
// network, the regime of reboots. The notes leave the trace hash alone.
func (s *S) noteChaos(cfg chaos.Config) {
	if cfg.Swarm {
		if off := s.chaos.SwarmOff; len(off) > 0 {
			s.noteChaosLine("chaos: Swarm switches off " + joinAnd(off) + " this seed")
		} else {
			s.noteChaosLine("chaos: Swarm switches no family off this seed")
		}
	}
	if cfg.SpikeProb > 0 && s.chaos.SpikeProb == 1 {
		s.noteChaosLine("chaos: the network spikes this seed (SpikeProb): clogs and partitions pushed to extremes")
	}
	if a := s.chaos.Attrition; cfg.Attrition.Swarm && cfg.Attrition.Enabled {
		if !a.Enabled {
			s.noteChaosLine("chaos: no reboots this seed")
			return
		}
		var kinds []string
		for _, k := range []struct {
			name string
			w    float64
		}{{"graceful", a.Graceful}, {"crash", a.Crash}, {"wipe", a.Wipe}, {"power loss", a.PowerLoss}, {"kill", a.Kill}, {"pause", a.Pause}} {
			if k.w > 0 {
				kinds = append(kinds, k.name)
			}
		}
		s.noteChaosLine("chaos: reboots this seed by " + strings.Join(kinds, ", ") + " only (Attrition.Swarm)")
		s.swarmRegime = true
	}
}

// noteChaosLine adds a note of the seed's chaos to its timeline, and keeps
// it for its failure report, whose window rarely reaches back to the
// seed's start.
func (s *S) noteChaosLine(msg string) {
	s.chaosNotes = append(s.chaosNotes, msg)
	s.w.Log(msg)
}
