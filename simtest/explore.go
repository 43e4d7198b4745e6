package simtest

import (
	"fmt"
	"iter"
	"strconv"
	"strings"
	"testing"

	"github.com/moonpool-go/moonpool/explore"
	iexplore "github.com/moonpool-go/moonpool/internal/explore"
	"github.com/moonpool-go/moonpool/internal/rng"
	"github.com/moonpool-go/moonpool/internal/sim"
)

// Explore makes the Run explore from its seeds instead of running plain
// seeds (package explore): a seed that discovers something new to the
// whole exploration (a Sometimes first true, a watermark beaten, a new
// SometimesEach bucket) is branched at that moment into children that keep
// its prefix and draw afresh from there, and so on, until a timeline
// fails or cfg's budget of timelines is spent. Root seeds are drawn as
// plain seeds are, as many as the budget needs; [Seeds] and -simseeds do not
// bound them. A failing timeline's replay line carries its recipe
// (-simrecipe), which runs exactly that timeline again, and it is kept
// under testdata/simtest (a file named recipe-...) to run first, with the
// kept seeds, on every exploring run of the test. The report says what the
// exploration did.
func Explore(cfg explore.Config) Option {
	return optionFunc(func(c *config) error {
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("simtest: Explore: %w", err)
		}
		c.explore = &cfg
		return nil
	})
}

// replayRecipe applies -simrecipe: one timeline replayed, as -simseed
// replays one seed.
func (c *config) replayRecipe(fl flags) error {
	if fl.recipe == "" {
		return nil
	}
	if len(fl.replays) > 0 || fl.seeds > 0 || fl.fresh {
		return fmt.Errorf("simtest: -simrecipe replays one timeline; drop -simseed, -simseeds and -simfresh")
	}
	rec, err := explore.ParseRecipe(fl.recipe)
	if err != nil {
		return fmt.Errorf("simtest: -simrecipe: %w", err)
	}
	c.recipe = &rec
	c.replays, c.replaySet = []uint64{rec.Seed}, true
	return nil
}

// exploration is a Run's state when it explores or replays a timeline.
type exploration struct {
	cfg     explore.Config
	current explore.Recipe       // the timeline being run
	found   []iexplore.Discovery // what it discovered so far
	draws   uint64               // its draws, once it has ended
	w       *sim.World
	rep     iexplore.Report
	signals bool // a timeline has discovered something
	// keptFailed is set when a kept timeline failed, before exploring.
	keptFailed bool
}

// startExploring sets up r.exp from the configuration.
func (r *runner) startExploring() {
	switch {
	case r.cfg.recipe != nil:
		r.exp = &exploration{current: *r.cfg.recipe}
	case r.cfg.explore != nil && !r.cfg.replaySet && r.fuzz == nil:
		r.exp = &exploration{cfg: *r.cfg.explore}
	}
}

// exploring reports a Run that explores (not one that replays a recipe).
func (e *exploration) exploring() bool { return e != nil && e.cfg.Timelines > 0 }

// timelines is the exploration as a sequence of seeds for the Run's loop:
// before each seed it sets the branch points of the timeline to run, and
// once the loop has run it, it hands the engine what the timeline found.
// The loop stopping (a failure) stops the exploration.
//
// The engine runs as a coroutine (iter.Pull) that hands over one recipe
// at a time, so that the timelines themselves run on the Run's own stack
// and their log lines name the test's line, not the engine's.
func (e *exploration) timelines(t testing.TB, kept []explore.Recipe, roots iter.Seq[uint64]) iter.Seq[uint64] {
	engine := func(next func(explore.Recipe) bool) {
		e.rep = iexplore.Run(e.cfg, roots, func(rec explore.Recipe) iexplore.Outcome {
			if !next(rec) {
				return iexplore.Outcome{Failed: true, Stop: true, Draws: e.draws}
			}
			return iexplore.Outcome{Discoveries: e.found, Draws: e.draws}
		})
	}
	return func(yield func(uint64) bool) {
		t.Helper()
		for _, rec := range kept {
			if e.current = rec; !yield(rec.Seed) {
				e.keptFailed = true
				return
			}
		}
		next, stop := iter.Pull(engine)
		defer stop() // the engine hears the last timeline stopped the Run
		for {
			rec, ok := next()
			if !ok {
				return
			}
			if e.current = rec; !yield(rec.Seed) {
				return
			}
		}
	}
}

// roots is the exploration's supply of root seeds: the Run's own seeds,
// as many as the budget could use.
func (r *runner) roots() iter.Seq[uint64] {
	c := r.cfg
	c.seeds = r.exp.cfg.Timelines
	if c.sharded() {
		// Each shard may use its whole budget on roots of its own.
		c.seeds *= c.shards
	}
	saved := r.cfg
	r.cfg = c
	seeds := r.seeds()
	r.cfg = saved
	return seeds
}

// branches is what a world of the Run is built with: the current
// timeline's branch points.
func (e *exploration) branches() []rng.Branch {
	if e == nil {
		return nil
	}
	return iexplore.Branches(e.current)
}

// begin starts the record of a timeline run in w.
func (e *exploration) begin(w *sim.World) {
	if e != nil {
		e.w, e.found, e.draws = w, nil, 0
	}
}

// ended records the draws of the timeline run in w.
func (e *exploration) ended(w *sim.World) {
	if e != nil {
		e.draws = w.Rand().Draws()
	}
}

// hook is S.progress for an exploring Run: each discovery, with the draw
// count at which it happened, its branch point.
func (e *exploration) hook() func(uint64) {
	if !e.exploring() {
		return nil
	}
	return func(sig uint64) {
		e.signals = true
		e.found = append(e.found, iexplore.Discovery{Sig: sig, At: e.w.Rand().Draws()})
	}
}

// fits reports a replayed recipe whose branch points lie beyond the
// run's end: it cannot be the timeline it names.
func (e *exploration) fits() error {
	if e == nil || e.exploring() || len(e.current.Branches) == 0 {
		return nil
	}
	last := e.current.Branches[len(e.current.Branches)-1].At
	if last > e.draws {
		return fmt.Errorf("simtest: -simrecipe=%s branches at draw %d, but the run made only %d draws; the recipe is not of this test (or the test changed since it was printed)", e.current, last, e.draws)
	}
	return nil
}

// replayTimeline is the replay line of the current timeline, or "" when
// it is a plain seed, which -simseed replays.
func (r *runner) replayTimeline() string {
	e := r.exp
	if e == nil || len(e.current.Branches) == 0 {
		return ""
	}
	if r.outside {
		return fmt.Sprintf("simtest.ReplayRecipe(%q)", e.current)
	}
	return newReplayer().line(r.t.Name(), "-simrecipe="+e.current.String())
}

// ReplayRecipe runs only the exploration timeline recipe (written as
// explore.Recipe.String writes it), as the -simrecipe flag does.
func ReplayRecipe(recipe string) Option {
	return optionFunc(func(c *config) error {
		rec, err := explore.ParseRecipe(recipe)
		if err != nil {
			return fmt.Errorf("simtest: ReplayRecipe: %w", err)
		}
		c.recipe = &rec
		c.replays, c.replaySet = []uint64{rec.Seed}, true
		return nil
	})
}

// summary is the exploration's part of the report.
func (e *exploration) summary() string {
	if !e.exploring() {
		return ""
	}
	if e.keptFailed {
		return "simtest: a kept timeline failed, so the exploration did not start"
	}
	rp := e.rep
	var b strings.Builder
	fmt.Fprintf(&b, "simtest: explored %s (%s, %d branched at %s), %s covered, depth %d",
		plural(rp.Timelines, "timeline"), plural(rp.Roots, "root seed"), rp.Timelines-rp.Roots,
		plural(rp.Marks, "mark"), pluralWord(rp.Covered, "1 discovery", fmt.Sprintf("%d discoveries", rp.Covered)), rp.MaxDepth)
	if rp.Saturated > 0 {
		fmt.Fprintf(&b, "; coverage last grew at timeline %d", rp.Saturated)
	}
	switch {
	case rp.Failed:
		fmt.Fprintf(&b, "; timeline %d failed: recipe %s", rp.FoundAfter, rp.Failure)
	case rp.Exhausted:
		fmt.Fprintf(&b, "; the budget of %d timelines is spent", e.cfg.Timelines)
	default:
		fmt.Fprintf(&b, "; %d of the budget of %d timelines left", e.cfg.Timelines-rp.Timelines, e.cfg.Timelines)
	}
	if rp.Drawn > 0 {
		fmt.Fprintf(&b, "; %.0f%% of draws re-ran prefixes", 100*float64(rp.Replayed)/float64(rp.Drawn))
	}
	if !e.signals {
		b.WriteString("\nsimtest: nothing to follow: no assertion of the body reported progress (a Sometimes true, a watermark, a SometimesEach bucket), so the exploration ran plain seeds; place Sometimes assertions on the rare steps toward the bug")
	}
	return b.String()
}

// timelineSeeds is the Run's sequence of seeds: its plain seeds, or its
// exploration's timelines.
func (r *runner) timelineSeeds() iter.Seq[uint64] {
	if r.exp.exploring() {
		return r.exp.timelines(r.t, r.keptTimelines(), r.roots())
	}
	return r.seeds()
}

// progressHook is S.progress for the Run: a fuzz input's feedback, or an
// exploration's discoveries.
func (r *runner) progressHook() func(uint64) {
	if r.fuzz != nil {
		return r.fuzz.hook()
	}
	return r.exp.hook()
}

// failedName names a failed run in its report: its seed, or the recipe
// of a branched timeline.
func (r *runner) failedName(seed uint64) string {
	if r.exp != nil && len(r.exp.current.Branches) > 0 {
		return "timeline " + r.exp.current.String()
	}
	return fmt.Sprintf("seed %d", seed)
}

// jsonExploration is the exploration's part of the JSON report.
type jsonExploration struct {
	Timelines int    `json:"timelines"`
	Roots     int    `json:"root_seeds"`
	Marks     int    `json:"marks"`
	Covered   int    `json:"discoveries"`
	MaxDepth  int    `json:"max_depth"`
	Budget    int    `json:"budget"`
	Left      int    `json:"budget_left"`
	Saturated int    `json:"coverage_last_grew_at"`
	Failed    string `json:"failing_recipe,omitempty"`
	FoundAt   int    `json:"failing_timeline,omitempty"`
	Replayed  uint64 `json:"draws_replayed"`
	Drawn     uint64 `json:"draws"`
	Followed  bool   `json:"had_progress_to_follow"`
}

func (e *exploration) json() *jsonExploration {
	if !e.exploring() {
		return nil
	}
	rp := e.rep
	j := &jsonExploration{
		Timelines: rp.Timelines, Roots: rp.Roots, Marks: rp.Marks, Covered: rp.Covered,
		MaxDepth: rp.MaxDepth, Budget: e.cfg.Timelines, Left: e.cfg.Timelines - rp.Timelines,
		Saturated: rp.Saturated, Replayed: rp.Replayed, Drawn: rp.Drawn, Followed: e.signals,
	}
	if rp.Failed {
		j.Failed, j.FoundAt = rp.Failure.String(), rp.FoundAfter
	}
	return j
}

// timelinesFlag is -simtimelines: a positive budget of timelines.
type timelinesFlag struct{ v int }

func (f *timelinesFlag) String() string {
	if f == nil || f.v == 0 {
		return ""
	}
	return strconv.Itoa(f.v)
}

func (f *timelinesFlag) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 || v > explore.MaxTimelines {
		return fmt.Errorf("-simtimelines wants a budget of timelines between 1 and %d, such as 10000; %q is not one", explore.MaxTimelines, s)
	}
	f.v = v
	return nil
}

// exploreFlags applies -simexplore and -simtimelines: exploration with
// the Run's own Config (or Defaults), and its budget.
func (c *config) exploreFlags(fl flags) error {
	if fl.explore && c.explore == nil {
		cfg := explore.Defaults()
		c.explore = &cfg
	}
	if fl.budget > 0 {
		if c.explore == nil {
			return fmt.Errorf("simtest: -simtimelines sets an exploration's budget, and this Run does not explore; add -simexplore")
		}
		cfg := *c.explore
		cfg.Timelines = fl.budget
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("simtest: -simtimelines: %w", err)
		}
		c.explore = &cfg
	}
	return nil
}
