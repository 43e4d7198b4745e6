package simtest

import (
	"fmt"
	"iter"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moonpool-go/moonpool/explore"
	iexplore "github.com/moonpool-go/moonpool/internal/explore"
	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/rng"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/internal/tally"
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
// kept seeds, on every exploring run of the test. On several workers
// ([Workers], -simworkers) the children of a mark run at once, and the
// exploration is the same as on one: the same timelines, failure and
// report, but for what only several workers show, as for a Run's seeds
// ([Workers]): a failing timeline that ran beside others runs again alone
// after, and the report says when that run passed or took another path,
// and a failure of the test's own testing.T is charged to the first
// timeline in the batch's order that was running then, a guess that the
// report names as one. The report says what the exploration did; under -v it gives
// every mark's account. It is an option of Run and Simulate: a [Fuzz]
// input is one seed's run, and Fuzz rejects it.
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
	current explore.Recipe // the timeline committed last, or the one replayed
	replay  *timelineRun   // the replayed timeline's run, when replaying
	rep     iexplore.Report
	signals bool // a timeline has discovered something
	// kept is how many kept timelines ran before the exploration
	// (keptTimelines); they count among the timelines run, and spend
	// none of the budget.
	kept int
	// keptStopped says what a kept timeline did that stopped the Run
	// before it explored ("failed", "skipped the test"), if one did: the
	// last of the kept that ran.
	keptStopped string
	// inKept is set while the kept timelines run, for commit to compare
	// each kept recipe's run with its file (keptRecipeRan).
	inKept bool
}

// timelineRun is one run of one timeline: a world of its own, so that
// timelines of a batch may run at once.
type timelineRun struct {
	rec    explore.Recipe
	follow bool // record discoveries: the Run explores
	// coverageOnly is the messages of the assertions whose progress it
	// does not record (explore.Config.CoverageOnly).
	coverageOnly []string
	// faultMarks makes progress after a fault began a discovery at its
	// beginning too (explore.Config.FaultMarks).
	faultMarks bool
	w          *sim.World
	found      []iexplore.Discovery // what it discovered so far
	draws      uint64               // its draws, once it has ended
	// lastFault is the fault begun last in the run, if any: progress made
	// after it marks its beginning too (faultBegun).
	lastFault *faultFound
}

// startExploring sets up r.exp from the configuration.
func (r *runner) startExploring() {
	switch {
	case r.cfg.recipe != nil:
		r.exp = &exploration{current: *r.cfg.recipe, replay: &timelineRun{rec: *r.cfg.recipe}}
	case r.cfg.explore != nil && !r.cfg.replaySet && r.fuzz == nil:
		r.exp = &exploration{cfg: *r.cfg.explore}
	}
}

// runningKept reports an exploring Run running its kept timelines.
func (e *exploration) runningKept() bool { return e != nil && e.inKept }

// exploring reports a Run that explores (not one that replays a recipe).
func (e *exploration) exploring() bool { return e != nil && e.cfg.Timelines > 0 }

// explore runs the exploration, committing each timeline's outcome in
// the engine's order: the kept timelines first, then the engine's
// batches (a root seed alone, or a mark's children), each batch on the
// Run's workers at once. The engine reads the outcomes in order and
// commit stops at the first failure in order, so the exploration, its
// report and the assertion table do not change with the worker count.
//
// The engine runs as a coroutine (iter.Pull) that hands over one batch
// at a time, so that the timelines are committed on the Run's own stack
// and their log lines name the test's line, not the engine's.
func (r *runner) explore(commit func(*seedOutcome) bool) {
	r.t.Helper()
	e := r.exp
	pools := make([]*sim.Workers, max(1, r.cfg.workers))
	pools[0] = r.workers
	for i := 1; i < len(pools); i++ {
		pools[i] = r.newWorkers()
		defer pools[i].Close()
	}
	// run runs batch and commits its outcomes in order; it returns what
	// the engine hears of them, up to the one that stopped the Run.
	run := func(batch []explore.Recipe) (out []iexplore.Outcome, stopped bool) {
		r.t.Helper()
		for i, o := range r.runTimelines(batch, pools) {
			r.t.Helper() // the loop's body is a function of its own
			e.current = batch[i]
			tl := o.tl
			e.signals = e.signals || len(tl.found) > 0
			out = append(out, iexplore.Outcome{Discoveries: tl.found, Draws: tl.draws})
			if commit(o) {
				// The Run stops here: on a failure, or on a skip, which is
				// none.
				out[i].Failed, out[i].Stop = o.failed(), true
				return out, true
			}
		}
		return out, false
	}
	if kept := r.keptTimelines(); len(kept) > 0 {
		e.inKept = true
		out, stopped := run(kept)
		e.inKept = false
		e.kept = len(out)
		r.staleKept(kept, out)
		if stopped {
			e.keptStopped = "failed"
			if !out[len(out)-1].Failed {
				e.keptStopped = "skipped the test"
			}
			return
		}
	}
	var outs []iexplore.Outcome
	engine := func(yield func([]explore.Recipe) bool) {
		e.rep = iexplore.RunBatches(e.cfg, r.roots(), func(batch []explore.Recipe) []iexplore.Outcome {
			if !yield(batch) {
				return nil
			}
			return outs
		})
	}
	next, stop := iter.Pull(engine)
	defer stop()
	for {
		batch, ok := next()
		if !ok {
			return
		}
		outs, _ = run(batch)
	}
}

// staleKept reports each kept recipe whose run ended before its last
// branch point, as a replayed recipe that does not fit is reported
// (fits): the test changed since the timeline was kept, its run was the
// root seed's, and the file no longer guards the failure it was kept for.
func (r *runner) staleKept(kept []explore.Recipe, out []iexplore.Outcome) {
	r.t.Helper()
	for i, o := range out {
		rec := kept[i]
		last, past := pastRun(rec, o.Draws)
		if !past {
			continue
		}
		r.t.Errorf("simtest: the kept timeline %s branches at draw %d (counting from 0), but its run made only %s: the test changed since it was kept, and it no longer replays the failure it was kept for; delete %s",
			rec, last, plural.Count(int(o.Draws), "draw"), filepath.Join(keepPath(r.t.Name()), recipeFile(rec)))
	}
}

// pastRun returns the last branch point of rec and reports whether it lies
// at or beyond the end of a run of draws draws: draws count from 0, so a
// run of n has none at n to branch at, and such a recipe cannot be the
// timeline it names.
func pastRun(rec explore.Recipe, draws uint64) (last uint64, past bool) {
	d := rec.Depth()
	if d == 0 {
		return 0, false
	}
	last = rec.Branches[d-1].At
	return last, last >= draws
}

// runTimelines runs batch, one timeline per world, on as many of pools
// at once as the Run has workers, and returns their outcomes in the
// batch's order, each with its assertions counted in a book of its own
// that commit merges. With one worker the timelines run one after the
// other and the batch stops at the first that fails; on several, each
// timeline's outcome says how many ran at once (seedOutcome.workers).
func (r *runner) runTimelines(batch []explore.Recipe, pools []*sim.Workers) iter.Seq2[int, *seedOutcome] {
	return func(yield func(int, *seedOutcome) bool) {
		r.t.Helper()
		r.initAfter()
		ra := r.runAsserts()
		one := func(i int, pool *sim.Workers) *seedOutcome {
			book := tally.New(ra.sites)
			tl := &timelineRun{rec: batch[i], follow: true, coverageOnly: r.exp.cfg.CoverageOnly, faultMarks: r.exp.cfg.FaultMarks}
			o := r.runSeedOn(batch[i].Seed, pool, book, tl)
			o.book = book
			return o
		}
		commit := func(i int, o *seedOutcome) bool {
			r.t.Helper()
			if len(batch[i].Branches) > 0 {
				o.book.InTimeline(batch[i].String())
			}
			ra.book.Merge(o.book)
			o.book = nil
			return yield(i, o)
		}
		n := min(len(pools), len(batch))
		if n <= 1 {
			for i := range batch {
				if !commit(i, one(i, pools[0])) {
					return
				}
			}
			return
		}
		outs := make([]*seedOutcome, len(batch))
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := range n {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(batch) {
						return
					}
					outs[i] = one(i, pools[w])
				}
			})
		}
		wg.Wait()
		// As runParallel does for a Run's seeds: a timeline that failed
		// runs again alone (runsAlone), and a failure of the test's own
		// testing.T is a guess among those running then (viaTGuess).
		during := seedsWhere{is: func(o *seedOutcome) bool { return o.viaT }}
		for i, o := range outs {
			o.workers = n
			during.see(seedDone{i: i, o: o})
		}
		r.viaTSeeds = during.sorted()
		for i, o := range outs {
			if !commit(i, o) {
				return
			}
		}
	}
}

// roots is the exploration's supply of root seeds: the Run's own seeds,
// as many as the budget could use, less the kept seeds, which ran first
// (keptTimelines).
func (r *runner) roots() iter.Seq[uint64] {
	c := r.cfg
	c.seeds = r.exp.cfg.Timelines + len(r.kept)
	if c.sharded() {
		// Each shard may use its whole budget on roots of its own.
		c.seeds *= c.shards
	}
	saved := r.cfg
	r.cfg = c
	seeds := r.seeds()
	r.cfg = saved
	return func(yield func(uint64) bool) {
		for seed := range seeds {
			if !slices.Contains(r.kept, seed) && !yield(seed) {
				return
			}
		}
	}
}

// recipe is the timeline's recipe when it branched from its seed's own
// run, else "".
func (tl *timelineRun) recipe() string {
	if tl == nil || len(tl.rec.Branches) == 0 {
		return ""
	}
	return tl.rec.String()
}

// branches is what a world of the timeline is built with: its branch
// points.
func (tl *timelineRun) branches() []rng.Branch {
	if tl == nil {
		return nil
	}
	return iexplore.Branches(tl.rec)
}

// begin starts the record of the timeline run in w.
func (tl *timelineRun) begin(w *sim.World) {
	if tl != nil {
		tl.w, tl.found, tl.draws = w, nil, 0
		tl.lastFault = nil
		if tl.follow && tl.faultMarks {
			w.OnFault(tl.faultBegun, tl.faultStrikes)
		}
	}
}

// faultBegun notes fault f begun in the timeline, at draw count f.At,
// before the draws of its extent: the progress the run makes after it is
// a discovery there too (sinceFault). What it strikes and when go into
// the mark's line, so that a reader can tell the cause from a bystander.
func (tl *timelineRun) faultBegun(f sim.Fault) {
	tl.lastFault = &faultFound{Fault: f, when: tl.w.Now()}
}

// faultStrikes notes what the fault begun last strikes, drawn after it
// began (a partition's sides).
func (tl *timelineRun) faultStrikes(where string) {
	if tl.lastFault != nil {
		tl.lastFault.strikes = where
	}
}

// sinceFault records progress p, made after the run's last fault began,
// as a discovery at that fault's beginning, new to the coverage map the
// first time p follows a fault of that kind: its children draw the
// fault's extent afresh, where p's own children, branched after the
// fault began, keep the extent it had. A fault begun is no discovery of
// its own: every run has its first pause, and a mark at each would spend
// the budget on faults that led to nothing the test asserts.
func (tl *timelineRun) sinceFault(p tally.Progress) {
	f := tl.lastFault
	if f == nil {
		return
	}
	found := *f
	found.then = p
	tl.found = append(tl.found, iexplore.Discovery{Sig: faultSig(f.Kind, p.Sig), At: f.At, What: &found})
}

// faultSig is the coverage map's key of progress sig made after a fault
// of kind began.
func faultSig(kind string, sig uint64) uint64 {
	return seedAt(baseSeedFor("fault "+kind)^sig, 1) // the name's FNV hash
}

// faultFound is a fault begun, as a mark's report names it: the fault as
// the device told it (its kind, the draw count as it began, what it
// struck), the sides of a partition ("{a} | {b c}", drawn after it
// began), when it began, and the progress made after it that makes it a
// discovery.
type faultFound struct {
	sim.Fault
	strikes string
	when    time.Duration // the simulated time it began
	then    tally.Progress
}

func (f *faultFound) String() string {
	return fmt.Sprintf("an injected %s begun at %v, before %v", f.fault(), f.when.Round(time.Millisecond), f.then)
}

// fault is the kind of fault and what it struck, as in "clog 10.0.0.1 ->
// 10.0.0.3", "partition {10.0.0.1} | {10.0.0.2 10.0.0.3}", "disk stall on
// 10.0.0.2" or "pause of srv-0".
func (f *faultFound) fault() string {
	if w := f.target(); w != "" {
		return f.Kind + " " + w
	}
	return f.Kind
}

// target is what the fault struck, as fault words it, or "".
func (f *faultFound) target() string {
	switch t := f.struck(); {
	case t == "" || f.strikes != "" || f.To != "":
		return t
	case strings.HasPrefix(f.Kind, "disk ") || f.Kind == "sync failure":
		return "on " + t
	default:
		return "of " + t
	}
}

// struck is what the fault struck, bare: "10.0.0.2", "srv-0", "10.0.0.1
// -> 10.0.0.3", a partition's sides; "" when the device did not say.
func (f *faultFound) struck() string {
	switch {
	case f.strikes != "":
		return f.strikes
	case f.To != "":
		return f.On + " -> " + f.To
	}
	return f.On
}

// ended records the draws of the timeline run in w.
func (tl *timelineRun) ended(w *sim.World) {
	if tl != nil {
		tl.draws = w.Rand().Draws()
	}
}

// hook is S.progress for an exploring timeline: each discovery, with the
// draw count at which it happened, its branch point.
func (tl *timelineRun) hook() func(tally.Progress) {
	if tl == nil || !tl.follow {
		return nil
	}
	return func(p tally.Progress) {
		if slices.Contains(tl.coverageOnly, p.Message()) {
			return
		}
		tl.found = append(tl.found, iexplore.Discovery{Sig: p.Sig, At: tl.w.Rand().Draws(), What: p})
		if tl.faultMarks {
			tl.sinceFault(p)
		}
	}
}

// traceID is the trace hash printed for the timeline: the run's own for
// a root seed, and for a branched timeline that hash folded with the
// recipe. The trace hash covers the order of steps and events, not the
// values drawn, so sibling timelines that differ only in what they drew
// (a gate passed or not, a value written) often share one; a replay
// checked by its trace hash would then not tell them apart. Folding the
// recipe in names the timeline, and a plain seed's hash is unchanged.
func (tl *timelineRun) traceID(trace uint64) uint64 {
	if tl == nil || len(tl.rec.Branches) == 0 {
		return trace
	}
	h := trace
	for _, b := range tl.rec.Branches {
		h = seedAt(seedAt(h^b.At, 0)^b.Seed, 0)
	}
	return h
}

// replayRun is the run of the timeline a Run replays, or nil.
func (e *exploration) replayRun() *timelineRun {
	if e == nil {
		return nil
	}
	return e.replay
}

// fits reports a replayed recipe whose branch points lie at or beyond the
// run's end: it cannot be the timeline it names.
func (e *exploration) fits() error {
	if e == nil || e.replay == nil {
		return nil
	}
	if last, past := pastRun(e.current, e.replay.draws); past {
		return fmt.Errorf("simtest: -simrecipe=%s branches at draw %d (counting from 0), but the run made only %s; the recipe is not of this test (or the test changed since it was printed)", e.current, last, plural.Count(int(e.replay.draws), "draw"))
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
	return r.lineOf(newReplayer(), e.current.Seed, e.current.String())
}

// ReplayRecipe runs only the exploration timeline recipe (written as
// explore.Recipe.String writes it), as the -simrecipe flag does.
func ReplayRecipe(recipe string) Option {
	return optionFunc(func(c *config) error {
		rec, err := explore.ParseRecipe(recipe)
		if err != nil {
			return fmt.Errorf("simtest: ReplayRecipe: %w", err)
		}
		if c.replaySet && c.recipe == nil {
			if err := replayConflict(rec, c.replays); err != nil {
				return err
			}
		}
		c.recipe = &rec
		c.replays, c.replaySet = []uint64{rec.Seed}, true
		return nil
	})
}

// replayConflict refuses the options ReplayRecipe(rec) and Replay(seeds)
// together, unless seeds is the recipe's own root seed: with other seeds
// the Run would replay a timeline that no replay line printed.
func replayConflict(rec explore.Recipe, seeds []uint64) error {
	if slices.Equal(seeds, []uint64{rec.Seed}) {
		return nil
	}
	list := strings.ReplaceAll((&seedsFlag{v: seeds}).String(), ",", ", ")
	return fmt.Errorf("simtest: ReplayRecipe(%q) replays a timeline of seed %d, and Replay(%s) names other seeds; keep one of the two options", rec.String(), rec.Seed, list)
}

// summary is the exploration's part of the report; verbose adds a line
// per mark, and everyMark, without it, says how to ask for them.
func (e *exploration) summary(verbose bool, everyMark string) string {
	if !e.exploring() {
		return ""
	}
	rp := e.rep
	var b strings.Builder
	kept := ""
	if e.kept > 0 {
		kept = fmt.Sprintf("%d kept from earlier failures, ", e.kept)
	}
	fmt.Fprintf(&b, "simtest: explored %s (%s%s, %d branched at %s), %s covered, depth %d",
		plural.Count(e.timelines(), "timeline"), kept, plural.Count(rp.Roots, "root seed"), rp.Timelines-rp.Roots,
		plural.Count(rp.Marks, "mark"), pluralWord(rp.Covered, "1 discovery", fmt.Sprintf("%d discoveries", rp.Covered)), rp.MaxDepth)
	if e.keptStopped != "" {
		fmt.Fprintf(&b, "; a kept timeline %s, so the exploration did not start: timeline %d, recipe %s", e.keptStopped, e.kept, e.current)
		return b.String()
	}
	if at := e.grewAt(); at > 0 {
		fmt.Fprintf(&b, "; coverage last grew at timeline %d", at)
		if quiet := e.timelines() - at; quiet > 0 {
			roots := plural.Count(rp.QuietRoots, "root seed")
			switch {
			case e.saturated():
				fmt.Fprintf(&b, " (saturated: nothing new in the %s after, %s among them", plural.Count(quiet, "timeline"), roots)
				// Say what the marks cost: when one of their children
				// failed, it is the last of them, and the count is what
				// the branching cost before it led to the bug, the case
				// where plain seeds may have got there sooner.
				switch children := quiet - rp.QuietRoots; {
				case children <= 0:
				case rp.Failed && rp.FailedFrom > 0:
					fmt.Fprintf(&b, "; the other %d were children of marks, the last of them the one that failed, where plain seeds would have run %s more", children, plural.Count(children, "root seed"))
				default:
					fmt.Fprintf(&b, "; the other %d were children of marks that found nothing, where plain seeds would have run %s more", children, plural.Count(children, "root seed"))
				}
				b.WriteString(")")
			case rp.QuietRoots == 0:
				fmt.Fprintf(&b, " (nothing new in the %s after, and no root seed among them: not saturated)", plural.Count(quiet, "timeline"))
			default:
				fmt.Fprintf(&b, " (nothing new in the %s after, but only %s among them: not saturated)", plural.Count(quiet, "timeline"), roots)
			}
		}
	}
	switch {
	case rp.Failed && rp.FailedFrom == 0:
		// Say so plainly: the branching did not help this time.
		fmt.Fprintf(&b, "; timeline %d failed, the run of root seed %d itself, the %s root (no branch led to it: plain seeds run that seed too, as their %s, where the exploration took %s): recipe %s",
			e.kept+rp.FoundAfter, rp.Failure.Seed, ordinal(rp.Roots), ordinal(rp.Roots), plural.Count(rp.FoundAfter, "timeline"), rp.Failure)
	case rp.Failed:
		fmt.Fprintf(&b, "; timeline %d failed, a child of mark %d at depth %d: recipe %s", e.kept+rp.FoundAfter, rp.FailedFrom, rp.Failure.Depth(), rp.Failure)
	case rp.Exhausted:
		fmt.Fprintf(&b, "; the budget of %s is spent", plural.Count(e.cfg.Timelines, "timeline"))
	default:
		fmt.Fprintf(&b, "; %d of the budget of %s left", e.cfg.Timelines-rp.Timelines, plural.Count(e.cfg.Timelines, "timeline"))
	}
	if rp.Drawn > 0 {
		fmt.Fprintf(&b, "; %s of draws re-ran prefixes", percent(int(rp.Replayed), int(rp.Drawn), 0))
	}
	if rp.Marks > 0 {
		fmt.Fprintf(&b, "\nsimtest: energy: %d children spent, %d left", rp.Timelines-rp.Roots, rp.EnergyLeft)
		if e.cfg.Barren > 0 {
			// A mark revived may be cut again: count the marks, and the
			// cuts when they are more.
			marks := 0
			for _, m := range rp.PerMark {
				if m.Cuts > 0 {
					marks++
				}
			}
			fmt.Fprintf(&b, "; %s cut as barren", pluralWord(marks, "1 mark", fmt.Sprintf("%d marks", marks)))
			if rp.Cuts > marks {
				fmt.Fprintf(&b, " %d times", rp.Cuts)
			}
			fmt.Fprintf(&b, ", %s", plural.Count(rp.Revived, "revival"))
		}
		if !verbose {
			b.WriteString("; " + everyMark)
		}
	}
	if verbose {
		for i, m := range rp.PerMark {
			from := fmt.Sprintf("a child of mark %d", m.From)
			if m.From == 0 {
				from = fmt.Sprintf("root seed %d", m.Parent.Seed)
			}
			fmt.Fprintf(&b, "\n    mark %d: depth %d, at draw %d of %s: %s, %s",
				i+1, m.Depth, m.At, from, plural.Count(m.Timelines, "timeline"),
				pluralWord(m.Found, "1 discovery", fmt.Sprintf("%d discoveries", m.Found)))
			if m.Cuts > 0 {
				fmt.Fprintf(&b, ", cut %s", pluralWord(m.Cuts, "once", fmt.Sprintf("%d times", m.Cuts)))
			}
			if m.Left > 0 {
				fmt.Fprintf(&b, ", %d left", m.Left)
			}
			var names []string
			for _, p := range followed(m) {
				names = append(names, p.String())
			}
			names = append(names, faultsWorded(faultsFollowed(m))...)
			if len(names) > 0 {
				fmt.Fprintf(&b, "; follows %s", strings.Join(names, " and "))
			}
		}
	}
	if line := e.barrenLine(); line != "" {
		b.WriteString("\n" + line)
	}
	if hint := e.coverageHint(); hint != "" {
		b.WriteString("\n" + hint)
	}
	switch {
	case !e.signals:
		b.WriteString("\nsimtest: nothing to follow: no assertion of the body reported progress (a Sometimes true, a watermark, a SometimesEach bucket), so the exploration ran plain seeds; place Sometimes assertions on the rare steps toward the bug")
	case rp.Marks == 0 && rp.Covered > 0:
		// A root branches at any discovery before its last draw.
		b.WriteString("\nsimtest: nothing to branch: every discovery came after its run's last draw, where a child would have nothing to draw afresh, so the exploration ran plain seeds; place Sometimes assertions on the rare steps as they happen, before the draws that come after them")
	}
	return b.String()
}

// barrenLine names the mark that spent the most children, a quarter of
// all at least, and found nothing, when no mark's child failed: the step
// after it is what its children do not reach, because earlier draws than
// the mark's settle it or no assertion marks it, and the mark lines that
// say so are only under -v. "" when there is none.
func (e *exploration) barrenLine() string {
	rp := e.rep
	children := rp.Timelines - rp.Roots
	if rp.Failed && rp.FailedFrom > 0 || children <= 0 {
		return ""
	}
	best := -1
	for i, m := range rp.PerMark {
		if m.Found == 0 && 4*m.Timelines >= children && m.Timelines >= 20 && (best < 0 || m.Timelines > rp.PerMark[best].Timelines) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	m := rp.PerMark[best]
	var names []string
	for _, p := range followed(m) {
		names = append(names, p.String())
	}
	names = append(names, faultsWorded(faultsFollowed(m))...)
	follows := ""
	if len(names) > 0 {
		follows = ", which follows " + strings.Join(names, " and ") + ","
	}
	return fmt.Sprintf("simtest: mark %d%s spent %s of the %d children and found nothing new: its children do not reach the step after it, "+
		"which draws before the mark settle or no assertion marks; place a Sometimes on what that step needs, or run plain seeds "+
		"(docs/explore.md, \"When exploration loses to plain seeds\")", best+1, follows, plural.Count(m.Timelines, "timeline"), children)
}

// coverageHintMarks is how many of the marks one root seed's run must
// make, half of them at least, for the report to suggest CoverageOnly.
const coverageHintMarks = 5

// coverageHint suggests explore.Config.CoverageOnly when one root seed's
// run made most of the marks, at Sometimes and Reachable assertions alone
// (not a watermark's step toward a threshold, nor a fault), and
// no mark's child failed: a workload's coverage assertions, which a run
// meets without luck, make such marks, whose children re-run that seed's
// start and can spend the budget under it. Whether they are coverage or
// steps toward a bug is the test's to say; the hint names them.
func (e *exploration) coverageHint() string {
	rp := e.rep
	if len(e.cfg.CoverageOnly) > 0 || rp.Failed && rp.FailedFrom > 0 || len(rp.PerMark) == 0 {
		return ""
	}
	root := rp.PerMark[0].Parent.Seed
	var msgs []string
	n := 0
	for _, m := range rp.PerMark {
		if m.From != 0 || m.Parent.Seed != root {
			continue
		}
		// Only a mark that such assertions alone made: CoverageOnly
		// would not take out one a watermark or a fault made too.
		fs := followed(m)
		if len(fs) == 0 || len(faultsFollowed(m)) > 0 || slices.ContainsFunc(fs, func(p tally.Progress) bool {
			k := p.Kind()
			return k != simctx.Sometimes && k != simctx.Reachable
		}) {
			continue
		}
		n++
		for _, p := range fs {
			if !slices.Contains(msgs, p.Message()) {
				msgs = append(msgs, p.Message())
			}
		}
	}
	if n < coverageHintMarks || 2*n < len(rp.PerMark) || len(msgs) == 0 {
		return ""
	}
	quoted := make([]string, len(msgs))
	for i, m := range msgs {
		quoted[i] = strconv.Quote(m)
	}
	return fmt.Sprintf("simtest: root seed %d made %d of the %s in its own run, at %s; if they are coverage (what every run reaches) rather than steps toward the bug, "+
		"name them so that they make no marks: cfg.CoverageOnly = []string{%s}",
		root, n, plural.Count(len(rp.PerMark), "mark"), plural.Count(len(msgs), "assertion"), strings.Join(quoted, ", "))
}

// followed is what mark m follows: the assertions whose progress made it,
// each once, by the progress it made beyond being true when it made some
// (a SometimesEach's first bucket is also its first true; the bucket
// says more).
func followed(m iexplore.MarkReport) []tally.Progress {
	var out []tally.Progress
	for _, s := range m.Follows {
		p, ok := s.(tally.Progress)
		if !ok || p.Kind() == 0 {
			continue
		}
		same := func(q tally.Progress) bool { return q.Kind() == p.Kind() && q.Message() == p.Message() }
		switch i := slices.IndexFunc(out, same); {
		case i < 0:
			out = append(out, p)
		case p.How() == "":
		case out[i].How() == "":
			out[i] = p
		case !slices.ContainsFunc(out, func(q tally.Progress) bool { return same(q) && q.How() == p.How() }):
			out = append(out, p)
		}
	}
	return out
}

// faultsFollowed is the faults begun that made mark m, or that it stands
// for too (explore.Config.FaultMarks).
func faultsFollowed(m iexplore.MarkReport) []*faultFound {
	var out []*faultFound
	for _, s := range m.Follows {
		if f, ok := s.(*faultFound); ok {
			out = append(out, f)
		}
	}
	return out
}

// faultsWorded is the faults begun that made a mark, each once with the
// progress that followed it: "an injected clog a -> b begun at 2.1s,
// before Sometimes "x", Sometimes "y"".
func faultsWorded(faults []*faultFound) []string {
	var out []string
	var last *faultFound
	for _, f := range faults {
		if last != nil && f.fault() == last.fault() && f.when == last.when {
			out[len(out)-1] += fmt.Sprintf(", %v", f.then)
			continue
		}
		out = append(out, f.String())
		last = f
	}
	return out
}

// tableNote is the note under the assertion table of an exploration that
// branched: the table counts timelines as seeds, and a branch re-ran its
// parent's start, so an early step is counted again in each of them.
func (e *exploration) tableNote() string {
	if !e.exploring() || e.rep.Timelines == e.rep.Roots {
		return ""
	}
	return fmt.Sprintf("(explored: SEEDS and \"true in\" count the %s, %d of them branches that re-ran the start of the timeline they branched from; a step's count does not say how rare it is among plain seeds)",
		plural.Count(e.timelines(), "timeline"), e.rep.Timelines-e.rep.Roots)
}

// timelines is how many timelines ran: the kept ones, then the
// exploration's roots and branches. Numbers of timelines in the report
// count them in this order, from 1.
func (e *exploration) timelines() int { return e.kept + e.rep.Timelines }

// saturated reports an exploration whose coverage map stopped growing:
// nothing new since it last grew, from the marks' children nor from a
// roots' turn of fresh seeds (Barren of them, or one with Barren 0). The
// marks alone finding nothing says only that the marks are spent.
func (e *exploration) saturated() bool {
	return e.grewAt() > 0 && e.timelines() > e.grewAt() && e.rep.QuietRoots >= max(e.cfg.Barren, 1)
}

// grewAt is the number of the timeline that last grew the coverage map,
// or 0 when none did.
func (e *exploration) grewAt() int {
	if e.rep.GrewAt == 0 {
		return 0
	}
	return e.kept + e.rep.GrewAt
}

// progressHook is S.progress for a run of the Run: a fuzz input's
// feedback, or an exploring timeline's discoveries.
func (r *runner) progressHook(tl *timelineRun) func(tally.Progress) {
	if r.fuzz != nil {
		return r.fuzz.hook()
	}
	return tl.hook()
}

// failedName names a failed run in its report: its seed, or the recipe
// of a branched timeline.
func (r *runner) failedName(seed uint64) string {
	if r.exp != nil && len(r.exp.current.Branches) > 0 {
		return "timeline " + r.exp.current.String()
	}
	return fmt.Sprintf("seed %d", seed)
}

// jsonExploration is the exploration's part of the JSON report. Its
// timelines are every timeline run, the kept ones (run first, spending
// none of the budget) with the roots and branches, and the numbers of
// timelines count them all, from 1.
type jsonExploration struct {
	Timelines  int        `json:"timelines"`
	Kept       int        `json:"kept_timelines"`
	Roots      int        `json:"root_seeds"`
	Marks      int        `json:"marks"`
	Covered    int        `json:"discoveries"`
	MaxDepth   int        `json:"max_depth"`
	Budget     int        `json:"budget"`
	Left       int        `json:"budget_left"`
	GrewAt     int        `json:"coverage_last_grew_at"`
	Quiet      int        `json:"timelines_after_last_growth"`
	QuietRoots int        `json:"root_seeds_after_last_growth"`
	Saturated  bool       `json:"saturated"`
	Failed     string     `json:"failing_recipe,omitempty"`
	FoundAt    int        `json:"failing_timeline,omitempty"`
	Replayed   uint64     `json:"draws_replayed"`
	Drawn      uint64     `json:"draws"`
	Followed   bool       `json:"had_progress_to_follow"`
	Spent      int        `json:"energy_spent"`
	EnergyLeft int        `json:"energy_left"`
	Cuts       int        `json:"cuts"`
	Revived    int        `json:"revivals"`
	PerMark    []jsonMark `json:"per_mark"`
	// FailedRoot says the failing timeline is a root seed, which no
	// branch led to; FailedFrom is the mark it is a child of otherwise.
	FailedRoot bool `json:"failing_timeline_is_root,omitempty"`
	FailedFrom int  `json:"failing_from_mark,omitempty"`
	// Config is the explore.Config the exploration ran with, so that
	// two runs' reports can be compared knob for knob.
	Config jsonExploreConfig `json:"config"`
}

// jsonExploreConfig is an exploration's explore.Config in the JSON
// report: what changes which timelines run.
type jsonExploreConfig struct {
	Timelines    int      `json:"timelines"`
	Branches     int      `json:"branches"`
	Energy       int      `json:"energy"`
	MaxDepth     int      `json:"max_depth"`
	Barren       int      `json:"barren"`
	CoverageOnly []string `json:"coverage_only"`
	FaultMarks   bool     `json:"fault_marks"`
}

// jsonMark is one mark's account in the JSON report.
type jsonMark struct {
	Parent    string `json:"parent_recipe"`
	From      int    `json:"from_mark"`
	At        uint64 `json:"draw"`
	Depth     int    `json:"depth"`
	Timelines int    `json:"timelines"`
	Found     int    `json:"discoveries"`
	Cuts      int    `json:"cuts"`
	Left      int    `json:"energy_left"`
	// Follows names the assertions whose progress made the mark.
	Follows []jsonFollowed `json:"follows"`
}

// jsonFollowed is an assertion whose progress made a mark, and the
// progress beyond being true ("a new bucket (gate=3)"), if any.
type jsonFollowed struct {
	Kind     string    `json:"kind"`
	Message  string    `json:"message"`
	Site     *jsonSite `json:"site,omitempty"`
	Progress string    `json:"progress,omitempty"`
	// Target and BegunNS are a fault's (Kind "Fault"): what it struck in
	// the timeline the mark is in, and when it began there.
	Target  string `json:"target,omitempty"`
	BegunNS *int64 `json:"begun_at_ns,omitempty"`
}

func (e *exploration) json(names *tally.FuncNames) *jsonExploration {
	if !e.exploring() {
		return nil
	}
	rp := e.rep
	j := &jsonExploration{
		Timelines: e.timelines(), Kept: e.kept, Roots: rp.Roots, Marks: rp.Marks, Covered: rp.Covered,
		MaxDepth: rp.MaxDepth, Budget: e.cfg.Timelines, Left: e.cfg.Timelines - rp.Timelines,
		GrewAt: e.grewAt(), Quiet: e.timelines() - e.grewAt(), QuietRoots: rp.QuietRoots, Saturated: e.saturated(), Replayed: rp.Replayed, Drawn: rp.Drawn, Followed: e.signals,
		Spent: rp.Timelines - rp.Roots, EnergyLeft: rp.EnergyLeft, Cuts: rp.Cuts, Revived: rp.Revived,
		PerMark: []jsonMark{},
		Config: jsonExploreConfig{Timelines: e.cfg.Timelines, Branches: e.cfg.Branches, Energy: e.cfg.Energy,
			MaxDepth: e.cfg.MaxDepth, Barren: e.cfg.Barren, CoverageOnly: append([]string{}, e.cfg.CoverageOnly...), FaultMarks: e.cfg.FaultMarks},
	}
	for _, m := range rp.PerMark {
		jm := jsonMark{Parent: m.Parent.String(), From: m.From, At: m.At, Depth: m.Depth,
			Timelines: m.Timelines, Found: m.Found, Cuts: m.Cuts, Left: m.Left, Follows: []jsonFollowed{}}
		for _, p := range followed(m) {
			f := jsonFollowed{Kind: p.Kind().String(), Message: p.Message(), Progress: p.How()}
			if s := p.Site(); s != nil {
				f.Site = siteOf(s, names)
			}
			jm.Follows = append(jm.Follows, f)
		}
		for _, f := range faultsFollowed(m) {
			ns := int64(f.when)
			jf := jsonFollowed{Kind: "Fault", Message: f.Kind, Progress: "begun before " + f.then.String(), Target: f.struck(), BegunNS: &ns}
			jm.Follows = append(jm.Follows, jf)
		}
		j.PerMark = append(j.PerMark, jm)
	}
	switch {
	case e.keptStopped == "failed":
		j.Failed, j.FoundAt = e.current.String(), e.kept
	case rp.Failed:
		j.Failed, j.FoundAt = rp.Failure.String(), e.kept+rp.FoundAfter
		j.FailedRoot, j.FailedFrom = rp.FailedFrom == 0, rp.FailedFrom
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

// exploreFlags applies -simexplore, -simfaultmarks and -simtimelines:
// exploration with the Run's own Config (or Defaults), faults followed,
// and its budget.
func (c *config) exploreFlags(fl flags) error {
	if fl.explore && c.explore == nil {
		cfg := explore.Defaults()
		c.explore = &cfg
	}
	if fl.faultMarks {
		if c.explore == nil {
			return fmt.Errorf("simtest: -simfaultmarks makes an exploration branch where faults begin, and this Run does not explore; add -simexplore")
		}
		cfg := *c.explore
		cfg.FaultMarks = true
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

// ordinal is n as an ordinal number: 1st, 2nd, 3rd, 11th, 51st.
func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}
