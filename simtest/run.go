package simtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"iter"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/tally"
	"github.com/moonpool-go/moonpool/providers"
)

// Run runs body once per seed, each time in a fresh simulated world, and
// reports the outcome on t. The body is the test driver: the root task of
// the world. It starts tasks, sleeps, checks; when it returns the seed ends
// and every task still alive is killed.
//
// Run stops at the first failing seed. It prints the seed's replay line,
// how it failed (the task, its stack, the simulated time), the errors the
// body reported, and the seed's last timeline entries; the replay line runs
// exactly that execution again. After the seeds, Run logs a report: seeds
// run, passed and failed, wall and simulated time, steps and events, and
// the first and last few seeds with their trace hashes. Under go test -v
// (or -simv, or [Verbose]) each seed's line, its seed and trace hash, is
// logged as the seed ends: under -v alone (and -json, which implies it)
// the first 1,000 seeds' lines, then a line that says the rest are left
// out, and the report ends with the last few; -simv logs every one, and
// -simv=false none.
//
// In a benchmark (t a *testing.B, the seed count b.N), a Run that passes
// logs its summary's first line alone: the benchmark runs its function
// once per round of b.N, and go test prints every round's log under
// --- BENCH, cut after a few lines. Each seed's line is logged only under
// -simv or [Verbose], and coverage gaps that do not fail the Run are not
// listed. A Run that fails logs its whole report.
//
// Bad options or flags fail the test before any seed runs, with a message
// naming the problem. Run is called from a test, not inside a seed: a Run
// started in a body or one of its tasks (with the body's S as its
// testing.TB, or the test's own t) is a configuration error of that seed,
// for its seeds would all run within one step of the seed, which no
// replay line replays; run a second simulation after the first Run
// returns, or in a subtest of its own.
func Run(t testing.TB, body func(s *S), opts ...Option) {
	t.Helper()
	if body == nil {
		t.Fatalf("simtest.Run: the body is nil; pass a func(s *simtest.S) that drives the simulation")
		return
	}
	if refuseNested(t, "simtest.Run") {
		return
	}
	c, err := resolve(testing.Short(), commandLine(), opts)
	if err != nil {
		t.Fatal(err)
		return
	}
	r := &runner{t: t, cfg: c, body: body}
	r.run()
}

type runner struct {
	t    testing.TB
	cfg  config
	body func(*S)
	rep  report
	fuzz *fuzzInput // set by Fuzz: the decision stream and its feedback (fuzz.go)
	// asserts is the Run's assertions, invariants and timeline, made by
	// the first seed (assert_run.go).
	asserts *runAsserts
	// keepAgain makes the run again of a seed keep its timeline: the
	// failing seed's, for go test -artifacts (timelineAgain).
	keepAgain bool
	// afterResults is what the Run does once its results file is closed:
	// write to the test's artifact directory (runAfterResults).
	afterResults []func()
	// workers carries task goroutines from one seed's world to the next.
	workers *sim.Workers
	// pools are every Workers the Run's seeds ran on, workers first
	// (leftover.go).
	pools []*sim.Workers
	// late reports stray calls made after their seed ended (stray.go).
	late lateStrays
	// sites, when set, names assertion call sites for more than this
	// runner: a fuzz test's inputs, each a runner, share one.
	sites *tally.Sites
	// after takes what an S is told once its seed has ended (late.go).
	after *afterSeeds
	// outside is set for a Run outside go test (Simulate): no test flags,
	// and replay lines that are options, not commands.
	outside bool
	// interrupts, for a Run of go test's seeds, hears SIGINT and SIGTERM,
	// at which it stops between two seeds (interrupt.go).
	interrupts *interrupts
	// seen, when set, hears every seed's result as it ends.
	seen func(SeedResult)
	// exp, when set, is the exploration the Run does or the timeline it
	// replays (explore.go).
	exp *exploration
	// crypto is the Run's hold on crypto/rand (cryptorand.go).
	crypto *cryptoRand
	// base is the base seed of the Run's sequence, once seeds has made
	// it; kept is the seeds kept under testdata that run first (keep.go).
	base uint64
	kept []uint64
	// given is the base seed as -simbase gave it or -simfresh drew it,
	// before the test's name is mixed in (baseFor); else base.
	given uint64
	// keptPassed counts, in a shard but the first, the kept seeds of its
	// part of the sequence, which it passes over: the first shard runs
	// them.
	keptPassed int
	// rows is the assertion table, once the seeds have run.
	rows []tally.Row
	// failing is the first maxJSONFailing failing seeds, for the JSON
	// report (-simjson).
	failing []SeedResult
	// alone is what the first failing seed's run again alone found
	// (seedOutcome.aloneRun), aloneSeed that seed and aloneRecipe its
	// timeline's recipe, if it branched (explore.go).
	alone       *AloneRun
	aloneSeed   uint64
	aloneRecipe string
	// stoppedBy says what ended the Run's seeds, when it was not their
	// count or a failure (iterate.go).
	stoppedBy string
	// cut is set when the Run stopped at a failing or skipping seed,
	// before the rest of its seeds: what they would have reached is no
	// coverage gap yet.
	cut bool
	// iter is the state of RunFor and UntilPlateau (iterate.go).
	iter *iteration
	// deadline is go test's -timeout, which the Run stops before
	// (deadline.go).
	deadline testDeadline
	// left are the seeds the Run gave up after it stopped, on several
	// workers (parallel.go).
	left []seedDone
	// viaTSeeds are the seeds that were running when the test's own
	// testing.T was marked failed, on several workers (parallel.go).
	viaTSeeds []seedDone
	// checkWall is the real time spent checking a failing seed's replay
	// in a fresh process (verify.go): the Run's wall and rates leave it
	// out, for they are its seeds'.
	checkWall time.Duration
	// sCount counts the S the Run has made, to number them (S.id).
	sCount atomic.Uint64
}

// verbose reports whether seeds' lines are logged as they end, and how
// many at most (0: every one). -simv (Verbose) logs every one; go test -v
// alone, which -json implies, the first maxSeedLines, so that a sweep's
// Run under an IDE or gotestsum does not log a line for each of its
// seeds; -simv=false none, and a benchmark's Run none.
func (r *runner) verbose() (bool, int) {
	switch {
	case r.cfg.verbose:
		return true, 0
	case r.outside || r.cfg.quiet || r.benchmark():
		return false, 0
	}
	return testing.Verbose(), maxSeedLines
}

// everyMarkHint says how to have an exploration's summary list every
// mark, where it lists none: Simulate reads no flag, and -simv=false
// keeps them out even under go test -v.
func everyMarkHint(outside, quiet bool) string {
	switch {
	case outside:
		return "simtest.Verbose() lists every mark"
	case quiet:
		return "-simv=false lists no mark, even under go test -v; -simv lists every one"
	}
	return "go test -v or -simv lists every mark"
}

// verboseBy names what made go test verbose: go test -json runs the test
// binary with -test.v=test2json.
func verboseBy() string {
	if f := flag.Lookup("test.v"); f != nil && f.Value.String() == "test2json" {
		return "go test -json, which implies -v,"
	}
	return "go test -v"
}

// maxSeedLines is how many seeds' lines go test -v logs as they end.
const maxSeedLines = 1000

// benchmark reports whether the Run is a benchmark's, whose report is its
// summary's first line unless it fails (Run).
func (r *runner) benchmark() bool {
	_, ok := r.t.(*testing.B)
	return ok
}

// summaryLog is the summary the Run logs: the whole, or a passing
// benchmark's first line.
func (r *runner) summaryLog() string {
	s := r.rep.summary()
	if r.benchmark() && !r.t.Failed() {
		s, _, _ = strings.Cut(s, "\n")
	}
	return s
}

// stoppedAtFailure tells the report how many seeds the Run set out to
// run, when it stops at o, a failing seed, before the rest: its summary
// says how many of them ran. Not for a skip, a configuration error or an
// overtime, which -simall would not run past, nor for an exploration,
// whose unit is timelines.
func (r *runner) stoppedAtFailure(o *seedOutcome) {
	if o.skippedOnly() || o.s != nil && o.s.config != nil || overtime(o) || r.exp.exploring() || r.fuzz != nil {
		return
	}
	if n := r.plannedSeeds(); n > r.rep.seeds {
		r.rep.planned = n
	}
}

// plannedSeeds is how many seeds the Run sets out to run: the seeds
// replayed, or its part of the sequence and the kept seeds not in it
// (a kept seed of the sequence runs once, first, in the first shard,
// and a shard but the first passes over those of its part); 0 for a Run
// that a budget ends rather than a count.
func (r *runner) plannedSeeds() int {
	c := r.cfg
	if c.replaySet {
		return len(c.replays)
	}
	n := c.seedCount()
	if n == math.MaxInt {
		return 0
	}
	from, step := 0, 1
	if c.sharded() {
		from, step = c.shard, c.shards
	}
	planned := max(0, (n-from+step-1)/step)
	if c.shard > 0 {
		return planned - r.keptPassed
	}
	for _, seed := range r.kept {
		if p := placeOf(r.base, seed); p < 0 || p >= int64(n) || int(p)%step != from {
			planned++
		}
	}
	return planned
}

// seedOutcome is what one seed did.
type seedOutcome struct {
	res sim.Result
	s   *S
	// keptFile is the file that keeps the seed, for a seed kept from an
	// earlier failure; "" otherwise.
	keptFile string
	// keptMoved reports that the kept seed ran another execution than
	// the one its file keeps (its trace is another): its failure may be
	// another one than the kept.
	keptMoved bool
	win       *window     // the timeline around the first failure
	faults    faultCounts // the faults the seed saw
	silent    silentConns // the connections a random close silenced, open as it ended
	byHand    faultCounts // those of them the test made (observer.byHand)
	reach     reach       // the processes its reboots and pauses reached
	// injected is what the cluster's injectors did.
	injected []injectorSeen
	// unsyncedDirs: a disk's crash kept a namespace change whose
	// directory was not synced (observer.unsyncedDirs).
	unsyncedDirs bool
	// conns are the hosts whose connections the report notes (notedConns).
	conns []NotedHost
	// timeline is the seed's whole timeline, when the timeline file may
	// be this seed's.
	timeline []sim.Entry
	pic      *picture // what the HTML timeline draws besides, when kept
	diverge  string   // what CheckDeterminism found, if anything
	// sameSteps reports that the two runs of diverge took the same steps
	// and ended differently (endedAs).
	sameSteps bool
	// byTime reports that a run of diverge, which took the same steps as
	// the other, reported an error from a check that real time cut short
	// (S.timedOut): the machine's speed may have decided the difference.
	byTime bool
	// rerun says what the seed's run again to show its window at the
	// time its first failure named found instead, if anything
	// (window_at.go).
	rerun string
	// unchecked says why CheckDeterminism did not run the seed again.
	unchecked string
	// again is the steps and events of the seed's second run, under
	// CheckDeterminism; 0 when it did not run again.
	again uint64
	// replayCheck is what running the seed's replay line in a fresh
	// process found, when the Run checked it (verify.go).
	replayCheck string
	// workers is how many seeds the Run ran at once when this seed ran
	// beside others (more than one); 0 or 1 when it ran alone.
	workers int
	// guess says that the seed was charged with a failure of the test's
	// testing.T by guess, among the seeds running then (viaTGuess).
	guess string
	// alone says what the seed's run again alone found, when the Run
	// ran it beside others and it failed, and that run differed
	// (parallel.go): "" when it did not run again, or ran the same.
	alone string
	// aloneRun is that run, for the JSON report and the results file;
	// nil with alone "".
	aloneRun *AloneRun
	// givenUp reports that the watchdog gave the seed's run up.
	givenUp bool
	// wall is the real time the seed took, both runs under
	// CheckDeterminism; zero when the Run writes no wall-clock figures.
	wall time.Duration
	// cryptoReads is how many times the seed read crypto/rand, or -1
	// when that is not known (cryptorand.go).
	cryptoReads int
	// viaT reports that the test's own testing.T was marked failed while
	// the seed ran: t.Errorf called from the body or a task, not s.Errorf.
	viaT bool
	// logShown is set when the seed's whole log was logged as the seed
	// ended (-simv): its failure report does not repeat it.
	logShown bool
	// signals are the progress the seed reported, under UntilPlateau.
	signals []uint64
	// tl is the exploration timeline the seed's run was, if any, and
	// book its assertions until they are merged (explore.go).
	tl   *timelineRun
	book *tally.Book
}

// viaTMessage says what viaT means, in a failure report and a kept seed.
const viaTMessage = "the test's own testing.T was marked failed while this seed ran " +
	"(t.Error, t.Errorf or t.Fail called from the body or one of its tasks); " +
	"call s.Errorf on the body's *simtest.S instead, so that the failure belongs to the seed and its report"

// viaTRaceMessage is viaTMessage under the race detector, for which
// testing marks a test failed on a data race: no call to move to s.
const viaTRaceMessage = "the test's own testing.T was marked failed while this seed ran: the race detector is on, and testing " +
	"marks a test failed when it reports a data race, so a \"WARNING: DATA RACE\" report above may be the cause: fix the race it names " +
	"(two goroutines that touch the same memory, one of them a goroutine the simulation does not run?); " +
	"otherwise t.Error, t.Errorf or t.Fail was called from the body or one of its tasks: call s.Errorf on the body's *simtest.S instead, " +
	"so that the failure belongs to the seed and its report"

// viaTWords is what viaT means in this test binary.
func viaTWords(race bool) string {
	if race {
		return viaTRaceMessage
	}
	return viaTMessage
}

func (o *seedOutcome) failed() bool {
	if o.res.Err != nil || o.diverge != "" {
		return !o.skippedOnly()
	}
	return o.viaT || o.s != nil && o.s.failed
}

// skippedOnly reports a seed that ended because its body asked to skip:
// a live task's Skip, which stops the run, or a killed task's as it
// unwound (a graceful stop's leftover, killed after the grace), which
// cannot stop it: the seed, which ran on, is skipped when it ends clean,
// as such a task's FailNow fails it then.
func (o *seedOutcome) skippedOnly() bool {
	if o.s == nil || !o.s.skipped || o.s.failed {
		return false
	}
	var f *sim.Failure
	if o.res.Err == nil {
		return o.diverge == "" && !o.viaT
	}
	return errors.As(o.res.Err, &f) && f.Kind == sim.Stopped
}

// seeds returns the Run's seeds, made one at a time as they are run: a
// Run of many seeds does not hold them all.
func (r *runner) seeds() iter.Seq[uint64] {
	r.t.Helper()
	c := r.cfg
	if c.replaySet {
		// A replayed seed's place is the one it has in the test's own
		// sequence, if it is of it.
		r.base = c.baseSeed
		switch {
		case !c.baseSet:
			r.base = baseSeedFor(r.t.Name())
		case c.baseByFlag:
			r.base = baseFor(c.baseSeed, r.t.Name())
		}
		r.given = r.base
		if c.baseByFlag {
			r.given = c.baseSeed
		}
		return func(yield func(uint64) bool) {
			r.t.Helper() // the Run's loop body runs inside: its logs are the test's
			for _, seed := range c.replays {
				if !yield(seed) {
					return
				}
			}
		}
	}
	base := c.baseSeed
	switch {
	case c.fresh:
		base = freshSeed()
		r.t.Logf("simtest: fresh base seed %d (-simbase=%d runs these seeds again)", base, base)
	case !c.baseSet:
		base = baseSeedFor(r.t.Name())
	}
	r.given = base
	if c.fresh || c.baseByFlag {
		base = baseFor(base, r.t.Name())
	}
	r.base = base
	n := c.seedCount()
	from, step := 0, 1
	if c.sharded() {
		from, step = c.shard, c.shards
	}
	return func(yield func(uint64) bool) {
		r.t.Helper()
		for i := from; i < n; i += step {
			if !yield(seedAt(base, i)) {
				return
			}
		}
	}
}

func (r *runner) run() {
	t := r.t
	t.Helper()
	if inBubble(t) {
		t.Fatal(inBubbleError)
		return
	}
	if err := r.filesCollide(t.Name()); err != nil {
		t.Fatal(err)
		return
	}
	if err := r.cfg.makeDirs(t.Name()); err != nil {
		t.Fatal(err)
		return
	}
	r.initAfter() // on the Run's goroutine, which an S's test is (late.go)
	if note := r.cfg.offUnderDebugger(tracerPID()); note != "" {
		t.Log(note)
	}
	if r.cfg.replayNote != "" {
		t.Log(r.cfg.replayNote)
	}
	if note := r.overCores(runtime.GOMAXPROCS(0)); note != "" {
		t.Log(note)
	}
	r.workers = r.newWorkers()
	defer r.workers.Close()
	r.startExploring()
	if r.fuzz == nil && !r.cfg.replaySet {
		r.iterating()
		r.deadline = newTestDeadline(t)
		if !r.outside {
			r.interrupts = listenForInterrupts()
			defer r.interrupts.stop()
		}
	}
	defer r.late.close()
	start := time.Now()
	// Under -v (or -simv) the seeds' lines are logged as the seeds end; the
	// report at the end gives only the first and last few otherwise.
	r.rep.verbose, r.rep.verboseMax = r.verbose()
	r.rep.verboseBy = verboseBy()
	// Several seeds replayed may run past failing ones, as a Run's seeds.
	r.rep.keepGoing = r.cfg.keepGoing && (!r.cfg.replaySet || len(r.cfg.replays) > 1) && !r.exp.exploring()
	r.rep.zeroWall = r.cfg.zeroWall
	if r.parallel() {
		r.rep.workers = r.cfg.workers
	}
	r.rep.outside = r.outside
	r.rep.slow = r.cfg.slow
	r.rep.wallClock, r.rep.allowedHit = r.cfg.wallClock, map[string]bool{}
	r.rep.chaos, r.rep.diskDirLoss = r.cfg.chaos, r.cfg.diskDirLoss
	var out *results
	if r.cfg.resultsPath != "" {
		var err error
		var note string
		if out, note, err = r.openResults(); err != nil {
			t.Error(err)
		} else if note != "" {
			t.Log(note)
		}
	}
	// stopped is the seed the Run stopped at, failed or skipped; under
	// KeepGoing, the first failing seed. kept is what keeping it says,
	// logged after the failure report.
	var stopped *seedOutcome
	var kept string
	// checked: a failing seed's replay line was run in a fresh process
	// (-simverify), once a Run: its first failing seed's, or, under
	// KeepGoing, its first that is not kept, as a sweep's kept seeds are
	// known bugs and its new ones are what the night found.
	checked := false
	// commit takes a seed's outcome into the Run, in seed order, and
	// reports whether the Run stops there.
	commit := func(o *seedOutcome) bool {
		t.Helper()
		seed := o.res.Seed
		logged := r.rep.seedLog(r.rep.add(o))
		if logged != "" {
			t.Log("simtest: " + logged)
		}
		if r.cfg.checkingReplay {
			t.Log(endedLine(o))
		}
		sr := seedResult(o)
		sr.Place = r.placeOf(seed)
		// A kept seed's place is negative, but so may be that of a
		// replayed seed not of the test's sequence.
		keptSeed := !o.skippedOnly() && o.tl.recipe() == "" && slices.Contains(r.kept, seed)
		if keptSeed {
			o.keptFile = r.keptFile(seed)
			sr.Kept = filepath.ToSlash(o.keptFile) // one form on every OS, for a merge of shards
			if trace, traced := keptTrace(o.keptFile); traced && trace != o.res.Trace {
				o.keptMoved, sr.KeptMoved = true, true
			}
		}
		if out != nil || r.seen != nil {
			// A map a seed, made only for the results file and Simulate's
			// PerSeed, which read it.
			sr.Faults = o.faults.seedKinds()
		}
		if sr.Outcome == OutcomeFail {
			sr.Replay = r.replayFor(o)
			if logged != "" && r.rep.keepGoing {
				// The seeds' lines stream under -v: a failing one's replay
				// line comes with it, not only at the Run's end, which a
				// job cancelled or cut off never reaches.
				t.Logf("simtest: seed %d failed: %s\n    replay: %s", seed, sr.FirstFailure, sr.Replay)
			}
			if !checked && (!keptSeed || !r.rep.keepGoing) {
				// Before the results line is written, which records it.
				checked = true
				o.replayCheck = r.checkReplay(o)
				sr.ReplayCheck, _, _ = strings.Cut(o.replayCheck, "\n")
				if stopped != nil && o.replayCheck != "" {
					// The report tells the first failing seed's story, a
					// kept one's: this one's check is told here.
					t.Logf("simtest: seed %d, the first failing seed not kept in %s: %s", seed, keepDir, o.replayCheck)
				}
			}
			if r.rep.keepGoing && len(r.rep.failingWhy) < maxListedFailing {
				r.rep.failingWhy = append(r.rep.failingWhy, sr)
			}
			if r.rep.keepGoing {
				r.rep.failGroups.add(sr)
			}
			if r.cfg.asserts.jsonPath != "" && len(r.failing) < maxJSONFailing {
				r.failing = append(r.failing, sr)
			}
		}
		out.add(sr)
		if r.seen != nil {
			r.seen(sr)
		}
		if r.cfg.verbose && o.s != nil && len(o.s.logs) > 0 {
			t.Logf("simtest: seed %d log:\n    %s", seed, strings.Join(o.s.logLines(), "\n    "))
			o.logShown = true
		}
		if ra := r.asserts; ra != nil && o.timeline != nil && !ra.timelineKept {
			ra.timeline, ra.timelineSeed, ra.timelineRecipe, ra.pic = o.timeline, seed, o.tl.recipe(), o.pic
		}
		if keptSeed {
			r.keptRan(o)
			r.rep.addKept(seed)
		}
		if !o.skippedOnly() && r.exp.runningKept() && o.tl.recipe() != "" {
			r.keptRecipeRan(o)
		}
		if r.cfg.replaySet && !o.skippedOnly() && r.fuzz == nil {
			r.replayedKept(o)
		}
		if stopped == nil && o.failed() && !r.exp.exploring() {
			// Kept now, not at the Run's end: a Run cut off before its
			// end (Ctrl-C, an out-of-memory kill) has kept it.
			kept = r.keep(o, sr.Replay)
		}
		if r.cfg.replaySet && r.cfg.keepReplay && !o.skippedOnly() && !o.failed() {
			t.Log(keptNothing(seed))
		}
		if o.skippedOnly() || o.failed() {
			if stopped == nil || o.skippedOnly() {
				stopped = o
				r.asserts.timelineKept = true // the timeline file is this seed's
			}
			// A configuration error is the test's, not the seed's: every
			// seed would meet it.
			if !r.rep.keepGoing || o.skippedOnly() || o.s != nil && o.s.config != nil || overtime(o) {
				r.cut = true
				r.stoppedAtFailure(o)
				return true
			}
		}
		if r.deadline.near(o.wall, r.restOfRun(start)) {
			r.stoppedBy, r.cut = stoppedByTimeout, true
			return true
		}
		if r.interrupts.came() {
			r.stoppedBy, r.cut = stoppedByInterrupt, true
			return true
		}
		return r.stopIterating(o, r.rep.seeds)
	}
	if r.parallel() {
		r.pinCrypto(baseSeedFor(t.Name()), true)
	}
	switch {
	case r.exp.exploring():
		r.explore(commit)
	case r.parallel():
		r.runParallel(r.withKept(r.seeds()), commit)
	default:
		for seed := range r.withKept(r.seeds()) {
			t.Helper() // the loop's body is a function of its own
			if commit(r.runSeed(seed)) {
				break
			}
		}
	}
	r.rep.wall = time.Since(start) - r.checkWall
	leftover, left := r.leftover()
	r.rep.notes = r.cfg.shardLine() + r.iterationLine() + leftover + unmatchedLine(r.cfg.wallClock, r.rep.allowedHit) + r.leftLine()
	if err := r.exp.fits(); err != nil {
		t.Error(err)
	}
	if r.stoppedBy == stoppedByTimeout {
		t.Error(timeoutError(r.rep.seeds, r.plannedSeeds(), r.deadline.window, r.exp.exploring()))
	}
	if r.stoppedBy == stoppedByInterrupt {
		t.Error(interruptError(r.interrupts.got, r.rep.seeds, r.plannedSeeds(), r.exp.exploring()))
	}
	if stopped != nil && stopped.failed() {
		seed := stopped.res.Seed
		replay := r.replayFor(stopped)
		r.windowAt(stopped)
		r.tookAlone(stopped)
		stopped.guess = r.viaTGuess(stopped)
		t.Error(failureReport(stopped, r.failedName(seed), replay))
		if r.exp.exploring() {
			kept = r.keep(stopped, replay)
		}
	}
	if kept != "" {
		t.Log(kept)
	}
	r.closeAssertions(stopped)
	if stopped == nil || !stopped.failed() {
		if e := r.rep.noChaosError(); e != "" {
			t.Error(e)
		}
	}
	for _, e := range []string{left, r.rep.waitedError()} {
		if e != "" {
			r.rep.wallFail = true
			r.rep.wallFailures = append(r.rep.wallFailures, e)
			t.Error(e)
		}
	}
	if out != nil {
		if r.stoppedBy != stoppedByInterrupt {
			out.summary(r.summaryRecord())
		}
		if err := out.close(); err != nil {
			t.Error(err)
		} else {
			t.Logf("simtest: wrote the results to %s", out.path)
		}
	}
	r.runAfterResults()
	t.Log(r.summaryLog())
	if s := r.exp.summary(r.rep.verbose, everyMarkHint(r.outside, r.cfg.quiet)); s != "" {
		t.Log(s)
	}
	switch {
	case stopped == nil:
	case stopped.skippedOnly():
		stopped.s.skipTest(t)
	case stopped.res.Goexit:
		t.FailNow() // a task called FailNow on the real test: honour it
	}
}

// tookAlone records what o's run again alone found (o.aloneRun), for the
// results file's summary and under o in the JSON report's failing seeds
// and Simulate's PerSeed (putAlone).
func (r *runner) tookAlone(o *seedOutcome) {
	if o.aloneRun == nil {
		return
	}
	r.alone, r.aloneSeed, r.aloneRecipe = o.aloneRun, o.res.Seed, o.tl.recipe()
	r.putAlone(r.failing)
}

// putAlone gives the Run's run again alone (tookAlone), if any, to its
// seed among results, seeds' results committed before that run: the first
// failing one of that seed and timeline.
func (r *runner) putAlone(results []SeedResult) {
	if r.alone == nil {
		return
	}
	for i := range results {
		sr := &results[i]
		if sr.Seed == r.aloneSeed && sr.Recipe == r.aloneRecipe && sr.Outcome == OutcomeFail {
			sr.Alone = r.alone
			return
		}
	}
}

// lateReports counts the failures given to the test by runs that had
// ended: an S told after its seed ended, a stray call after it.
func (r *runner) lateReports() uint64 {
	return r.after.reported.Load() + r.late.reported.Load()
}

// runSeed runs seed with its assertions counted in a book of its own,
// merged into the Run's book, as a worker's seeds are (parallel.go): what
// a seed reports of its assertions depends on that seed alone, and the
// Run's table is the same on one worker or many.
func (r *runner) runSeed(seed uint64) *seedOutcome {
	ra := r.runAsserts()
	book := tally.New(ra.sites)
	o := r.runSeedOn(seed, r.workers, book, r.exp.replayRun())
	ra.book.Merge(book)
	return o
}

// runSeedOn runs seed on task goroutines from pool, its assertions
// counted in book.
func (r *runner) runSeedOn(seed uint64, pool *sim.Workers, book *tally.Book, tl *timelineRun) *seedOutcome {
	r.initAfter()
	wasFailed, late := r.t.Failed(), r.lateReports()
	start := time.Now()
	var plan *sim.ChunkPlan
	if r.cfg.check {
		// The first run keeps its steps while they are few, then a hash
		// of each step, and one of each chunk of steps.
		plan = &sim.ChunkPlan{Hold: -1, Keep: sim.KeepSteps, Hashes: sim.SumSteps}
	}
	o := r.onceOn(seed, plan, pool, book, false, tl, nil)
	defer func() {
		if !r.cfg.zeroWall {
			o.wall = time.Since(start)
		}
	}()
	// A failure of the test itself while the seed ran (either time, under
	// CheckDeterminism) is the seed's, unless it was an S of an earlier
	// seed speaking up (late.go) or a stray call into an earlier seed's
	// world (stray.go).
	defer func() { o.viaT = !wasFailed && r.t.Failed() && r.lateReports() == late }()
	if !r.cfg.check || o.res.Goexit || overtime(o) {
		return o
	}
	if o.unchecked = givenUpUnchecked(o); o.unchecked != "" {
		return o
	}
	// The same run again: a book of its own, dropped after, so that the
	// seed counts once.
	again := r.onceOn(seed, &sim.ChunkPlan{Details: true, Ref: o.res.Record.Chunks, Hold: -1}, pool, tally.New(r.runAsserts().sites), true, tl, nil)
	if overtime(again) {
		// Stopped short as go test's -timeout came near: it ran fewer
		// steps, which tells nothing of the seed's determinism.
		o.unchecked = "not checked for determinism: its second run was stopped as go test's -timeout came near"
		o.res.Record = sim.Recording{}
		return o
	}
	o.again = max(again.res.Steps+again.res.Events, 1)
	if o.res.Trace != again.res.Trace || o.res.Data != again.res.Data {
		o.diverge = r.divergence(seed, o.res.Record, again.res.Record, pool, tl)
		if o.diverge == "" {
			o.diverge = fmt.Sprintf("the hashes differ (trace %016x, then %016x; data %016x, then %016x) though every recorded step agrees",
				o.res.Trace, again.res.Trace, o.res.Data, again.res.Data)
		}
		o.diverge += r.cryptoNote(o.cryptoReads)
	} else if first, second := endedAs(o), endedAs(again); first != second {
		// Every step agreed, yet one run failed and the other did not, or
		// each failed its own way: the replay line would not replay it.
		o.diverge = fmt.Sprintf("every step agrees, but the runs ended differently\n  first run:  %s\n  second run: %s", first, second)
		o.sameSteps, o.byTime = true, timedOutIn(o, again)
		o.diverge += r.cryptoNote(o.cryptoReads)
	} else if i, first, second := laterErrorDiffers(o, again); i > 0 {
		// The same first failure, and another message after it: a
		// value that no seed decides made it, which a replay would not
		// show as the sweep did.
		o.diverge = fmt.Sprintf("every step agrees, and the runs ended differently: %s\n  first run:  %s\n  second run: %s", laterErrorWords(i), first, second)
		o.sameSteps, o.byTime = true, timedOutIn(o, again)
		o.diverge += r.cryptoNote(o.cryptoReads)
	}
	o.res.Record = sim.Recording{}
	return o
}

// chunksUnlessFuzzing is the ChunkPlan of a run that records for a
// determinism check: none for a fuzz input's run, which keeps every step
// for its coverage (fuzzInput.observe), and is short.
func chunksUnlessFuzzing(record *sim.ChunkPlan, fuzzing bool) *sim.ChunkPlan {
	if fuzzing {
		return nil
	}
	return record
}

// divergenceRuns bounds how many more runs of a seed divergence makes.
const divergenceRuns = 3

// divergence describes where the two runs of seed, which recorded first
// and second, part, or returns "" when every step they recorded agrees.
// The first run kept its first steps whole, a hash of each of those
// after, and a hash of each chunk of its steps; the second, the steps of
// the first chunk that differs (and of the one before it, for context).
// Where the first run kept its steps, they tell the divergence. Past
// them, a run again of the seed that agrees with the first run's hashes
// up to that chunk, and holds its steps there, stands for the first run,
// whose steps it then has: what the check keeps does not grow with the
// seed's length. A run again that departs from the first run's hashes
// before, or there, is a divergence too, the earliest known, and the next
// run again holds its chunk. When no run again takes the first run's
// path, the first run's step hashes still name the step.
func (r *runner) divergence(seed uint64, first, second sim.Recording, pool *sim.Workers, tl *timelineRun) string {
	if !second.Windowed() {
		return sim.Diverge(first, second) // whole records
	}
	if second.Held < 0 {
		return ""
	}
	if msg, lines := sim.DivergeKept(first, second); lines {
		return msg
	}
	other, asSecond, stopped := second, true, false
	for range divergenceRuns {
		again := r.onceOn(seed, &sim.ChunkPlan{Details: true, Ref: first.Chunks, Hold: other.Held}, pool, tally.New(r.runAsserts().sites), true, tl, nil)
		rec := again.res.Record
		if overtime(again) || again.res.Goexit {
			stopped = true
			break
		}
		if !rec.Departs {
			return sim.Diverge(rec, other)
		}
		asSecond = asSecond && slices.Equal(rec.Chunks, second.Chunks)
		other = rec
	}
	note := ""
	if asSecond && !stopped {
		note = fmt.Sprintf("\n  the first run differs from every later run (the second and %d runs again), which all took one path: state kept from the first run (a package variable, a sync.Once, a cache, a sync.Pool) is the likely cause", divergenceRuns)
	}
	if msg, _ := sim.DivergeKept(first, other); msg != "" {
		return msg + note
	}
	from := other.Held * sim.ChunkSteps
	to := min(from+sim.ChunkSteps, max(first.Len, other.Len)) - 1
	if stopped {
		return fmt.Sprintf("the runs part in steps %d to %d (the hash of those steps differs); a run again of the seed that would show the first run's steps there was cut short", from, to)
	}
	if asSecond {
		return fmt.Sprintf("the runs part in steps %d to %d (the hash of those steps differs)%s", from, to, note)
	}
	return fmt.Sprintf("the runs part in steps %d to %d (the hash of those steps differs), and the runs again of the seed that would show the first run's steps there parted from it too, at or before them",
		from, to)
}

// timedOutIn reports whether either run reported an error from a check
// that real time cut short.
func timedOutIn(a, b *seedOutcome) bool {
	return a.s != nil && a.s.timedOut || b.s != nil && b.s.timedOut
}

// laterErrorDiffers finds the first of the errors the two runs of a seed
// reported through S that differs, past the first, which endedAs
// compares: its index and the two errors, a missing one told as such; 0
// when none differs.
func laterErrorDiffers(a, b *seedOutcome) (int, string, string) {
	if a.s == nil || b.s == nil {
		return 0, "", ""
	}
	ea, eb := a.s.errs, b.s.errs
	at := func(errs []string, i int) string {
		if i < len(errs) {
			return failureLine(errs[i])
		}
		return "(no such error)"
	}
	for i := 1; i < max(len(ea), len(eb)); i++ {
		if x, y := at(ea, i), at(eb, i); x != y {
			return i, x, y
		}
	}
	return 0, "", ""
}

// laterErrorWords says that error i+1 (laterErrorDiffers) is the first
// of two runs' errors to differ.
func laterErrorWords(i int) string {
	if i > 1 {
		return fmt.Sprintf("the first %d errors are the same in both, error %d is not", i, i+1)
	}
	return "the first error is the same in both, the second is not"
}

// endedAs is how a run of a seed ended, as the determinism check compares
// two runs: "passed", "was skipped", or "failed with" its first failure.
// The watchdog's failures, and a deadline on the wall clock, are told by
// their kind, task and time, without their message, which tells real time
// (a block's length, the deadline).
func endedAs(o *seedOutcome) string {
	var f *sim.Failure
	switch {
	case o.skippedOnly():
		return "was skipped"
	case !o.failed():
		return "passed"
	case (o.s == nil || o.s.config == nil && len(o.s.errs) == 0) && errors.As(o.res.Err, &f) &&
		(f.Kind == sim.Busy || f.Kind == sim.Escaped || f.Kind == sim.Unseen || f.Kind == sim.WallDeadline):
		return fmt.Sprintf("failed with %s at %v in task %q", f.Kind, f.At, f.Task)
	}
	if first := firstFailure(o); first != "failed" {
		return "failed with " + first
	}
	return "failed"
}

// replayOf is the replay line of seed, for a Run; a fuzz input has none.
func (r *runner) replayOf(seed uint64) string {
	if r.fuzz != nil {
		return ""
	}
	if line := r.replayTimeline(); line != "" {
		return line
	}
	return r.lineOf(newReplayer(), seed, "")
}

// lineOf is the replay line of a run of seed, or of the exploration
// timeline recipe when it is not "" (a timeline that branched from the
// seed's own run): a go test command, or outside go test the option.
func (r *runner) lineOf(rp replayer, seed uint64, recipe string) string {
	switch {
	case recipe != "" && r.outside:
		return fmt.Sprintf("simtest.ReplayRecipe(%q)", recipe)
	case recipe != "":
		return rp.line(r.t.Name(), "-simrecipe="+recipe)
	case r.outside:
		return fmt.Sprintf("simtest.Replay(%d)", seed)
	}
	return rp.line(r.t.Name(), simseedArg(seed))
}

// givenUpUnchecked says why a seed the watchdog gave up is not run a
// second time, or returns "" for a seed it did not give up. Its task has
// not come back (it may wait, or compute, until the test binary exits),
// and Go cannot stop it: a second run would leave a second such goroutine
// behind, and be given up at the same trace.
func givenUpUnchecked(o *seedOutcome) string {
	if !o.givenUp {
		return ""
	}
	how := "blocked outside the simulation"
	var f *sim.Failure
	switch {
	case !errors.As(o.res.Err, &f):
	case f.Kind == sim.Busy:
		how = "busy"
	case f.Kind == sim.Unseen:
		how = "did not return to the simulation, and its stack could not be taken"
	case f.Kind == sim.Stray:
		how += " (waiting for a goroutine that its stray call ended)"
	}
	return "not checked for determinism: the watchdog gave the seed up, its task " + how +
		"; a second run would leave behind a second goroutine that Go cannot stop"
}

func (r *runner) initAfter() {
	if r.after == nil {
		r.after = newAfterSeeds(r.t, func(seed uint64, recipe string) string {
			if r.fuzz != nil {
				return ""
			}
			return r.lineOf(newReplayer(), seed, recipe)
		})
	}
}

func (r *runner) once(seed uint64) *seedOutcome {
	return r.onceOn(seed, nil, r.workers, r.runAsserts().book, false, r.exp.replayRun(), nil)
}

// onceOn runs seed once, on task goroutines from pool, its assertions
// counted in book; record, when set, is what the run records of its
// steps for a determinism check, which hashes data too; checking marks a run again of the seed (the
// determinism check's, or windowAt's); tl, when set, is the exploration
// timeline the seed's run is; win, when set, is the window the run
// keeps, else one around the first failure.
func (r *runner) onceOn(seed uint64, record *sim.ChunkPlan, pool *sim.Workers, book *tally.Book, checking bool, tl *timelineRun, win *window) *seedOutcome {
	r.initAfter()
	w := sim.New(sim.Config{
		Seed:               seed,
		Decisions:          r.fuzz.decisions(),
		Branches:           tl.branches(),
		TimeBudget:         r.cfg.timeBudget,
		MaxStepsPerInstant: r.cfg.maxSteps,
		Record:             record != nil || r.fuzz.recording(),
		Chunks:             chunksUnlessFuzzing(record, r.fuzz.recording()),
		HashData:           record != nil,
		Timeline:           r.cfg.asserts.tail,
		Workers:            pool,
		NameTasks:          r.cfg.nameTasks,
		StopBy:             r.stopBy(),
		MaxWallPerInstant:  r.maxStill(),
	})
	tl.begin(w)
	if !r.parallel() {
		r.pinCrypto(seed, false)
	}
	r.beginCrypto(w, tl.branches())
	obs := r.observe(w, seed, book, checking, win)
	r.late.watch(r.t, w, seed, tl.recipe(), func() string { return r.lineOf(newReplayer(), seed, tl.recipe()) })
	o := &seedOutcome{}
	// As runSeedOn takes a failure of the test's T for the seed's, so
	// does the S's Failed.
	wasFailed, late := r.t.Failed(), r.lateReports()
	wasSkipped := testingSkipped(r.t)
	viaT := func() bool { return !wasFailed && r.t.Failed() && r.lateReports() == late }
	// The S is made here, not by the driver: when the watchdog gives the
	// seed up, the Run reads it (runGivenUp) while the driver may not
	// have come back from the step that filled it in; began, set once
	// o.s is, orders the driver's writes before the Run's reads.
	s := &S{tb: r.t, w: w, seed: seed, recipe: tl.recipe(), after: r.after, viaT: viaT, id: r.sCount.Add(1), again: checking}
	w.SetTestSide(s) // for ChaosContext, which has only a context
	if r.fuzz == nil {
		s.workers = r.cfg.workers
	}
	var began atomic.Bool
	o.res = w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		// The driver's context ends before the cleanups run, as a test's.
		sctx, cancel := w.WithCancel(ctx)
		s.p, s.ctx = p, sctx
		o.s = s
		began.Store(true)
		obs.attach(s)
		s.progress = r.progressHook(tl)
		if r.cfg.plateau > 0 && s.progress == nil {
			s.progress = func(p tally.Progress) { o.signals = append(o.signals, p.Sig) }
		}
		s.seedChaos(r.cfg.chaos)
		s.attachNetwork()
		s.p.Storage = s.Storage()
		s.p.Logger = s.Logger()
		for _, setup := range r.cfg.devices {
			setup(s)
		}
		defer s.flushOutput() // after the cleanups, which may write too
		defer func() {
			cancel()
			s.runCleanups()
		}()
		r.body(s)
		return nil
	}, r.cfg.watchdog)
	o.cryptoReads = r.endCrypto(w)
	o.givenUp = w.Abandoned()
	if began.Load() {
		parallelInBody(s, o.res.Err)
		nestedInBody(s, o.res.Err)
		if !wasSkipped && testingSkipped(r.t) {
			skippedInBody(s, o.res.Err, r.body)
		}
	}
	if began.Load() {
		s.ended.Store(true)
		if w.Abandoned() {
			s.runGivenUp(pool.Stopped())
		}
	}
	obs.end()
	tl.ended(w)
	o.tl = tl
	o.res.Trace = tl.traceID(o.res.Trace)
	o.win, o.faults, o.byHand, o.unsyncedDirs, o.silent = obs.win, obs.faults, obs.byHand, obs.unsyncedDirs, obs.silent
	if !w.Abandoned() { // else a task that escaped may still use the disks
		o.faults[diskNoSpace] += s.noSpace()
		o.conns = s.notedConns(r.cfg.connsNoted)
		o.faults.addConns(o.conns)
	}
	o.reach = obs.reach
	if s.cluster != nil {
		o.reach.procs = len(s.cluster.procs)
		for _, p := range s.cluster.procs {
			if p.spec.Protected {
				o.reach.protected++
			}
		}
		paused := s.cluster.onlyPaused(s.chaos.Attrition)
		o.reach.pauseOnly = len(paused)
		o.reach.wipeable = s.cluster.wipeable(s.chaos.Attrition, paused)
		hosts := make([]string, len(s.cluster.procs))
		for i, p := range s.cluster.procs {
			hosts[i] = p.peer.Host
		}
		o.reach.endCuts(w.Now(), hosts)
		for _, seen := range s.cluster.injected {
			o.injected = append(o.injected, *seen)
		}
	}
	if obs.keep {
		obs.trimTimeline()
		o.timeline = obs.timeline
		o.pic = obs.picture()
	}
	r.fuzz.observe(&o.res)
	return o
}

// watchdogReplay is the replay line of a seed that the watchdog failed,
// when the Run's watchdog is not the default: the seed's own line with the
// watchdog (-simwatchdog, or outside go test the option), since under the
// default it would pass. It is "" for any other seed, and for a fuzz
// input's or an exploration timeline's.
func (r *runner) watchdogReplay(o *seedOutcome) string {
	if r.fuzz != nil || !r.cfg.watchdogSet || r.cfg.watchdog == DefaultWatchdog || !watchdogFailed(o) || r.replayTimeline() != "" {
		return ""
	}
	d := r.cfg.watchdog
	if r.outside {
		return fmt.Sprintf("simtest.Replay(%d), simtest.Watchdog(%s)", o.res.Seed, durationExpr(d))
	}
	return newReplayer().line(r.t.Name(), simseedArg(o.res.Seed)+" -simwatchdog="+d.String())
}

// watchdogFailed reports whether the watchdog failed o's seed: it gave the
// run up, or found a task busy.
func watchdogFailed(o *seedOutcome) bool {
	var f *sim.Failure
	return o.givenUp || errors.As(o.res.Err, &f) && f.Kind == sim.Busy
}

// durationExpr is d as Go source: 100*time.Millisecond, time.Second.
func durationExpr(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}} {
		if d%u.d == 0 {
			if d == u.d {
				return "time." + u.name
			}
			return fmt.Sprintf("%d*time.%s", d/u.d, u.name)
		}
	}
	return fmt.Sprintf("%d*time.Nanosecond", int64(d))
}

// skippedInBody takes a skip of the test's own testing.T, called while
// s's seed ran (t.Skip in the body, or a helper given t that skips), for
// the mistake of set-up it is, as a nested Run is: SkipNow ends the
// task it is called on, which the seed cannot tell from a failure, and
// every seed that gets there would meet it. The test fails, as it does
// for those, rather than skip: a skip would hide that the Run's seeds
// never ran, and the line to fix is named. The test's t is the Run's
// workers' alike, so seeds that ran at the same time see the skip too:
// only the seed whose task the skip ended (a Goexit) reports it, with its
// line, and, when the skip was in a helper the body called, the body's
// line that called it.
func skippedInBody(s *S, err error, body func(*S)) {
	var f *sim.Failure
	if s.config != nil || !errors.As(err, &f) || f.Kind != sim.Goexit {
		return
	}
	where := callerOfTesting(f.Stack)
	if at := bodyLine(f.Stack, body); at != "" && at != where {
		where += ", called from the body at " + at
	}
	s.config = &configErr{err: errors.New(outerSkipError), where: where}
	s.failed = true
}

// testingSkipped reports whether t, a test of package testing's, was
// skipped: there, SkipNow ends the goroutine it is called on. A
// testing.TB of another kind (a wrapper that keeps what a Run tells it)
// may leave Skipped to a nil testing.TB it embeds, and is not asked.
func testingSkipped(t testing.TB) bool {
	switch t := t.(type) {
	case *testing.T:
		return t.Skipped()
	case *testing.B:
		return t.Skipped()
	case *testing.F:
		return t.Skipped()
	}
	return false
}

// outerSkipError is the configuration error of the test's own t skipped
// inside the body.
const outerSkipError = "simtest: the test's own testing.T was skipped inside the Run's body (t.Skip, or a helper given the test's t that skips it); " +
	"its SkipNow ends the task it is called on, not the test, and the seed cannot tell that from a failure: " +
	"skip through the body's S instead (s.Skip, or give the helper s), which skips the whole test, or skip in the test function before simtest.Run"

// callerOfTesting is the line, "file.go:12", of the innermost frame of
// stack, a task's as a Failure holds it, outside package testing, the
// runtime and the simulation: the code that called the testing.T.
func callerOfTesting(stack string) string {
	return frameLine(stack, func(fn string) bool {
		return !strings.HasPrefix(fn, "testing.") && !strings.HasPrefix(fn, "runtime.") && !strings.Contains(fn, "moonpool/internal/")
	})
}

// parallelInBody takes a panic of testing.T's refusal of t.Parallel,
// called in the body on the test's own t, for the mistake of set-up it
// is: the Run pinned crypto/rand for the test (cryptotest.SetGlobalRandom),
// as it may set its environment, and testing.T refuses either in a
// parallel test. Every seed would meet it.
func parallelInBody(s *S, err error) {
	var f *sim.Failure
	if s.config != nil || !errors.As(err, &f) || f.Kind != sim.Panic || !strings.Contains(f.Msg, "can not use t.Parallel") {
		return
	}
	s.config = &configErr{err: errors.New("simtest: t.Parallel was called inside the Run's body; a Run pins crypto/rand to the seed for its test " +
		"(testing/cryptotest), which testing.T refuses in a parallel test: call t.Parallel in the test function, before simtest.Run"),
		where: panicSite(f.Stack)}
}
