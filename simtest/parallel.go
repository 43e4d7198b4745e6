package simtest

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/tally"
)

// MaxWorkers bounds the number of seeds a Run runs at once. Seeds are
// worlds that compute, each on one goroutine at a time: more workers than
// the machine has cores gain nothing, and a count past this bound is a
// mistake (a seed count given for a worker count).
const MaxWorkers = 1024

// Workers runs the Run's seeds on n workers at once (default 1: one seed
// after the other); the -simworkers flag overrides it. Seeds are
// independent worlds, so a Run on a machine of many cores runs n times as
// many seeds in the same time. What a passing Run reports does not change
// with n, but for the count its summary names when above 1 ("wall 8s on
// 2 workers"; workers in the -simjson report and the results file); a
// failing one adds what only several workers show (below): the
// same seeds, each with the same trace, results committed in seed
// order (a failure on a later seed never hides one on an earlier seed,
// and the Run stops at the first failing seed in seed order), the same
// assertion table, made of each seed's figures merged in seed order. The
// seeds after the one it stops at that are under way are dropped; one
// stuck outside the simulation is given up after a second, not the
// whole [Watchdog], and its goroutines (its task's, and the simulation's
// own for its world) outlive the Run until the task comes back: the
// summary names it, and where its task was stuck.
//
// A body must not share state between seeds, through a package variable
// or anything else its seeds reach: with more than one worker, seeds run
// at the same time and such state makes them differ from run to run.
// simvet's globalstate rule finds a package variable that a body or the
// code under test writes before anything runs. The determinism check
// (-simcheck, [CheckDeterminism]) finds such state when it runs on more
// than one worker, as a seed whose second run differs from its first; on
// one worker it may not (a body that resets the variable at each seed
// runs the same twice). A Run on several workers that fails runs its
// first failing seed again alone, after its seeds, and when that run
// passes or takes another path, the report says that the seed failed
// beside others and not alone: its replay line, which runs it alone, does
// not replay that failure.
//
// With more than one worker, a failure of the test's own testing.T (a
// t.Errorf from the body rather than s.Errorf) is charged to the first
// seed in seed order that was running when it happened: a guess, which the
// report names as one, with the seeds that were running; one worker pins
// it to the seed that made it. An exploration ([Explore]) runs a mark's
// children at once, and tells of its timelines both ways too. [Fuzz] runs its inputs one
// after the other, and refuses n > 1: go test -fuzz -parallel=n runs n
// fuzzing workers.
func Workers(n int) Option {
	return optionFunc(func(c *config) error {
		if err := checkWorkers(n, fmt.Sprintf("simtest.Workers(%d)", n)); err != nil {
			return err
		}
		c.workers = n
		return nil
	})
}

// checkWorkers says what is wrong with a worker count, given by what.
func checkWorkers(n int, what string) error {
	switch {
	case n < 1:
		return fmt.Errorf("%s: the worker count must be at least 1 (1 runs the seeds one after the other); give the number of seeds to run at once, such as runtime.GOMAXPROCS(0)", what)
	case n > MaxWorkers:
		return fmt.Errorf("%s: the worker count is at most simtest.MaxWorkers (%d); more workers than cores gain nothing: give at most runtime.GOMAXPROCS(0)", what, MaxWorkers)
	}
	return nil
}

// overCores is the note a Run logs when it runs its seeds on more workers
// than the process has cores (GOMAXPROCS, given): accepted, for a Run
// may be meant for a bigger machine, but said, with what it costs; ""
// otherwise.
func (r *runner) overCores(cores int) string {
	n := r.cfg.workers
	if !r.parallel() || n <= cores {
		return ""
	}
	give := fmt.Sprintf("-simworkers=%d", cores)
	if r.outside {
		give = fmt.Sprintf("simtest.Workers(%d)", cores)
	}
	return fmt.Sprintf("simtest: this Run runs %d seeds at once, and the process has %s (runtime.GOMAXPROCS(0)): "+
		"each worker holds a seed's world in memory, so memory grows with the workers, and the workers past the cores take turns on them, "+
		"which costs CPU in switching and garbage collection and gains no speed; give at most %d (%s)",
		n, plural.Count(cores, "core"), cores, give)
}

// parallel reports whether the Run runs its seeds on more than one
// worker (an exploration, its batches of timelines: explore.go). A
// replay of several seeds (-simseed=A,B,C) runs on the workers as the
// test's seeds do, so that failing seeds replayed together run beside
// one another again; a replay of one seed, and a fuzz input, is one seed.
func (r *runner) parallel() bool {
	return r.cfg.workers > 1 && r.fuzz == nil && (!r.cfg.replaySet || len(r.cfg.replays) > 1)
}

// seedDone is a seed run by a worker: its place in the Run, its outcome
// and its own book.
type seedDone struct {
	i    int
	o    *seedOutcome
	book *tally.Book
}

// runParallel runs seeds on the Run's workers and hands their outcomes
// to commit in seed order, until commit says the Run stops there. Seeds
// after that one may have run already: their outcomes, books and
// timelines are dropped, as if they had not run. At most two seeds per
// worker are ahead of the last one committed, so that a slow seed does
// not make the Run hold the outcomes of all the seeds after it.
func (r *runner) runParallel(seeds iter.Seq[uint64], commit func(*seedOutcome) bool) {
	r.t.Helper()
	n := r.cfg.workers
	ra := r.runAsserts()
	r.initAfter()
	jobs := make(chan seedDone, 2*n)
	done := make(chan seedDone, 2*n)
	// Each worker lends its seeds the goroutines of its own earlier
	// seeds: worlds that run at once share nothing.
	pools := make([]*sim.Workers, n)
	var wg sync.WaitGroup
	for i := range n {
		pools[i] = r.newWorkers()
		wg.Add(1)
		go func(pool *sim.Workers) {
			defer wg.Done()
			defer pool.Close()
			for j := range jobs {
				j.book = tally.New(ra.sites)
				j.o = r.runSeedOn(j.o.res.Seed, pool, j.book, nil)
				j.o.workers = n
				done <- j
			}
		}(pools[i])
	}
	next, sent := 0, 0
	stop := false
	during := seedsWhere{is: func(o *seedOutcome) bool { return o.viaT }}
	left := seedsWhere{is: func(o *seedOutcome) bool { return o.givenUp }}
	defer func() { r.viaTSeeds, r.left = during.sorted(), left.sorted() }()
	pending := make(map[int]seedDone)
	pull, end := iter.Pull(seeds)
	defer end()
	for {
		for !stop && sent-next < 2*n {
			seed, ok := pull()
			if !ok {
				stop = true
				break
			}
			jobs <- seedDone{i: sent, o: &seedOutcome{res: sim.Result{Seed: seed}}}
			sent++
		}
		if next == sent {
			break
		}
		d := <-done
		during.see(d)
		pending[d.i] = d
		for {
			d, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			ra.book.Merge(d.book)
			if commit(d.o) {
				stop = true
				sent = next // drop the seeds after: receive them below
				// A seed after this one stuck outside the simulation is
				// not waited for the whole watchdog.
				for _, p := range pools {
					p.Stop()
				}
				break
			}
		}
		if stop && next == sent {
			break
		}
	}
	// Seeds that ended after the one the Run stopped at are dropped; one
	// that the watchdog or the Run's stop gave up is told of (leftLine).
	for i, d := range pending {
		if i >= next {
			left.see(d)
		}
	}
	// Seeds not yet started after the Run stopped are not run.
	for drained := false; !drained; {
		select {
		case <-jobs:
		default:
			drained = true
		}
	}
	close(jobs)
	// Seeds still running after the Run stopped end before Run returns,
	// and with them their goroutines; but for a task stuck outside the
	// simulation, whose seed its pool's Stop gave up.
	go func() { wg.Wait(); close(done) }()
	for d := range done {
		during.see(d)
		left.see(d)
	}
}

// seedsWhere are the seeds of a Run on several workers that ended as
// one of its fields says, kept in seed order: those it started beside
// the one it stopped at and gave up, their task stuck outside the
// simulation (seedOutcome.givenUp: their goroutines, the task's and the
// simulation's own for its world, outlive the Run until the task comes
// back), or those running when the test's own testing.T was marked
// failed (seedOutcome.viaT: the failure is charged to the first in seed
// order, but any of them may have made it).
type seedsWhere struct {
	is    func(*seedOutcome) bool
	seeds []seedDone
}

// see takes d into v if it is one of v's.
func (v *seedsWhere) see(d seedDone) {
	if v.is(d.o) {
		v.seeds = append(v.seeds, d)
	}
}

// sorted is v's seeds in seed order.
func (v *seedsWhere) sorted() []seedDone {
	slices.SortFunc(v.seeds, func(a, b seedDone) int { return a.i - b.i })
	return v.seeds
}

// stuckAt is where a stack, a task's as a Failure holds it, was stuck:
// its innermost frame, "time.Sleep, time.go:363", and when that is the
// standard library's, the first frame of other code that called it; ""
// for an empty stack.
func stuckAt(stack string) string {
	var first string
	for _, f := range sim.StackFrames(stack) {
		at := f.Func + ", " + shortFile(f.Loc)
		switch {
		case first == "":
			first = at
			if !sim.StdlibFunc(f.Func) {
				return first
			}
		case !sim.StdlibFunc(f.Func):
			return first + ", called from " + at
		}
	}
	return first
}

// leftLine is the report's line of the seeds the Run gave up after it
// stopped (seedsWhere), or "": the first with its task and where it was
// stuck, when known.
func (r *runner) leftLine() string {
	if len(r.left) == 0 {
		return ""
	}
	d := r.left[0]
	where := ""
	var f *sim.Failure
	if errors.As(d.o.res.Err, &f) && f.Task != "" {
		where = fmt.Sprintf(" (task %q", f.Task)
		if at := stuckAt(f.Stack); at != "" {
			where += " in " + at
		}
		where += ")"
	}
	seeds := fmt.Sprintf("seed %d", d.o.res.Seed)
	if n := len(r.left); n > 1 {
		seeds = fmt.Sprintf("%d seeds, the first %d", n, d.o.res.Seed)
	}
	return fmt.Sprintf("\n    %s, run beside the seed the Run stopped at, %s stuck outside the simulation when the Run stopped%s, "+
		"and %s given up: %s goroutines, the task's and the simulation's own for its world, outlive the Run until the task comes back "+
		"(goleak finds them); nothing else of %s is reported",
		seeds, pluralWord(len(r.left), "was", "were"), where, pluralWord(len(r.left), "was", "were"),
		pluralWord(len(r.left), "its", "their"), pluralWord(len(r.left), "it", "them"))
}

// viaTGuess is what the report of o, a seed charged with a failure of the
// test's own testing.T on several workers, adds: that the charge is a
// guess among the seeds that were running then, which it names, with the
// one whose task called FailNow on it if one did; "" for any other seed.
func (r *runner) viaTGuess(o *seedOutcome) string {
	if !o.viaT || o.workers < 2 || len(r.viaTSeeds) < 2 {
		return "" // one seed running then: the charge is certain
	}
	unit, order := "seed", "seed order"
	if r.exp.exploring() {
		unit, order = "timeline", "the batch's order"
	}
	var seeds []string
	var ended string // a seed whose task the test's FailNow ended
	for _, d := range r.viaTSeeds {
		seeds = append(seeds, runID(d.o))
		var f *sim.Failure
		if ended == "" && d.o.res.Goexit && errors.As(d.o.res.Err, &f) {
			ended = fmt.Sprintf("; %s %s's task %q called FailNow on the test's testing.T (%s at %v), so the failure is likely that %s's",
				unit, runID(d.o), f.Task, f.Kind, f.At, unit)
		}
	}
	running := unit + " " + seeds[0] + " was"
	if len(seeds) > 1 {
		running = unit + "s " + strings.Join(seeds, ", ") + " were"
	}
	return fmt.Sprintf("this %s is a guess: the Run ran %d %ss at once, %s running when the test's testing.T was marked failed, "+
		"and a failure of the test's own testing.T is charged to the first of them in %s%s; "+
		"on one worker (%s) the %ss run one at a time, which pins it to the %s that made it",
		unit, o.workers, unit, running, order, ended, r.workersLine(1), unit, unit)
}

// runID names o's run as a report lists it: its seed, or under an
// exploration its timeline's recipe, which is the seed for a root.
func runID(o *seedOutcome) string {
	if o.tl != nil {
		return o.tl.rec.String()
	}
	return strconv.FormatUint(o.res.Seed, 10)
}

// runsAlone reports whether the Run runs o, its first failing seed, again
// alone after its seeds (windowAt), in this process, as one worker would
// run it: o ran beside other seeds, and a seed that fails beside others
// and not alone shares state with them (a package variable), which no
// replay line shows, for a replay runs its seed alone. It costs one seed,
// on failure only. A seed that failed through the test's own testing.T,
// which no run again can tell once the test has failed, does not run
// again.
func (r *runner) runsAlone(o *seedOutcome) bool {
	return o.workers > 1 && !o.viaT
}

// aloneOnce runs seed again, counting nowhere (windowAt); alone, as one
// worker runs it: crypto/rand pinned for this seed alone. The Run's note
// on crypto/rand (cryptoNote) still tells of the Run's seeds.
func (r *runner) aloneOnce(seed uint64, alone bool, tl *timelineRun, win *window) *seedOutcome {
	if !alone || !r.parallel() {
		return r.onceOn(seed, nil, r.workers, tally.New(r.runAsserts().sites), true, tl, win)
	}
	shared := r.crypto != nil && r.crypto.shared
	r.pinCrypto(seed, false)
	again := r.onceOn(seed, nil, r.workers, tally.New(r.runAsserts().sites), true, tl, win)
	r.crypto.shared = shared
	return again
}

// tellAlone compares o, a seed that failed beside other seeds, with
// again, its run alone, and reports whether they differ: again passed, or
// took another path, or ended otherwise. Then o.alone says so.
func (r *runner) tellAlone(o, again *seedOutcome) bool {
	first, second := endedAs(o), endedAs(again)
	var found string
	switch {
	case again.givenUp || overtime(again):
		return false // it did not end: nothing to compare
	case timedOutIn(o, again):
		return false // a check cut by real time, not by other seeds (cutByRealTime)
	case again.res.Trace == o.res.Trace && first == second:
		return false
	case again.res.Trace == o.res.Trace:
		found = fmt.Sprintf("it took the same path (trace %016x) and %s", o.res.Trace, strings.TrimPrefix(second, "was "))
	default:
		found = fmt.Sprintf("it took another path (trace %016x, not %016x) and %s", again.res.Trace, o.res.Trace, strings.TrimPrefix(second, "was "))
	}
	sr := seedResult(again)
	o.aloneRun = &AloneRun{Trace: again.res.Trace, Outcome: sr.Outcome, FirstFailure: sr.FirstFailure}
	n := o.workers
	alone := "not alone"
	if again.failed() {
		alone = "otherwise alone"
	}
	crypto := ""
	if r.crypto != nil && r.crypto.shared {
		crypto = ", or the crypto packages' own randomness (key generation, signatures), one stream for the Run's seeds on several workers and the seed's own alone"
	}
	// A timeline of an exploration is told as one, by its recipe.
	unit, name := "seed", fmt.Sprintf("seed %d", o.res.Seed)
	if o.tl != nil {
		unit, name = "timeline", "timeline "+runID(o)
	}
	o.alone = fmt.Sprintf("%s failed beside other %ss on %d workers, and %s: run again alone after the Run's %ss, in this process, %s. "+
		"So the %ss most likely share state, such as a package variable that the body or the code under test writes "+
		"(simvet's globalstate rule finds it before running)%s; "+
		"the replay line, which runs the %s alone, does not replay this failure. "+
		"The test's %ss on %d workers (%s) run it beside others again, where it may fail on another %s; on one worker (%s) they run apart, "+
		"and with -simcheck each %s runs twice alone, which tells a %s that is not deterministic on its own",
		name, unit, n, alone, unit, found, unit, crypto, unit, unit, n, r.workersLine(n), unit, r.workersLine(1), unit, unit)
	return true
}

// workersLine is the line that runs the test's seeds on n workers: a go
// test command, or outside go test the option.
func (r *runner) workersLine(n int) string {
	if r.outside {
		return fmt.Sprintf("simtest.Workers(%d)", n)
	}
	return newReplayer().line(r.t.Name(), fmt.Sprintf("-simworkers=%d", n))
}
