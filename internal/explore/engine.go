package explore

import (
	"fmt"
	"iter"
	"slices"

	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/internal/rng"
)

// A Discovery is one new thing a timeline reached (a Sometimes first true,
// a watermark beaten, a new SometimesEach bucket), named by its signal,
// and the draw count of the run when it was reached: the branch point.
type Discovery struct {
	Sig uint64
	At  uint64
	// What names the discovery for the report (the assertion and its
	// progress); the engine only hands it on, in MarkReport.Follows.
	What fmt.Stringer
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
	GrewAt     int    // the timeline (1-based) that last grew the coverage map
	QuietRoots int    // root seeds run after it, which found nothing new either
	Replayed   uint64 // draws spent re-running prefixes
	Drawn      uint64 // draws in all
	Failed     bool
	Failure    explore.Recipe // the failing timeline's recipe, when Failed
	Exhausted  bool           // the budget ran out
	FoundAfter int            // timelines run when the failure was found
	// FailedFrom is the mark (1-based) the failing timeline is a child
	// of, or 0 when it is a root seed: then no branch led to the failure.
	FailedFrom int
	// EnergyLeft is the children the marks could still have had when the
	// exploration ended: their own energy and the pool's.
	EnergyLeft int
	Cuts       int // times a barren mark was cut
	Revived    int // times a cut mark drew on the pool again
	// PerMark is each mark's account, in the order the marks were found.
	PerMark []MarkReport
}

// MarkReport is what one mark got and gave.
type MarkReport struct {
	Sig       uint64         // the discovery's signal
	Parent    explore.Recipe // the timeline that made the discovery
	From      int            // the mark (1-based) Parent is a child of; 0 for a root seed
	At        uint64         // the branch point: the draw of the discovery
	Depth     int            // branch points of its children's recipes
	Timelines int            // children run
	Found     int            // discoveries its children added to the map
	Cuts      int            // times it was cut as barren
	Left      int            // energy it had left at the end
	// Follows is what its parent discovered at the branch point, new to
	// the coverage map: Sig's discovery first, then any others made at
	// the same draw, which the mark stands for too.
	Follows []fmt.Stringer
}

// mark is a discovery that the exploration branches from.
type mark struct {
	parent explore.Recipe
	at     uint64
	energy int // children left to give
	next   int // the index of its next child
	idle   int // children in a row that grew the coverage map not at all
	rep    int // its report's index in Report.PerMark
	// revived is how many times it came back from the cut marks.
	revived int
	// worth is the children it gets in a turn: its Energy, or with
	// adaptive splitting twice its cost when that is more (see turn).
	worth int
}

// turn is the children a mark gets in a turn, with adaptive splitting: its
// Energy, or twice what its discovery cost when that is more, the cost
// being the timelines run since the coverage map grew before. A step
// beneath the mark as rare as the mark itself then turns up within its
// first turn 86 times in 100 (1-e^-2), before the roots, which found
// nothing for as long, are tried again. Splitting a fixed count gives
// every mark its Energy.
func turn(cfg explore.Config, cost int) int {
	if cfg.Barren == 0 {
		return cfg.Energy
	}
	return max(cfg.Energy, min(2*cost, cfg.Timelines))
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
//
// Splitting is adaptive when cfg.Barren is set: a batch that grew the
// coverage map earns its mark a batch more; a mark whose last Barren
// children grew nothing is cut, its energy left going to a pool; when no
// mark is left to branch, the cut marks draw on the pool, Barren children
// at a time (the least revived first, deepest among those), before a new
// root seed runs. A mark's turn is its Energy, or twice the cost of its
// discovery when that is more (see turn); once the marks have run the
// largest turn of theirs since the last root seed, the pool waits, and
// the roots have their turn: Barren roots that find nothing, after which
// the cut mark revived least often has a turn again. Each marks' turn
// that finds nothing doubles the roots' next, until the roots run since
// the map grew are half the marks' children (see rootsTurnOver).
func RunBatches(cfg explore.Config, roots iter.Seq[uint64], batch func([]explore.Recipe) []Outcome) Report {
	var rep Report
	cover := make(map[uint64]struct{})
	var stack, cut []*mark
	pool := 0
	idleRoots := 0 // roots in a row that grew the coverage map not at all
	// The marks' turn since the last root seed: the children they ran,
	// and the turn they have, the largest worth of a mark that branched
	// in it. Past it the pool waits for the roots' turn, which is theirs
	// between the marks' turns: a pool of many marks' energy would
	// otherwise keep every root seed from running until it ran dry.
	turnSpent, turnWorth := 0, 0
	// barrenTurns counts the roots' turns that ended, for a marks' turn,
	// since the coverage map last grew: each doubles the roots' next
	// turn (see rootsTurnOver).
	barrenTurns := 0
	// try takes one timeline's outcome into the exploration; it reports
	// how many discoveries the timeline added to the coverage map, and
	// whether the exploration goes on.
	try := func(r explore.Recipe, o Outcome, from int) (int, bool) {
		rep.Timelines++
		rep.MaxDepth = max(rep.MaxDepth, r.Depth())
		rep.Drawn += o.Draws
		if d := r.Depth(); d > 0 {
			rep.Replayed += min(r.Branches[d-1].At, o.Draws)
		}
		grew := 0
		cost := rep.Timelines - rep.GrewAt // timelines since the map grew before
		var made []int                     // the marks this timeline made
		for _, d := range o.Discoveries {
			if _, ok := cover[d.Sig]; ok {
				continue
			}
			cover[d.Sig] = struct{}{}
			grew++
			rep.GrewAt, rep.QuietRoots = rep.Timelines, 0
			barrenTurns = 0
			// Discoveries at the same draw are one branch point: their
			// children would be the same timelines. They come in the
			// order of their draws, but for one that names an earlier
			// draw as its branch point (a fault's beginning).
			if i := slices.IndexFunc(made, func(i int) bool { return rep.PerMark[i].At == d.At }); i >= 0 {
				if d.What != nil {
					rep.PerMark[made[i]].Follows = append(rep.PerMark[made[i]].Follows, d.What)
				}
				continue
			}
			// A discovery at the run's last draw leaves its children
			// nothing to draw afresh: they would all be the parent again.
			if r.Depth() < cfg.MaxDepth && d.At < o.Draws && (r.Depth() == 0 || d.At > r.Branches[r.Depth()-1].At) {
				made = append(made, len(rep.PerMark))
				rep.PerMark = append(rep.PerMark, MarkReport{Sig: d.Sig, Parent: r, From: from, At: d.At, Depth: r.Depth() + 1})
				if d.What != nil {
					rep.PerMark[len(rep.PerMark)-1].Follows = []fmt.Stringer{d.What}
				}
				w := turn(cfg, cost)
				stack = append(stack, &mark{parent: r, at: d.At, energy: w, worth: w, rep: len(rep.PerMark) - 1})
				rep.Marks++
				turnWorth = max(turnWorth, w)
			}
		}
		if o.Failed {
			rep.Failed, rep.Failure, rep.FoundAfter, rep.FailedFrom = true, r, rep.Timelines, from
			return grew, false
		}
		return grew, !o.Stop
	}
	// revive moves cut mark i back onto the stack with energy children.
	revive := func(i, energy int) {
		m := cut[i]
		cut = slices.Delete(cut, i, i+1)
		m.energy, m.idle = energy, 0
		rep.Revived++
		m.revived++
		stack = append(stack, m)
		turnWorth = max(turnWorth, m.worth)
	}
	next, stop := iter.Pull(roots)
	defer stop()
	for rep.Timelines < cfg.Timelines {
		if i := leastRevived(cut, rep.PerMark); pool > 0 && i >= 0 && turnSpent < turnWorth &&
			(len(stack) == 0 || rep.PerMark[cut[i].rep].Depth > rep.PerMark[stack[len(stack)-1].rep].Depth) {
			give := min(pool, cfg.Barren)
			pool -= give
			revive(i, give)
		}
		// Roots that keep adding nothing are a barren mark too: their
		// turn goes to the marks, Barren children of the budget at a time.
		if i := leastRevived(cut, rep.PerMark); len(stack) == 0 && i >= 0 && cfg.Barren > 0 && rootsTurnOver(cfg, &rep, idleRoots, barrenTurns) {
			idleRoots = 0
			barrenTurns++
			revive(i, cut[i].worth)
		}
		if len(stack) == 0 {
			seed, ok := next()
			if !ok {
				break
			}
			rep.Roots++
			rep.QuietRoots++
			turnSpent, turnWorth = 0, 0
			root := explore.Recipe{Seed: seed}
			out := batch([]explore.Recipe{root})
			if len(out) == 0 {
				break
			}
			g, ok := try(root, out[0], 0)
			if !ok {
				break
			}
			if g > 0 {
				idleRoots = 0
			} else {
				idleRoots++
			}
			continue
		}
		m := stack[len(stack)-1]
		n := min(cfg.Branches, m.energy, cfg.Timelines-rep.Timelines)
		m.energy -= n
		turnSpent += n
		children := make([]explore.Recipe, n)
		for i := range children {
			children[i] = m.parent.Child(m.at, childSeed(m.parent, m.at, m.next))
			m.next++
		}
		out := batch(children)
		ok := len(out) == n
		grew := 0
		for i, o := range out {
			g, goOn := try(children[i], o, m.rep+1)
			mr := &rep.PerMark[m.rep] // taken after try, which may grow PerMark
			mr.Timelines++
			mr.Found += g
			grew += g
			if !goOn {
				ok = false
				break
			}
		}
		if !ok {
			break
		}
		// The batch's children pushed their own marks above m: m leaves
		// the stack where it is.
		switch {
		case grew > 0:
			m.idle = 0
			if cfg.Barren > 0 {
				m.energy += n // a batch that grew the map earns another
			}
		default:
			m.idle += n
		}
		switch {
		case cfg.Barren > 0 && m.idle >= cfg.Barren:
			pool += m.energy
			m.energy = 0
			rep.PerMark[m.rep].Cuts++
			rep.Cuts++
			stack = slices.DeleteFunc(stack, func(x *mark) bool { return x == m })
			cut = append(cut, m)
		case m.energy == 0:
			stack = slices.DeleteFunc(stack, func(x *mark) bool { return x == m })
			if cfg.Barren > 0 {
				cut = append(cut, m)
			}
		}
	}
	rep.EnergyLeft = pool
	for _, m := range stack {
		rep.EnergyLeft += m.energy
		rep.PerMark[m.rep].Left = m.energy
	}
	rep.Covered = len(cover)
	rep.Exhausted = !rep.Failed && rep.Timelines >= cfg.Timelines
	return rep
}

// rootsTurnOver reports whether the roots' turn is over, after idle root
// seeds in a row that found nothing, and barren of the marks' turns since
// the coverage map last grew. The first turn is Barren roots, and each
// marks' turn that found nothing doubles the next: children of marks that
// have found nothing for so long are no likelier to than fresh roots, and
// a bug that only a root seed meets would otherwise cost five times the
// timelines it costs plain seeds. The doubling stops once the roots run
// since the map grew are half the marks' children: past that the roots
// would starve a mark with a rare step beneath it, which its cost did not
// foretell. At that share such a bug costs about three times the
// timelines it costs plain seeds.
func rootsTurnOver(cfg explore.Config, rep *Report, idle, barren int) bool {
	if idle < cfg.Barren {
		return false
	}
	children := rep.Timelines - rep.GrewAt - rep.QuietRoots
	return idle>>min(barren, 62) >= cfg.Barren || 2*rep.QuietRoots >= children
}

// leastRevived picks the cut mark to revive, or -1 when none is cut: the
// one revived the fewest times, so that every cut mark has its turn; the
// deepest among those, the latest found among those.
func leastRevived(cut []*mark, reps []MarkReport) int {
	best := -1
	for i, m := range cut {
		if best < 0 {
			best = i
			continue
		}
		b := cut[best]
		d, bd := reps[m.rep].Depth, reps[b.rep].Depth
		if m.revived < b.revived || m.revived == b.revived && (d > bd || d == bd && m.rep > b.rep) {
			best = i
		}
	}
	return best
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
