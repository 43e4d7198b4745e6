package simtest

import (
	"fmt"

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
	b := s.chaos.Buggify
	s.w.SetBuggify(sim.Buggify{Enabled: b.Enabled, Activation: b.ActivationProb, Fire: b.FireProb})
}

// ChaosConfig returns the chaos configuration this seed runs with: the
// Run's, with per-seed draws and swarm choices made.
func (s *S) ChaosConfig() chaos.Config { return s.chaos }
