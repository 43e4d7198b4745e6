package simtest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/internal/tally"
	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

// runAsserts is a Run's assertions, invariants and timeline, across its
// seeds.
type runAsserts struct {
	book         *tally.Book
	sites        *tally.Sites
	timeline     []sim.Entry
	timelineSeed uint64
	// timelineRecipe is the timeline's exploration recipe, when it
	// branched from its seed's own run; "" otherwise.
	timelineRecipe string
	pic            *picture // the rest of the HTML timeline's seed
	// timelineKept is set once the timeline file's seed is found: under
	// KeepGoing, the first failing seed, not the last seed run.
	timelineKept bool
	// invariants holds the assertions that are invariants (S.Invariant),
	// by invariantKey, which the table's note reads its FALSE as checks
	// of. Seeds on several workers register them at once.
	invariantsMu sync.Mutex
	invariants   map[invariantKey]bool
}

// noteInvariant records that the Always of message name at site is an
// invariant.
func (ra *runAsserts) noteInvariant(name string, site *tally.Site) {
	ra.invariantsMu.Lock()
	defer ra.invariantsMu.Unlock()
	if ra.invariants == nil {
		ra.invariants = map[invariantKey]bool{}
	}
	ra.invariants[keyOfInvariant(name, site)] = true
}

// isInvariant reports whether row is an invariant's.
func (ra *runAsserts) isInvariant(row tally.Row) bool {
	ra.invariantsMu.Lock()
	defer ra.invariantsMu.Unlock()
	return row.Kind == simctx.Always && ra.invariants[keyOfInvariant(row.Msg, row.Site)]
}

// An invariantKey names an invariant by its message and where it was
// registered, with no formatting: every seed registers its invariants.
type invariantKey struct {
	name, file string
	line       int
}

func keyOfInvariant(name string, site *tally.Site) invariantKey {
	if site == nil {
		return invariantKey{name: name}
	}
	return invariantKey{name, site.File, site.Line}
}

// newRunAsserts starts the accounting of a Run, or of one fuzz input, whose
// call sites go to sites (nil: a Sites of its own).
func newRunAsserts(sites *tally.Sites) *runAsserts {
	if sites == nil {
		sites = tally.NewSites()
	}
	return &runAsserts{book: tally.New(sites), sites: sites}
}

// closeAssertions ends a Run's accounting, after its last seed: it adds
// the assertion table to the report, fails the test on coverage gaps when
// every seed ran, and writes the files the options and flags ask for.
// stopped is the seed the Run stopped at, failed or skipped; nil when
// every seed passed. Gaps are left out when the Run was cut short at
// stopped, before its other seeds; under KeepGoing it ran them all past
// stopped, and its gaps are reported, as a merge of its results file
// reports them.
func (r *runner) closeAssertions(stopped *seedOutcome) {
	t := r.t
	t.Helper()
	ra := r.asserts
	if ra == nil {
		return
	}
	// Gaps in the test's own module fail it; those in code it depends on
	// (another module's assertions) are for the report only.
	mod := moduleRoot()
	stale := r.catalogue(ra.book, mod)
	if rec := r.exp.replayRun().recipe(); rec != "" {
		ra.book.InTimeline(rec) // every hit is the replayed timeline's
	}
	rows := ra.book.Rows()
	r.rows = rows
	note := r.exp.tableNote()
	if inv := invariantNote(rows, ra.isInvariant); inv != "" {
		note = strings.TrimPrefix(note+"\n    "+inv, "\n    ")
	}
	r.rep.assertions = withUnentered(assertionTable(rows, note, stale, cutOf(r.cut, r.stoppedBy)), ra.book.Unentered(), "the JSON report, -simjson, lists them all")
	if clashes := ra.book.Clashes(); len(clashes) > 0 {
		t.Error("simtest: assertion calls that seeds made in ways that disagree (each seed alone did not misuse them):\n    " + strings.Join(clashes, "\n    "))
	}
	// A passing benchmark's Run lists no gaps that do not fail it: they
	// would repeat in every round of b.N (Run).
	warn := !r.benchmark()
	if !r.cut {
		var own, allowed, other []tally.Row
		for _, g := range gapRows(rows) {
			switch {
			case !tally.Within(g.Site, mod):
				other = append(other, g)
			case slices.Contains(r.cfg.asserts.allowed, g.Msg):
				allowed = append(allowed, g)
			default:
				own = append(own, g)
			}
		}
		if len(allowed) > 0 && warn {
			t.Log(gapReport(allowed, r.ran(), false) + allowedNote)
		}
		// A message of a call in a file no seed entered names an
		// assertion all the same.
		known := func(m string) bool {
			return slices.ContainsFunc(rows, func(row tally.Row) bool { return row.Msg == m }) ||
				slices.ContainsFunc(ra.book.Unentered(), func(c tally.Unentered) bool { return c.Msg == m })
		}
		for _, m := range r.cfg.asserts.allowed {
			if !known(m) {
				t.Logf("simtest: simtest.AllowGaps names %q, but no assertion of this Run has that message (no seed reached it, and no file of its packages has it): check the message", m)
			}
		}
		if r.exp.exploring() {
			for _, m := range r.exp.cfg.CoverageOnly {
				if !known(m) {
					t.Logf("simtest: explore.Config.CoverageOnly names %q, but no assertion of this Run has that message (no seed reached it, and no file of its packages has it): check the message", m)
				}
			}
		}
		switch {
		case len(own) == 0:
		case r.cfg.asserts.allowGaps || r.cfg.replaySet:
			if warn {
				t.Log(gapReport(own, r.ran(), false))
			}
		case r.cfg.sharded():
			if warn {
				t.Log(gapReport(own, r.ran(), false) + "\n    (a shard runs part of the seeds: the merged report of every shard decides)")
			}
		default:
			// The summary, logged next, says so too: its counts of seeds
			// alone would read as a pass.
			r.rep.gapsFail = len(own)
			t.Error(gapReport(own, r.ran(), true))
		}
		if len(other) > 0 && warn {
			t.Log(gapReport(other, r.ran(), false) + otherModulesNote)
		}
	}
	c := r.cfg.asserts
	if c.coverPath != "" {
		r.writeFile("the assertion coverage profile", "-simcover", c.coverPath, ".cover", func(w io.Writer) error {
			return tally.WriteProfile(w, ra.book.Profile())
		})
	}
	if c.jsonPath != "" {
		r.writeFile("the JSON report", "-simjson", c.jsonPath, ".json", func(w io.Writer) error {
			rep := r.summaryRecord()
			rep.FailingSeeds, rep.Alone = r.failing, nil
			return writeJSONReport(w, rep)
		})
	}
	r.writeTimelines(ra, stopped)
}

// catalogue adds to book the assertions of the code under test that no
// seed reached, read from the source of the packages the seeds entered
// and of the test's own package, and returns the files, relative to mod
// (the module's root), that changed since the binary was built, each of
// which it logs as unread.
func (r *runner) catalogue(book *tally.Book, mod string) (stale []string) {
	r.t.Helper()
	// The body's own function is read too: when the only assertions are
	// ones no seed reached, no reached assertion names its file.
	if fn := runtime.FuncForPC(reflect.ValueOf(r.body).Pointer()); r.body != nil && fn != nil {
		file, line := fn.FileLine(fn.Entry())
		book.Enter(file, line, fn.Name())
	}
	// The test's own package is read for calls no seed reached in files
	// no seed entered, as the packages whose files Catalogue reads are.
	if mod != "" && !r.outside {
		book.ReadPackage(filepath.Join(mod, filepath.FromSlash(packageDir())))
	}
	book.Catalogue(mod)
	for _, file := range book.Stale() {
		if rel, err := filepath.Rel(mod, file); err == nil && mod != "" {
			file = rel
		}
		stale = append(stale, file)
		r.t.Logf("simtest: %s has changed since this test binary was built (its assertions are not where the binary ran them), so those in it that no seed reached are not listed: rebuild the binary to have them", file)
	}
	return stale
}

// writeTimelines writes the timeline kept in ra to the timeline file, and
// draws it, as the options and flags ask; under go test -artifacts, a
// failing seed's go to the test's artifact directory too, each unless
// its flag or option names a path.
func (r *runner) writeTimelines(ra *runAsserts, stopped *seedOutcome) {
	r.t.Helper()
	c := r.cfg.asserts
	if ra.timeline == nil && c.artifacts && stopped != nil && stopped.failed() {
		r.timelineAgain(ra, stopped)
	}
	if ra.timeline == nil {
		return
	}
	_, hasDir := r.t.(interface{ ArtifactDir() string })
	toArtifacts := hasDir && !r.outside && c.artifacts && (c.timelinePath == "" || c.htmlPath == "") &&
		stopped != nil && stopped.failed() && stopped.res.Seed == ra.timelineSeed
	seed, pic := ra.timelineSeed, ra.pic
	timeline := func(w io.Writer) error {
		return writeTimeline(w, seed, ra.timelineRecipe, ra.timeline, pic)
	}
	if c.timelinePath != "" {
		r.writeFile("the timeline", "-simtimeline", c.timelinePath, ".jsonl", timeline)
	}
	if c.htmlPath == "" && c.docFunc == nil && !toArtifacts {
		return
	}
	doc := r.timelineDoc(ra, stopped)
	if c.docFunc != nil {
		c.docFunc(doc)
	}
	if c.htmlPath != "" {
		if f, note, err := r.createOutput("the HTML timeline", "-simhtml", c.htmlPath, r.t.Name(), ".html"); err != nil {
			r.t.Errorf("simtest: writing the HTML timeline: %v", err)
		} else {
			if note != "" {
				r.t.Log(note)
			}
			r.writeHTML(f, "", doc, pic)
		}
	}
	if toArtifacts {
		lines, page := c.timelinePath == "", c.htmlPath == ""
		r.afterResults = append(r.afterResults, func() {
			r.t.Helper()
			r.writeArtifacts(seed, lines, page, timeline, doc, pic)
		})
	}
}

// writeArtifacts writes the failing seed's timeline (lines) and its page
// (page), those that no flag or option names a path for, to the test's
// artifact directory. It runs once the results file is closed
// (runAfterResults): the testing package ends the test (Fatalf) when it
// cannot make that directory, which must not cost the results file its
// summary line.
func (r *runner) writeArtifacts(seed uint64, lines, page bool, timeline func(io.Writer) error, doc *timelinehtml.Doc, pic *picture) {
	r.t.Helper()
	art := r.artifacts(seed)
	if art == nil {
		return
	}
	create := func(want bool, what, ext string) *os.File {
		if !want {
			return nil
		}
		f, err := art.create(ext)
		if err != nil {
			r.t.Errorf("simtest: writing %s to the test's artifact directory: %v", what, err)
			return nil
		}
		return f
	}
	if f := create(lines, "the timeline", ".jsonl"); f != nil {
		r.writeTo("the timeline", f, artifactsNote, timeline)
	}
	if f := create(page, "the HTML timeline", ".html"); f != nil {
		r.writeHTML(f, artifactsNote, doc, pic)
	}
}

// runAfterResults does what the Run left for after its results file is
// closed (writeArtifacts).
func (r *runner) runAfterResults() {
	r.t.Helper()
	for _, f := range r.afterResults {
		f()
	}
	r.afterResults = nil
}

// timelineAgain keeps in ra the timeline of stopped, the failing seed,
// for go test -artifacts, which keeps no seed's as it runs: the seed runs
// again, alone, keeping it, as the run again alone of a seed that failed
// beside others does. Determinism makes it the same run; one that is not
// (it took another path: the seed shares state with the seeds it ran
// beside) is said, and no timeline is written.
func (r *runner) timelineAgain(ra *runAsserts, stopped *seedOutcome) {
	r.t.Helper()
	if r.fuzz != nil || r.outside || stopped.s != nil && stopped.s.config != nil {
		return
	}
	if _, ok := r.t.(interface{ ArtifactDir() string }); !ok {
		return
	}
	seed := stopped.res.Seed
	r.keepAgain = true
	again := r.aloneOnce(seed, true, stopped.tl, nil)
	r.keepAgain = false
	if again.res.Trace != stopped.res.Trace {
		r.t.Logf("simtest: no timeline of seed %d in the test's artifact directory (go test -artifacts): run again to keep it, it took another path "+
			"(trace %016x; it failed on %016x); -simtimeline or -simhtml keep it as it fails", seed, again.res.Trace, stopped.res.Trace)
		return
	}
	ra.timeline, ra.timelineSeed, ra.timelineRecipe, ra.pic = again.timeline, seed, again.tl.recipe(), again.pic
}

// artifactsNote follows the path of a file written to the test's
// artifact directory, in the line that names it.
const artifactsNote = ", the test's artifact directory (go test -artifacts)"

// artifacts is where a failing seed's timeline and page go under go test
// -artifacts: the test's artifact directory, which the testing package
// makes a directory apart for each test and subtest of each package, of
// its choosing under -outputdir/_artifacts, named on the === ARTIFACTS
// line (Go 1.26 names it by a random number alone), and the files' name
// in it.
type artifacts struct {
	dir, base string
}

// artifacts returns the test's artifact directory for seed's files; nil
// when the test has none: a testing.TB of Go before 1.26, or one of a
// test's own making, a Run of Simulate.
func (r *runner) artifacts(seed uint64) *artifacts {
	t, ok := r.t.(interface{ ArtifactDir() string })
	if !ok || r.outside {
		return nil
	}
	return &artifacts{dir: t.ArtifactDir(), base: fmt.Sprintf("timeline-%d", seed)}
}

// create creates the file of the seed's that ends in ext.
func (a *artifacts) create(ext string) (*os.File, error) {
	return os.Create(filepath.Join(a.dir, a.base+ext))
}

// packageFile is the file that path names for one of a Run's files:
// path itself, or, for a path that names a directory, the file named
// after name (the test's, with its shard's for a results file) in a
// directory named after the test's package, as it is in the module
// (DIR/examples/kv/TestKV.jsonl); a package at the module's root, or a
// test run outside its module, has it in DIR itself.
func (r *runner) packageFile(path, name, ext string) string {
	file := filePath(path, name, ext)
	if file == path || r.outside {
		return file
	}
	if pkg := strings.TrimPrefix(packageDir(), "./"); pkg != "." && pkg != "" {
		return filepath.Join(path, filepath.FromSlash(pkg), fileName(name)+ext)
	}
	return file
}

// outputMu orders the Runs of this process as each takes the path of a
// file it writes: without it, two Runs that end at once (parallel
// subtests) could both find a FILE that no Run wrote yet, and both take
// it. It guards the file system, and written, the record of what this
// process wrote there.
var outputMu sync.Mutex

// written holds the files that this process's Runs wrote (absolute
// paths), so that a Run tells exactly a file an earlier Run of this test
// binary wrote, which it keeps, from one that an earlier process left,
// which it writes over. Guarded by outputMu.
var written = map[string]bool{}

// createOutput creates the file that path names for one of a Run's
// files (what, which flag sets: the results, the coverage profile, the
// JSON report, the timeline and its page), and returns it with the note
// to log when it writes over a file another Run wrote ("" when not).
//
// In a directory, the file is named after name (the test's, with its
// shard's for a results file) under the directory of the test's package
// (packageFile). Any other path is the file itself for the first Run of
// this test binary to write it, whatever an earlier go test left there;
// a later Run of the binary (a subtest after the one that failed, whose
// file is the one wanted) writes its own beside it, named for the test
// too (report.TestTable_b.json). A Run of Simulate is no test binary's:
// it writes over the path at each call, as a program that calls it for
// one configuration after another reads the path after each.
func (r *runner) createOutput(what, flag, path, name, ext string) (*os.File, string, error) {
	file := r.packageFile(path, name, ext)
	if r.outside {
		if err := os.MkdirAll(filepath.Dir(file), 0o777); err != nil {
			return nil, "", err
		}
		f, err := os.Create(file)
		return f, "", err
	}
	outputMu.Lock()
	defer outputMu.Unlock()
	inDir := file != path
	if !inDir && wroteHere(file) {
		e := filepath.Ext(file)
		file = strings.TrimSuffix(file, e) + "." + fileName(name) + e
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o777); err != nil {
		return nil, "", err
	}
	note := overwriteNote(what, file, flag, inDir)
	if abs, err := filepath.Abs(file); err == nil {
		written[abs] = true
	}
	f, err := os.Create(file)
	return f, note, err
}

// processStart is when this process started, near enough: a file written
// since, this process or one started after it wrote.
var processStart = time.Now()

// wroteHere reports whether a Run of this process wrote the file at path,
// and it is still there. The caller holds outputMu.
func wroteHere(path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil || !written[abs] {
		return false
	}
	_, err = os.Stat(abs)
	return err == nil
}

// writtenElsewhereSinceStart reports whether another process wrote the
// file at path since this one started: a test binary of another package
// that go test ./... runs at the same time. A file's time comes from a
// coarser clock than time.Now, a little behind it, so a file written
// just after the start may pass for older: the note it would get is
// lost, no more. The caller holds outputMu.
func writtenElsewhereSinceStart(path string) bool {
	if wroteHere(path) {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && st.ModTime().After(processStart)
}

// writeFile writes one of a Run's files, which flag names, where
// createOutput puts it.
func (r *runner) writeFile(what, flag, path, ext string, write func(io.Writer) error) {
	r.t.Helper()
	f, note, err := r.createOutput(what, flag, path, r.t.Name(), ext)
	if err != nil {
		r.t.Errorf("simtest: writing %s: %v", what, err)
		return
	}
	if note != "" {
		r.t.Log(note)
	}
	r.writeTo(what, f, "", write)
}

// writeTo writes one of a Run's files to f, closes it, and says so, with
// also after the path when it is not "" (the files written beside it).
func (r *runner) writeTo(what string, f *os.File, also string, write func(io.Writer) error) {
	t := r.t
	t.Helper()
	err := write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Errorf("simtest: writing %s: %v", what, err)
		return
	}
	t.Logf("simtest: wrote %s to %s%s", what, f.Name(), also)
}

// fileName turns a test's name into a file name.
func fileName(test string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', ':', '*', '?', '"', '<', '>', '|', ' ':
			return '_'
		}
		return r
	}, test)
}

func gapRows(rows []tally.Row) []tally.Row {
	var out []tally.Row
	for _, r := range rows {
		if r.Gap() {
			out = append(out, r)
		}
	}
	return out
}

// The notes under the gaps a Run allows by their messages, and under those
// in other modules.
const (
	allowedNote      = "\n    (allowed for this Run by simtest.AllowGaps)"
	otherModulesNote = "\n    (in other modules: the report notes them, the test does not fail on them)"
)

// ranRuns is what a Run ran, as its gap report tells it: how many runs,
// what they were (seeds, or an exploration's timelines), and what would
// run more of them.
type ranRuns struct {
	n    int
	unit string
	more string
	// off says which families of faults are off in every run, which no
	// number of them reaches; "" when none is (offAdvice).
	off string
}

// ran is this Run's ranRuns. A larger count does nothing for a Run that a
// budget of wall time or a plateau ended, nor for an exploration, which
// its budget of timelines bounds.
func (r *runner) ran() ranRuns {
	out := ranRuns{n: r.rep.seeds, unit: "seed"}
	switch {
	case r.exp.exploring():
		out.unit = "timeline"
		out.more = fmt.Sprintf("a larger budget may reach them (-simtimelines=%d, or explore.Config.Timelines)", max(10*r.exp.cfg.Timelines, DefaultSeeds))
	case r.stoppedBy == stoppedByPlateau:
		out.more = fmt.Sprintf("a longer plateau may reach them (-simplateau=%d, or simtest.UntilPlateau)", 10*r.cfg.plateau)
	case r.stoppedBy == stoppedByWall:
		out.more = fmt.Sprintf("more wall time may reach them (-simfor=%v, or simtest.RunFor)", 10*r.cfg.runFor)
	default:
		out = ranSeeds(r.rep.seeds)
	}
	out.off = offAdvice(r.rep.familiesOff(), out.unit)
	return out
}

// ranSeeds is the ranRuns of n seeds that a count ended.
func ranSeeds(n int) ranRuns {
	return ranRuns{n: n, unit: "seed", more: fmt.Sprintf("more seeds may reach them (-simseeds=%d, or simtest.Seeds)", max(10*n, DefaultSeeds))}
}

// gapReport tells of the assertions that a Run's runs did not exercise
// as they should. failing, it says that the test fails for them, and how
// to go on: what runs more of the Run, or gaps made warnings.
func gapReport(gaps []tally.Row, ran ranRuns, failing bool) string {
	var b strings.Builder
	what := "an assertion that the Run's %s did not exercise as it should"
	if len(gaps) > 1 {
		what = "assertions that the Run's %s did not exercise as they should"
	}
	what = fmt.Sprintf(what, plural.Count(ran.n, ran.unit))
	if failing {
		fmt.Fprintf(&b, "simtest: the test fails for %s, %s:", plural.Count(len(gaps), "coverage gap"), what)
	} else {
		fmt.Fprintf(&b, "simtest: %s (warnings), %s:", plural.Count(len(gaps), "coverage gap"), what)
	}
	for _, g := range gaps {
		fmt.Fprintf(&b, "\n    %v %s (%v): %s", g.Kind, messageOf(g), g.Site, gapWhy(g, ran))
	}
	if failing {
		fmt.Fprintf(&b, "\n  %s; or make gaps warnings, for one go test (-simallowgaps) or for this Run (simtest.AllowGaps; given their messages, for those assertions alone)", ran.more)
		if ran.off != "" {
			b.WriteString("\n  " + ran.off)
		}
	}
	return b.String()
}

// gapWhy says how near the runs came to exercising g.
func gapWhy(g tally.Row, ran ranRuns) string {
	switch {
	case g.Static && g.Simless != "":
		return "no " + ran.unit + " could reach it: it is given " + g.Simless + ", which carries no simulation, so it checks nothing wherever it runs; pass it the task's ctx, or one made from it"
	case g.Static:
		return "no " + ran.unit + " reached it"
	case g.Status == tally.NeverReached && g.Kind == simctx.Always:
		// An invariant's: its check runs after every step, and one that
		// returns SkipCheck judges nothing.
		return "registered, but judged at no step: no step ran after it, or its check returned SkipCheck at every one"
	case g.Status == tally.NeverReached:
		return "registered, but no step ran after it"
	case g.Watermark != nil:
		return fmt.Sprintf("never true in %s; the best was %v", reachedIn(g, ran, true), g.Watermark)
	case g.Conditions != nil && g.Frontier == 0:
		return fmt.Sprintf("never all true at once in %s; none of its %d conditions was ever true", reachedIn(g, ran, false), len(g.Conditions))
	case g.Conditions != nil:
		return fmt.Sprintf("never all true at once in %s; at most %d of %d (%s)", reachedIn(g, ran, false), g.Frontier, len(g.Conditions), asJSON(strings.Join(g.AtFrontier, ", ")))
	}
	return "never true in " + reachedIn(g, ran, true)
}

// reachedIn names the runs, of those ran counts, that reached g, with how
// many times in all when calls: "all 3 seeds, which reached it 7 times in
// all" when every run did, "the 2 of 3 seeds that reached it, 7 times in
// all" when some did not.
func reachedIn(g tally.Row, ran ranRuns, calls bool) string {
	times := ""
	if calls {
		times = fmt.Sprintf(" %d times in all", g.Calls)
		if g.Calls == 1 {
			times = " once"
		}
	}
	switch {
	case g.Seeds < ran.n:
		if times != "" {
			times = "," + times
		}
		return fmt.Sprintf("the %d of %s that reached it%s", g.Seeds, plural.Count(ran.n, ran.unit), times)
	case g.Seeds == 1:
		return fmt.Sprintf("the 1 %s, which reached it%s", ran.unit, times)
	}
	return fmt.Sprintf("all %s, which reached it%s", plural.Count(g.Seeds, ran.unit), times)
}

func messageOf(r tally.Row) string {
	if r.Msg == "" {
		return "(a message that is not a literal)"
	}
	return fmt.Sprintf("%q", asJSON(r.Msg))
}

// startDir is the directory the binary started in, or "" when it cannot
// be known. go test starts a test binary in its package's directory; a
// test may leave it since (t.Chdir to a fixture), but its package and
// module stay where they were. It is set once, as the package starts.
var startDir, _ = os.Getwd()

// moduleRoot is the directory of the test's module: the nearest go.mod
// above the directory the test binary started in that names the module
// the binary was built from, so that a go test -c binary run in a module
// nested in its own passes the nested go.mod over; the nearest go.mod when
// the binary does not name its module; "" when there is none.
func moduleRoot() string {
	module := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		module = bi.Main.Path
	}
	return moduleRootOf(startDir, module)
}

// moduleRootOf is moduleRoot for a binary of module started in start.
func moduleRootOf(start, module string) string {
	if start == "" {
		return ""
	}
	root, _ := tally.ModuleRoot(start, module)
	return root
}
