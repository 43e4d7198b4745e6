package explore

import (
	"errors"
	"fmt"
)

// Config sets how much an exploration may spend and how it spends it.
// The zero Config is not valid; start from [Defaults].
type Config struct {
	// Timelines is the budget: how many timelines (root seeds and
	// branches together) the exploration may run in all.
	Timelines int
	// Branches is how many children a mark gets at a time: the batch in
	// which a discovery's branches are run.
	Branches int
	// Energy is how many children one mark may get in all, in batches of
	// Branches, before the exploration leaves it.
	Energy int
	// MaxDepth is how many branch points a recipe may hold: a timeline
	// that deep discovers without branching.
	MaxDepth int
}

// Defaults returns a Config that works for a first try: a budget of 4,096
// timelines, marks split 8 at a time up to 256 children, recipes up to 32
// branch points deep. A rare event behind one gate of 1 in 20 is passed by
// a mark's 256 children but for a chance of 2 in a million.
func Defaults() Config {
	return Config{Timelines: 4096, Branches: 8, Energy: 256, MaxDepth: 32}
}

// Limits on the knobs, so that a typo fails early instead of running for days.
const (
	MaxTimelines  = 100_000_000
	MaxBranches   = 1 << 16
	MaxDepthLimit = 1 << 10
)

// Validate reports a Config that cannot be run, naming the knob and the fix.
func (c Config) Validate() error {
	var errs []error
	if c.Timelines <= 0 || c.Timelines > MaxTimelines {
		errs = append(errs, fmt.Errorf("explore: Timelines is %d; give a budget between 1 and %d timelines (Defaults has %d)", c.Timelines, MaxTimelines, Defaults().Timelines))
	}
	if c.Branches <= 0 || c.Branches > MaxBranches {
		errs = append(errs, fmt.Errorf("explore: Branches is %d; give between 1 and %d children per batch (Defaults has %d)", c.Branches, MaxBranches, Defaults().Branches))
	}
	if c.Energy < c.Branches || c.Energy > MaxTimelines {
		errs = append(errs, fmt.Errorf("explore: Energy is %d; give at least Branches (%d) children per mark and at most %d (Defaults has %d)", c.Energy, c.Branches, MaxTimelines, Defaults().Energy))
	}
	if c.MaxDepth <= 0 || c.MaxDepth > MaxDepthLimit {
		errs = append(errs, fmt.Errorf("explore: MaxDepth is %d; give between 1 and %d branch points (Defaults has %d)", c.MaxDepth, MaxDepthLimit, Defaults().MaxDepth))
	}
	return errors.Join(errs...)
}
