package chaos

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Config gathers every fault family of a simulation: the network, the
// disks, process reboots, and buggify. The presets:
//
//   - [Defaults]: every family on at the intensities of FoundationDB and
//     Moonpool.
//   - [Off]: nothing fails; the world is perfect.
//   - [Random]: [Defaults] with draws for each seed, so that some seeds
//     are gentle and some are brutal: the network's settings (a
//     [RandomNetwork], in place of the Config's), the storage's fault
//     probabilities, whether attrition and buggify are on, and buggify's
//     Activation (see [Config.ForSeed]). Attrition's other settings and
//     buggify's Fire stay as the Config sets them.
//
// Swarm mode (Swarm true) goes further: for each seed, each family is
// switched off with probability one half, so that some seeds see only one
// kind of trouble, which lets rare interactions of one kind show.
type Config struct {
	Network   Network
	Storage   Storage
	Attrition Attrition
	Buggify   BuggifyConfig
	// Swarm switches a random subset of the families off for each seed.
	Swarm bool

	random bool
}

// BuggifyConfig sets how [Buggify] sites behave.
type BuggifyConfig struct {
	// Enabled switches buggify on.
	Enabled bool
	// Activation is the probability that a site is on for a whole run,
	// drawn when it is first reached. FoundationDB uses 0.25; 0.5 reaches
	// more sites in fewer seeds.
	Activation float64
	// Fire is the probability that an on site fires each time it is
	// reached. FoundationDB uses 0.25.
	Fire float64
}

// DefaultBuggify is buggify on: sites on with probability 0.5, firing with
// probability 0.25.
func DefaultBuggify() BuggifyConfig {
	return BuggifyConfig{Enabled: true, Activation: 0.5, Fire: 0.25}
}

// Attrition reboots processes while a workload runs. Every attempt, one
// process is picked and rebooted one of three ways, by weight: graceful
// (its context is cancelled, and it is killed if it has not returned after
// the grace period), crash (killed at once: unsynced writes lost,
// connections reset) or wipe (a crash that also erases its disk). It comes
// back after the recovery delay.
type Attrition struct {
	// Enabled switches attrition on.
	Enabled bool
	// MaxDead bounds how many processes may be down at once, counted from
	// the instant a reboot starts until the process is back.
	MaxDead int
	// Graceful, Crash and Wipe weigh the kinds of reboot.
	Graceful, Crash, Wipe float64
	// Interval is the range of simulated time between two attempts. Its
	// Min is at least [MinInterval], so that attempts cannot pile up at
	// one instant.
	Interval Range
	// Recovery is the range of time a rebooted process stays down; zero
	// brings it back at once.
	Recovery Range
	// Grace is the range of time a graceful reboot waits before killing.
	// When Graceful is positive, its Max is too: a graceful stop needs
	// time to happen.
	Grace Range
}

// MinInterval is the least time between two events that recur on their
// own: attrition's reboot attempts ([Attrition].Interval.Min) and random
// partitions (the mean [Network].PartitionInterval). Closer, they would
// fill simulated time and the run would make no progress.
const MinInterval = time.Millisecond

// Range is a closed range of durations; a value is drawn uniformly in it.
type Range struct{ Min, Max time.Duration }

// Draw returns a duration in r, drawn from src.
func (r Range) Draw(src rand.Source) time.Duration {
	if r.Max <= r.Min {
		return r.Min
	}
	return r.Min + time.Duration(rand.New(src).Int64N(int64(r.Max-r.Min)+1))
}

// DefaultAttrition is one process down at most, a reboot attempt every 1-5
// s, down for 1-10 s, 2-5 s of grace, graceful, crash and wipe weighted
// 2:2:1.
func DefaultAttrition() Attrition {
	return Attrition{
		Enabled:  true,
		MaxDead:  1,
		Graceful: 2, Crash: 2, Wipe: 1,
		Interval: Range{time.Second, 5 * time.Second},
		Recovery: Range{time.Second, 10 * time.Second},
		Grace:    Range{2 * time.Second, 5 * time.Second},
	}
}

// Defaults returns every family on at its default intensity.
func Defaults() Config {
	return Config{
		Network:   DefaultNetwork(),
		Storage:   DefaultStorage(),
		Attrition: DefaultAttrition(),
		Buggify:   DefaultBuggify(),
	}
}

// Off returns a configuration in which nothing fails: no network or disk
// faults (latencies stay), no reboots, no buggify.
func Off() Config {
	return Config{
		Network: NoNetworkFaults(),
		Storage: NoStorageFaults(),
	}
}

// Random returns a configuration whose intensities are drawn for each seed
// (see [Config.ForSeed]).
func Random() Config {
	c := Defaults()
	c.random = true
	return c
}

// ForSeed returns the configuration one seed runs with: c itself, or, for
// [Random], with draws from src, and then, in swarm mode, a random half of
// the families off. The draws, in order: the network's (see
// [RandomNetwork]), the storage's (see [Storage.Draw]), then attrition
// on/off, buggify on/off and buggify's activation, and last one draw per
// family for swarm mode (network, storage, attrition, buggify).
func (c Config) ForSeed(src rand.Source) Config {
	out := c
	if c.random {
		r := rand.New(src)
		out.Network = RandomNetwork(src)
		out.Storage = c.Storage.Draw(r)
		out.Attrition.Enabled = r.IntN(2) == 0
		out.Buggify.Enabled = r.IntN(2) == 0
		out.Buggify.Activation = 0.1 + 0.8*r.Float64()
		out.random = false
	}
	if c.Swarm {
		r := rand.New(src)
		if r.IntN(2) == 0 {
			out.Network = out.Network.NoFaults()
		}
		if r.IntN(2) == 0 {
			out.Storage = NoStorageFaults()
		}
		if r.IntN(2) == 0 {
			out.Attrition.Enabled = false
		}
		if r.IntN(2) == 0 {
			out.Buggify.Enabled = false
		}
	}
	return out
}

// Validate reports every setting that cannot work, each named by its
// field.
func (c Config) Validate() error {
	var errs []error
	if err := c.Network.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Storage.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Attrition.Validate(); err != nil {
		errs = append(errs, err)
	}
	b := c.Buggify
	if math.IsNaN(b.Activation) || b.Activation < 0 || b.Activation > 1 {
		errs = append(errs, fmt.Errorf("chaos: Buggify.Activation is %v; a probability is in [0, 1]", b.Activation))
	}
	if math.IsNaN(b.Fire) || b.Fire < 0 || b.Fire > 1 {
		errs = append(errs, fmt.Errorf("chaos: Buggify.Fire is %v; a probability is in [0, 1]", b.Fire))
	}
	return errors.Join(errs...)
}

// Validate reports every setting of a that cannot work. How many
// processes exist is for the simulation to check against MaxDead.
func (a Attrition) Validate() error {
	if !a.Enabled {
		return nil
	}
	var errs []error
	if a.MaxDead < 1 {
		errs = append(errs, fmt.Errorf("chaos: Attrition.MaxDead is %d; at least one process must be allowed down, or set Enabled to false", a.MaxDead))
	}
	if a.Graceful < 0 || a.Crash < 0 || a.Wipe < 0 {
		errs = append(errs, fmt.Errorf("chaos: Attrition weights (Graceful %v, Crash %v, Wipe %v) must not be negative", a.Graceful, a.Crash, a.Wipe))
	} else if a.Graceful+a.Crash+a.Wipe == 0 {
		errs = append(errs, errors.New("chaos: Attrition weights are all zero; give at least one of Graceful, Crash and Wipe a positive weight, or set Enabled to false"))
	}
	for _, r := range []struct {
		name string
		r    Range
	}{{"Interval", a.Interval}, {"Recovery", a.Recovery}, {"Grace", a.Grace}} {
		if r.r.Min < 0 || r.r.Max < r.r.Min {
			errs = append(errs, fmt.Errorf("chaos: Attrition.%s is [%v, %v]; a range needs 0 <= Min <= Max", r.name, r.r.Min, r.r.Max))
		}
	}
	if a.Interval.Min >= 0 && a.Interval.Min < MinInterval {
		errs = append(errs, fmt.Errorf("chaos: Attrition.Interval.Min is %v; reboot attempts come at least chaos.MinInterval (%v) apart, so that they cannot pile up at one instant: raise Min to %v or more", a.Interval.Min, MinInterval, MinInterval))
	}
	if a.Graceful > 0 && a.Grace.Max == 0 {
		errs = append(errs, fmt.Errorf("chaos: Attrition.Grace is [0s, 0s] but Graceful is %v; give a graceful stop a positive grace period, or set Graceful to 0", a.Graceful))
	}
	return errors.Join(errs...)
}
