package explore

import (
	"iter"

	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/internal/rng"
)

// A Discovery is one new thing a timeline reached (a Sometimes first true,
// a watermark beaten, a new SometimesEach bucket), named by its signal,
// and the draw count of the run when it was reached: the branch point.
type Discovery struct {
	Sig uint64
	At  uint64
}

// Outcome is what one timeline did.
type Outcome struct {
	Failed      bool
	Discoveries []Discovery
	Draws       uint64 // the run's draws in all
	// Stop ends the exploration after this timeline though it passed: the
	// run met something every timeline would (a configuration error).
	Stop bool
}

// Report is what an exploration did.
type Report struct {
	Timelines  int    // timelines run, roots and branches
	Roots      int    // root seeds run
	Marks      int    // discoveries branched from
	Covered    int    // distinct discoveries, the coverage map's size
	MaxDepth   int    // the deepest recipe run
	Saturated  int    // the timeline (1-based) that last grew the coverage map
	Replayed   uint64 // draws spent re-running prefixes
	Drawn      uint64 // draws in all
	Failed     bool
	Failure    explore.Recipe // the failing timeline's recipe, when Failed
	Exhausted  bool           // the budget ran out
	FoundAfter int            // timelines run when the failure was found
}

// mark is a discovery that the exploration branches from.
type mark struct {
	parent explore.Recipe
	at     uint64
	energy int // children left to give
	next   int // the index of its next child
}

// Run explores: root seeds in order, each followed by the branches of what
// it discovered, deepest mark first, until a timeline fails, the budget is
// spent, or the roots run out. run runs one timeline; it is called in a
// fixed order, so the exploration is the same every time.
func Run(cfg explore.Config, roots iter.Seq[uint64], run func(explore.Recipe) Outcome) Report {
	return RunBatches(cfg, roots, func(batch []explore.Recipe) []Outcome {
		out := make([]Outcome, 0, len(batch))
		for _, r := range batch {
			o := run(r)
			out = append(out, o)
			if o.Failed || o.Stop {
				break
			}
		}
		return out
	})
}

// RunBatches is Run with the timelines handed over a batch at a time: a
// root seed alone, or a mark's children. The children of a batch are
// independent worlds, so batch may run them at once, on every core; it
// returns their outcomes in the batch's order, and may leave off those
// after a failing (or stopping) one. The engine reads the outcomes in
// order, so the exploration is the same however batch runs them.
func RunBatches(cfg explore.Config, roots iter.Seq[uint64], batch func([]explore.Recipe) []Outcome) Report {
	var rep Report
	cover := make(map[uint64]struct{})
	var stack []*mark
	try := func(r explore.Recipe, o Outcome) bool {
		rep.Timelines++
		rep.MaxDepth = max(rep.MaxDepth, r.Depth())
		rep.Drawn += o.Draws
		if d := r.Depth(); d > 0 {
			rep.Replayed += min(r.Branches[d-1].At, o.Draws)
		}
		for _, d := range o.Discoveries {
			if _, ok := cover[d.Sig]; ok {
				continue
			}
			cover[d.Sig] = struct{}{}
			rep.Saturated = rep.Timelines
			if r.Depth() < cfg.MaxDepth && (r.Depth() == 0 || d.At > r.Branches[r.Depth()-1].At) {
				stack = append(stack, &mark{parent: r, at: d.At, energy: cfg.Energy})
				rep.Marks++
			}
		}
		if o.Failed {
			rep.Failed, rep.Failure, rep.FoundAfter = true, r, rep.Timelines
			return false
		}
		return !o.Stop
	}
	next, stop := iter.Pull(roots)
	defer stop()
	for rep.Timelines < cfg.Timelines {
		if len(stack) == 0 {
			seed, ok := next()
			if !ok {
				break
			}
			rep.Roots++
			root := explore.Recipe{Seed: seed}
			out := batch([]explore.Recipe{root})
			if len(out) == 0 || !try(root, out[0]) {
				break
			}
			continue
		}
		m := stack[len(stack)-1]
		n := min(cfg.Branches, m.energy, cfg.Timelines-rep.Timelines)
		m.energy -= n
		if m.energy == 0 {
			stack = stack[:len(stack)-1]
		}
		children := make([]explore.Recipe, n)
		for i := range children {
			children[i] = m.parent.Child(m.at, childSeed(m.parent, m.at, m.next))
			m.next++
		}
		out := batch(children)
		ok := len(out) == n
		for i, o := range out {
			if !try(children[i], o) {
				ok = false
				break
			}
		}
		if !ok {
			break
		}
	}
	rep.Covered = len(cover)
	rep.Exhausted = !rep.Failed && rep.Timelines >= cfg.Timelines
	return rep
}

// childSeed derives the seed of child i of the mark at draw at of parent,
// from those alone, so that a child's recipe is the same whichever order
// the exploration runs in.
func childSeed(parent explore.Recipe, at uint64, i int) uint64 {
	h := mix(0x6578706c6f7265, parent.Seed)
	for _, b := range parent.Branches {
		h = mix(mix(h, b.At), b.Seed)
	}
	return mix(mix(h, at), uint64(i))
}

func mix(h, x uint64) uint64 {
	h ^= x
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 31
	h *= 0x94d049bb133111eb
	h ^= h >> 29
	return h
}

// Branches converts a recipe's branch points for rng.Branched.
func Branches(r explore.Recipe) []rng.Branch {
	if len(r.Branches) == 0 {
		return nil
	}
	b := make([]rng.Branch, len(r.Branches))
	for i, x := range r.Branches {
		b[i] = rng.Branch{At: x.At, Seed: x.Seed}
	}
	return b
}
