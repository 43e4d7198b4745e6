package explore

import (
	"errors"
	"fmt"
)

// Config sets how much an exploration may spend and how it spends it.
// The zero Config is not valid; start from [Defaults].
type Config struct {
	// Timelines is the budget: how many timelines (root seeds and
	// branches together) the exploration may run in all. The timelines a
	// test kept from earlier failures run first and spend none of it;
	// the report counts them among the timelines run.
	Timelines int
	// Branches is how many children a mark gets at a time: the batch in
	// which a discovery's branches are run.
	Branches int
	// Energy is how many children one mark gets in a turn, in batches of
	// Branches, before the exploration leaves it (with Barren set, a mark
	// that keeps growing the coverage map earns more, a rare mark's turn
	// is longer, and a cut or spent mark may have another turn).
	Energy int
	// MaxDepth is how many branch points a recipe may hold: a timeline
	// that deep discovers without branching.
	MaxDepth int
	// Barren makes splitting adaptive: a mark whose last Barren children
	// grew the coverage map not at all is cut, and the energy it has left
	// goes to a pool shared by the exploration; a batch of children that
	// grew the map earns its mark one more batch. Cut marks draw on the
	// pool again, Barren children at a time, the least revived and then
	// the deepest first, once no deeper mark is left to branch, for as
	// long as the marks' turn since the last root seed lasts; then the
	// roots have theirs, whatever the pool holds. When
	// Barren root seeds in a row have found nothing new, the next turn is
	// a cut or spent mark's, with a turn's children more; each such turn
	// that finds nothing doubles the roots' next, until the roots run
	// since the map last grew are half the marks' children. A turn is Energy
	// children, or twice the cost of the mark's discovery when that is
	// more: the timelines run since the coverage map grew before it. A
	// discovery that took 1,000 timelines to come by may have a next step
	// as rare beneath it, and its children get 2,000 timelines to find it
	// before the roots, barren for as long, are tried again. 0 splits a
	// fixed count: every mark gets its Energy, no more and no less.
	Barren int
	// CoverageOnly names assertions, by message, that the exploration
	// does not follow: a Sometimes kept to show that a test reaches
	// something, not as a step toward a bug. Their progress makes no
	// mark, so no children are spent on it; the assertion table counts
	// them as ever, and their gaps are gaps.
	CoverageOnly []string
	// FaultMarks makes the beginning of a fault the simulator injects a
	// branch point: a pause, reboot, partition, clog, disk stall,
	// throttle or full episode, or a failed sync. A fault's extent (how
	// long it lasts, which process or hosts it strikes) is drawn as it
	// begins, so a mark made by an assertion after it keeps that extent
	// in its children's prefix. With FaultMarks, progress made after a
	// fault began (a Sometimes first true, a watermark) is a discovery at
	// the beginning of the last fault begun before it too, new the first
	// time that progress follows a fault of that kind; its children draw
	// the fault afresh, and all that follows. The last fault begun may be
	// a bystander under a busy mix; the mark's report line names it.
	// Faults drawn per operation (a refused connect, a lost datagram) and
	// those the test injects itself are no marks: a Sometimes after the
	// test's own injection is.
	FaultMarks bool
}

// Defaults returns a Config that works for a first try: a budget of 4,096
// timelines, marks split 8 at a time up to 256 children a turn (more for a
// mark that was rare to find), recipes up to 32
// branch points deep, and a mark cut after 64 barren children in a row. A
// gate of 1 in 20 stays shut for 64 children 4 times in 100, and for the
// 256 of a mark's first turn and revivals 2 times in a million.
func Defaults() Config {
	return Config{Timelines: 4096, Branches: 8, Energy: 256, MaxDepth: 32, Barren: 64}
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
	if c.Barren != 0 && (c.Barren < c.Branches || c.Barren > c.Energy) || c.Barren < 0 {
		errs = append(errs, fmt.Errorf("explore: Barren is %d; give 0 to split a fixed count, or between Branches (%d) and Energy (%d) children (Defaults has %d)", c.Barren, c.Branches, c.Energy, Defaults().Barren))
	}
	for _, m := range c.CoverageOnly {
		if m == "" {
			errs = append(errs, errors.New("explore: CoverageOnly names an empty message; name each assertion by the message it was given"))
			break
		}
	}
	return errors.Join(errs...)
}
