package simtest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simnet"
)

// report gathers the figures of a Run. It keeps the lines of the first and
// last few seeds, not of every seed, so that a Run of many seeds does not
// grow with them.
type report struct {
	seeds, passed, failed int
	// skipped counts the seeds that skipped the test; skipCall is the
	// first one's call of Skip, and where, if known.
	skipped  int
	skipCall string
	wall     time.Duration
	// workers is how many seeds the Run ran at once, when more than one:
	// its wall and rates are those of as many cores.
	workers       int
	simTime       time.Duration
	steps, events uint64
	trace         uint64 // the seeds' traces folded together
	assertions    string // the assertion table (assert_report.go)
	// verbose is set when the seeds' lines are logged as they end: the
	// summary then repeats none. verboseMax, when not 0, is how many are:
	// the seeds after them go to last, for the summary.
	verbose    bool
	verboseMax int
	// verboseBy names what made go test verbose, for the note at
	// verboseMax: -json implies -v, and a reader who gave -json did not
	// give -v.
	verboseBy string
	first     []string // the first seeds' lines
	last      []string // a ring of the last seeds' lines, the oldest at lastN%reportEnds
	lastN     int      // the lines put in last
	// keepGoing is set when the Run went past failing seeds: the summary
	// lists failingWhy, the first maxListedFailing of them, each with its
	// first failure and replay line. The Run (or the merge) fills it.
	keepGoing  bool
	failingWhy []SeedResult
	// failGroups sorts every failing seed by where its first failure
	// was, which the summary tells when the failures fell in several
	// places: a sweep's failure rate says nothing of how many bugs.
	failGroups failureGroups
	// kept is the seeds kept under testdata that ran among the seeds: the
	// summary says how many, and marks those that failed (keptLine).
	kept map[uint64]bool
	// gapsFail counts the coverage gaps that fail the test, which the
	// summary's first line tells: its counts of seeds alone would read as
	// a pass.
	gapsFail int
	// wallFail is set when code that kept the wall clock fails the test
	// (leftover, waitedError), which the summary's first line tells;
	// wallFailures are those failures, for the results file, whose merge
	// fails on them too.
	wallFail     bool
	wallFailures []string
	// wallClock is the Run's AllowWallClock: waits in these functions
	// are not counted in waited.
	wallClock []string
	// allowedHit marks the functions of wallClock that let a wait or a
	// goroutine be (unmatchedLine).
	allowedHit map[string]bool
	zeroWall   bool // wall-clock figures are written as zero (config.zeroWall)
	// chaos is the Run's chaos configuration, told in the summary when
	// a seed booted processes (clustered); a merge of shards' results
	// has the line they wrote instead (merged).
	chaos     chaos.Config
	clustered bool
	// chaosRan is set when a seed reached the run phase of Cluster.Run,
	// where attrition reboots: a Run that boots processes and drives
	// them itself has none of its random reboots.
	chaosRan bool
	// diskDirLoss is the config's: the disks DiskStorage configures, and
	// whether each loses unsynced directory changes.
	diskDirLoss map[string]bool
	// merged is the line of the first results file a merge read that
	// does not count its faults (a file written before they were); a
	// merge of files that all do adds them up, and tells the chaos line,
	// the line on lost directory changes of a Run without processes, and
	// whether it injects anything as they do (mergedChaos,
	// mergedDirLoss, mergedQuiet).
	merged        string
	mergedChaos   string
	mergedDirLoss string
	mergedQuiet   bool
	// mergedOff are the families of faults off in every file merged
	// (familiesOff), once offMerged says a file was.
	mergedOff []string
	offMerged bool
	// fromFiles: the report is a merge of results files, which list
	// every seed; no flag of go test does for it.
	fromFiles bool
	// outside: the report is a Simulate's, which reads no flag of go
	// test; its Result.PerSeed has every seed.
	outside bool
	// notes are lines about how the Run chose its seeds (a shard, a
	// budget), each beginning with a newline.
	notes string
	// slow is the Run's SlowSeed; slowSeeds counts the seeds that took
	// longer, the first maxListedSlow of them in slowest (slow.go).
	slow      time.Duration
	slowSeeds int
	slowest   []slowSeed
	// waited counts the passing seeds that waited on the wall clock (a
	// sim.RealWait in time.Sleep, onWallClock), and firstWait is the
	// first such wait, with its seed; blocked and firstBlock are the same
	// for their other waits on real time (a lock another seed holds while
	// it computes), which the summary only notes.
	waited     int
	firstWait  seedWait
	blocked    int
	firstBlock seedWait
	// checked counts the seeds run twice under CheckDeterminism, diverged
	// those whose two runs differed, and again the steps and events of
	// the second runs, which the rate counts too; endedOtherwise counts
	// those of diverged that took the same steps and ended differently.
	checked, diverged, endedOtherwise int
	// divergedSeeds are the first seeds that diverged, in the order they
	// were taken: the check line names them.
	divergedSeeds []uint64
	again         uint64
	// checkShards, in a merge, says which shards checked determinism
	// when not all did: the check line ends with it.
	checkShards string
	// faults counts the faults the seeds saw, by kind; faultless counts
	// the seeds that saw none.
	faults    faultCounts
	faultless int
	// failedFaultless counts those of faultless that failed: they ended
	// before any fault came, whatever the workload did.
	failedFaultless int
	// byHand counts, of faults, those the test made (an Injector's, or a
	// call of Cluster, Net or Disk); byHandUnknown is set when a merged results
	// file did not count them (one written before they were), and the
	// faults line then tells none.
	byHand        faultCounts
	byHandUnknown bool
	// reach counts, over the seeds, the processes their reboots and
	// pauses reached.
	reach reachTally
	// injects adds up what the injectors did that their scripts did not
	// say.
	injects injectTally
	// exitedBefore and exitedDuring count the seeds whose processes had
	// all exited of themselves before the chaos phase began, and before
	// it ended (Cluster.allGone).
	exitedBefore, exitedDuring int
	// chaosSeeds counts the seeds that reached the run phase of
	// Cluster.Run, and noChaos those of them whose phase lasted no time
	// (Cluster.noChaos).
	chaosSeeds, noChaos int
	// unsyncedDirs counts the seeds in which a disk's crash kept a
	// namespace change whose directory was not synced.
	unsyncedDirs int
	// conns keeps the seeds whose hosts held many connections open, or
	// ran out of ephemeral ports.
	conns connsTally
	// planned is how many seeds the Run set out to run, when it stopped
	// at its first failing seed before the rest (runner.stoppedAtFailure);
	// 0 otherwise.
	planned int
	// kindsUnknown is set when a merged results file counted its faults
	// but not their kinds (one written before they were): the summary
	// tells the totals alone.
	kindsUnknown bool
}

// reportEnds is how many of the first seeds, and of the last, the report
// shows when it does not list every seed.
const reportEnds = 3

// add counts a seed's outcome and returns its line.
func (r *report) add(o *seedOutcome) string {
	if o.s != nil && o.s.cluster != nil {
		r.clustered = true
		r.chaosRan = r.chaosRan || o.s.cluster.chaosRan
		if o.s.cluster.chaosRan {
			r.chaosSeeds++
			if o.s.cluster.noChaos {
				r.noChaos++
			}
		}
		switch o.s.cluster.allGone {
		case exitedBeforeChaos:
			r.exitedBefore++
		case exitedDuringChaos:
			r.exitedDuring++
		}
	}
	if r.slow > 0 && o.wall > r.slow {
		r.slowSeeds++
		if len(r.slowest) < maxListedSlow {
			r.slowest = append(r.slowest, slowSeed{o.res.Seed, o.wall})
		}
	}
	if !o.failed() { // a failing seed's report tells its waits
		r.addWaits(o.res.Seed, o.res.Waits)
	}
	for i, n := range o.faults {
		r.faults[i] += n
	}
	for i, n := range o.byHand {
		r.byHand[i] += n
	}
	if o.faults.quiet() {
		r.faultless++
		if o.failed() {
			r.failedFaultless++
		}
	}
	r.reach.add(o.reach)
	r.injects.add(o.injected)
	if o.unsyncedDirs {
		r.unsyncedDirs++
	}
	r.conns.add(o.res.Seed, o.conns)
	if o.again > 0 {
		r.checked++
		r.again += o.again
		if o.diverge != "" {
			r.diverged++
			if len(r.divergedSeeds) < maxNamedDiverged {
				r.divergedSeeds = append(r.divergedSeeds, o.res.Seed)
			}
		}
		if o.sameSteps {
			r.endedOtherwise++
		}
	}
	res := o.res
	outcome := OutcomePass
	switch {
	case o.skippedOnly():
		outcome = OutcomeSkip
		if r.skipCall == "" {
			r.skipCall = o.s.skipCall
		}
	case o.failed():
		outcome = OutcomeFail
	}
	return r.addSeed(res.Seed, res.Trace, outcome, res.SimTime, res.Steps, res.Events, o.tl.recipe())
}

// addSeed counts a seed's figures and returns its line; a merge of
// shards' results (merge.go) feeds it seed by seed, as a Run does.
// outcome is one of OutcomePass, OutcomeFail and OutcomeSkip. An
// exploration's branched timeline is a run of its root seed, and only its
// recipe (-simrecipe) tells it from the seed's other timelines and
// replays it: the line ends with it.
func (r *report) addSeed(seed, trace uint64, outcome string, simTime time.Duration, steps, events uint64, recipe string) string {
	r.seeds++
	status := "ok"
	switch outcome {
	case OutcomeFail:
		r.failed++
		status = "FAIL"
	case OutcomeSkip:
		r.skipped++
		status = "SKIP"
	default:
		r.passed++
	}
	r.simTime += simTime
	r.steps += steps
	r.events += events
	r.trace = (r.trace ^ trace) * 0x100000001b3
	line := fmt.Sprintf("seed=%d trace=%016x %s sim=%v steps=%d events=%d", seed, trace, status, simTime, steps, events)
	if recipe != "" {
		line += " recipe=" + recipe
	}
	switch {
	case r.logsSeed():
	case len(r.first) < reportEnds && !r.verbose:
		r.first = append(r.first, line)
	case len(r.last) < reportEnds:
		r.last = append(r.last, line)
		r.lastN++
	default:
		r.last[r.lastN%reportEnds] = line
		r.lastN++
	}
	return line
}

// logsSeed reports whether the line of the seed added last is logged as
// it ends.
func (r *report) logsSeed() bool {
	return r.verbose && (r.verboseMax == 0 || r.seeds <= r.verboseMax)
}

// seedLog is what a Run logs for the seed whose line add has just made:
// the line, while seeds' lines are logged; once, after the last of them,
// that the rest are left out; else nothing.
func (r *report) seedLog(line string) string {
	switch {
	case r.logsSeed():
		return line
	case r.verbose && r.seeds == r.verboseMax+1:
		return fmt.Sprintf("%s logs the first %d seeds' lines and leaves out the rest; the summary ends with the last %d, -simv logs every one, -simv=false none (%s=-simv=false for a whole go test ./...), and -simresults keeps every seed",
			cmp.Or(r.verboseBy, "go test -v"), r.verboseMax, reportEnds, flagsEnv)
	}
	return ""
}

// tail returns the lines of the last seeds, oldest first.
func (r *report) tail() []string {
	if len(r.last) < reportEnds {
		return r.last
	}
	i := r.lastN % reportEnds
	return append(slices.Clone(r.last[i:]), r.last[:i]...)
}

func (r *report) summary() string {
	var b strings.Builder
	perSec := 0.0
	if s := r.wall.Seconds(); s > 0 {
		perSec = float64(r.steps+r.events+r.again) / s
	}
	wall := r.wall
	if r.zeroWall {
		wall, perSec = 0, 0
	}
	if r.planned > r.seeds {
		// "50 seeds" alone, of a Run given 300, reads as a Run given 50.
		fmt.Fprintf(&b, "simtest: %d of %d seeds run (a Run stops at its first failing seed; -simall or simtest.KeepGoing runs them all)%s, %d passed, %d failed",
			r.seeds, r.planned, r.keptLine(), r.passed, r.failed)
	} else {
		fmt.Fprintf(&b, "simtest: %s%s, %d passed, %d failed", plural.Count(r.seeds, "seed"), r.keptLine(), r.passed, r.failed)
	}
	if r.skipped > 0 {
		// A seed's Skip reads as a seed left out; it is the test's.
		fmt.Fprintf(&b, ", %d skipped (%s skips the whole test, as t.Skip does, and no seed runs after it; to leave one seed out, return from the body)",
			r.skipped, cmp.Or(r.skipCall, "S.Skip"))
	}
	if r.gapsFail > 0 {
		verb := pluralWord(r.gapsFail, "fails", "fail")
		conj := "and"
		if r.failed == 0 {
			conj = "but"
		}
		fmt.Fprintf(&b, ", %s %s %s the test", conj, plural.Count(r.gapsFail, "coverage gap"), verb)
	}
	if r.wallFail {
		conj := "and"
		if r.failed == 0 && r.gapsFail == 0 {
			conj = "but"
		}
		fmt.Fprintf(&b, ", %s code that keeps the wall clock fails the test", conj)
	}
	on := ""
	if r.workers > 1 {
		on = fmt.Sprintf(" on %d workers", r.workers)
	}
	fmt.Fprintf(&b, "; wall %v%s, simulated %v; %d steps, %d events, %s steps+events/s; trace=%016x",
		roundWall(wall), on, r.simTime, r.steps, r.events, human(perSec), r.trace)
	b.WriteString(r.failingLine())
	b.WriteString(r.checkLine())
	b.WriteString(r.notes)
	b.WriteString(r.slowLine())
	b.WriteString(r.waitedLine())
	b.WriteString(r.stillLine())
	if l := r.rebootsLine(); l != "" {
		b.WriteString("\n    ")
		b.WriteString(l)
	}
	if l := r.conns.line(r.seeds); l != "" {
		b.WriteString("\n    ")
		b.WriteString(l)
	}
	switch {
	case !r.verbose:
		for _, l := range r.first {
			b.WriteString("\n    ")
			b.WriteString(l)
		}
		every := "go test -v or -simv lists every seed"
		if r.seeds > maxSeedLines {
			every = "-simv lists every seed"
		}
		if more := r.seeds - len(r.first) - len(r.last); more > 0 {
			fmt.Fprintf(&b, "\n    ... %s more; %s", plural.Count(more, "seed"), r.everySeed(every))
		}
		for _, l := range r.tail() {
			b.WriteString("\n    ")
			b.WriteString(l)
		}
	case r.verboseMax > 0 && r.seeds > r.verboseMax:
		// The lines logged stopped at verboseMax: the last few end the
		// summary.
		if more := r.seeds - r.verboseMax - len(r.last); more > 0 {
			fmt.Fprintf(&b, "\n    ... %s more after the first %d logged; -simv lists every seed", plural.Count(more, "seed"), r.verboseMax)
		}
		for _, l := range r.tail() {
			b.WriteString("\n    ")
			b.WriteString(l)
		}
	}
	if r.assertions != "" {
		b.WriteString("\n")
		b.WriteString(r.assertions)
	}
	return b.String()
}

// checkLine says what CheckDeterminism found, or "" when it did not run.
func (r *report) checkLine() string {
	if r.checked == 0 {
		return ""
	}
	what := "every seed ran twice"
	if r.checked < r.seeds {
		what = fmt.Sprintf("%d of the %d seeds ran twice", r.checked, r.seeds)
	}
	if r.diverged == 0 {
		return "\n    determinism checked (-simcheck): " + what + ", and took the same path both times" + r.checkShards
	}
	var differed []string
	if n := r.diverged - r.endedOtherwise; n > 0 {
		differed = append(differed, plural.Count(n, "seed")+" took another path the second time")
	}
	if r.endedOtherwise > 0 {
		differed = append(differed, plural.Count(r.endedOtherwise, "seed")+" took the same path and ended differently")
	}
	seeds := make([]string, len(r.divergedSeeds))
	for i, seed := range r.divergedSeeds {
		seeds[i] = strconv.FormatUint(seed, 10)
	}
	first := "seed " + seeds[0]
	if len(seeds) > 1 {
		first = "seeds " + strings.Join(seeds, ", ")
		if r.diverged > len(seeds) {
			first = "the first: " + first
		}
	}
	return fmt.Sprintf("\n    determinism checked (-simcheck): %s, and %s (%s; -simseed=N -simcheck shows where a seed's runs part)%s",
		what, strings.Join(differed, ", and "), first, r.checkShards)
}

// maxNamedDiverged is how many of the seeds that diverged the check line
// names.
const maxNamedDiverged = 3

func roundWall(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// failureReport tells the story of a failed run: what failed (what, such
// as "seed N" or a fuzz input), how to replay it (replay, the command), what
// failed where, the errors, and the last things that happened.
func failureReport(o *seedOutcome, what, replay string) string {
	if o.s != nil && o.s.config != nil {
		return configReport(o, what, replay)
	}
	var b strings.Builder
	res := o.res
	switch {
	case o.keptFile != "" && o.keptMoved:
		// Not known to be the kept failure: its trace is another.
		fmt.Fprintf(&b, "simtest: kept %s (%s) failed, on another execution than the one kept", what, o.keptFile)
	case o.keptFile != "":
		// Known, not new: CI triage tells the two apart by this line.
		fmt.Fprintf(&b, "simtest: kept %s (%s) failed again", what, o.keptFile)
	default:
		fmt.Fprintf(&b, "simtest: %s failed", what)
	}
	var f *sim.Failure
	if errors.As(res.Err, &f) && f.Kind != sim.Stopped {
		if stuck := f.Kind == sim.TimeBudget || f.Kind == sim.Deadlock || f.Kind == sim.Livelock || f.Kind == sim.Stalled || f.Kind == sim.Limit; stuck && o.s != nil && len(o.s.errs) > 0 {
			// The seed had failed before it got stuck, and that error is
			// usually the cause (a server left down, a client waiting on
			// it): say so before the stuck tasks' dump buries it.
			first, _, _ := strings.Cut(o.s.errs[0], "\n")
			fmt.Fprintf(&b, ": first at %s; then", withAnnounced(first, o.s.errs[0]))
		}
		if fin := o.finishing(); fin != nil && f.Kind != sim.Limit {
			// Whatever stopped the seed, the driver was waiting for
			// these: the likelier cause than the task the failure names.
			fmt.Fprintf(&b, ": %s; then", fin.head(f.At))
		}
		if f.Kind == sim.Panic {
			if site := panicSite(f.Stack); site != "" {
				fmt.Fprintf(&b, ": %s", site)
			}
		}
		fmt.Fprintf(&b, ": %v", f)
	} else if o.diverge != "" {
		b.WriteString(": " + divergedHead(o))
	} else if o.viaT && (o.s == nil || !o.s.failed) {
		b.WriteString(": the test failed through its own testing.T")
	}
	// The replay line goes under the headline's first line: a failure
	// that lists every stuck task (a deadlock, the time budget) would
	// bury it, and it is what a reader copies first.
	head := b.String()
	first, rest, _ := strings.Cut(head, "\n")
	b.Reset()
	fmt.Fprintf(&b, "%s\n  replay: %s\n", first, replay)
	if o.alone != "" {
		fmt.Fprintf(&b, "  %s\n", o.alone)
	}
	if o.replayCheck != "" {
		fmt.Fprintf(&b, "  %s\n", indent(o.replayCheck, "    "))
	}
	if rest != "" {
		b.WriteString(rest)
		b.WriteString("\n")
	}
	if f != nil && f.Kind == sim.TimeBudget {
		if task := waitsInGetReply(f.Msg); task != "" {
			fmt.Fprintf(&b, "  %s waits in rpc's GetReply, which waits for its reply as long as its context lets it, past any time budget when the reply never comes "+
				"(a handler that never answers, a server gone for good); give the call's context a deadline with p.Time.WithTimeout, "+
				"or call GetReplyUnlessFailedFor, which gives up when the server has failed (docs/rpc.md)\n", task)
		}
	}
	if fin := o.finishing(); fin != nil && f != nil && f.Kind != sim.Stopped && f.Kind != sim.Limit {
		fmt.Fprintf(&b, "  %s\n", fin.fix())
	}
	if f != nil && (f.Kind == sim.Deadlock || f.Kind == sim.TimeBudget || f.Kind == sim.Limit) {
		if task := workloadWaitsOnContext(f.Msg); task != "" {
			fmt.Fprintf(&b, "  %s waits on a context: a workload's context does not end with the chaos phase, nor before the seed ends, "+
				"so a Run that waits for it to end never returns; to keep the chaos phase going, wait on simtest.ChaosContext(ctx) instead, "+
				"which ends with the phase, or return from Run when the work is done (docs/workloads.md, \"Make the workload finish\")\n", task)
		}
	}
	if o.viaT {
		fmt.Fprintf(&b, "  %s\n", viaTWords(raceDetector))
	}
	if o.guess != "" {
		fmt.Fprintf(&b, "  %s\n", o.guess)
	}
	if f != nil && f.Kind == sim.Goexit && strings.Contains(f.Stack, requireAssertions) {
		fmt.Fprintf(&b, "  %s\n", requireOnT)
	}
	if o.unchecked != "" {
		fmt.Fprintf(&b, "  %s\n", o.unchecked)
	}
	if o.diverge != "" {
		what := "took different paths; " + workersWords(o.workers) + escapes
		switch {
		case o.sameSteps && o.byTime:
			what = "took the same path, and ended differently; " + cutByRealTime
		case o.sameSteps:
			what = "took the same path, and ended differently; " + workersWords(o.workers) + escapesUnseen
		}
		fmt.Fprintf(&b, "  the same seed ran twice and %s:\n    %s\n", what, indent(o.diverge, "    "))
	}
	if f != nil && f.Stack != "" {
		stack := f.Stack
		if f.Kind == sim.Panic {
			stack = panicStack(stack)
		}
		fmt.Fprintf(&b, "  stack of %s:\n    %s\n", stackOf(f), indent(strings.TrimSpace(stack), "    "))
	}
	if o.s != nil && len(o.s.errs) > 0 {
		b.WriteString("  errors:\n")
		for i, e := range o.s.errs {
			if span := o.s.obs.invariantSpan(i); span != "" {
				e += "\n" + span
			}
			fmt.Fprintf(&b, "    %s\n", indent(e, "      "))
		}
		if (f == nil || f.Kind == sim.Stopped) && o.diverge == "" && !o.viaT {
			b.WriteString(checkHint(o))
		}
		b.WriteString(readyHint(o.s.readyAtFirst))
		b.WriteString(soleCopyHint(o))
		if r := o.s.releasesAtFirst; r != "" {
			fmt.Fprintf(&b, "  releases at the first error: %s\n", r)
		}
	}
	// A seed that failed with no error of its own (a panic, a deadlock, the
	// time budget) stopped where it failed, with its cluster as it was then;
	// one the watchdog gave up may still be running.
	if o.s != nil && len(o.s.errs) == 0 && o.s.cluster != nil && f != nil && f.Kind != sim.Stopped && !o.givenUp {
		if r := o.s.cluster.releasesNow(); r != "" {
			fmt.Fprintf(&b, "  releases when the seed failed: %s\n", r)
		}
	}
	b.WriteString(o.silent.line())
	// A seed the watchdog gave up may still run a task that makes hosts:
	// its network is not read.
	if o.s != nil && !o.givenUp {
		texts := o.s.errs
		if f != nil {
			texts = append(texts[:len(texts):len(texts)], f.Msg)
		}
		if h := realLookupHint(texts, o.s.net); h != "" {
			fmt.Fprintf(&b, "  %s\n", h)
		}
	}
	writeRealWaits(&b, res.Waits)
	if o.s != nil {
		writeUnjoined(&b, o.s)
		writeLog(&b, o.s, o.logShown, o.win.logHint())
		// What the seed drew of its chaos opens its timeline, before the
		// window of all but the shortest seeds.
		for _, n := range o.s.chaosNotes {
			fmt.Fprintf(&b, "  %s\n", n)
		}
	}
	if o.rerun != "" {
		fmt.Fprintf(&b, "  %s\n", o.rerun)
	}
	o.win.write(&b, res.Timeline)
	return strings.TrimRight(b.String(), "\n")
}

// checkHint is the report's line for a seed whose only errors came from
// its workloads' checks at the end: the state was found wrong there, and
// the window around that moment rarely holds the cause; or, when each of
// those checks could not finish, that it found nothing wrong. "" for any
// other seed, and for one whose check's error names when it went wrong
// (the window is there already).
func checkHint(o *seedOutcome) string {
	s := o.s
	if n := len(s.errs); s.checkErrs.from != 0 || s.checkErrs.to != n {
		return ""
	}
	at := ""
	if w := o.win; w != nil {
		if w.named >= 0 || w.at >= 0 {
			return ""
		}
		if w.marked {
			at = fmt.Sprintf(" at %v", w.failAt)
		}
	}
	if unfinishedOnly(s) {
		return fmt.Sprintf("  only the final check failed, and it could not finish%s: it found nothing wrong, and whether the state is right is unknown; "+
			"give the check more to work with (history's MaxSteps and Timeout) or less to do (Model.Partition; LeaveOutUnread for writes of unknown outcome no read saw)\n", at)
	}
	return fmt.Sprintf("  only the final check failed: it found the state wrong%s, and the cause may lie anywhere before it, not only in the window below; "+
		"an assertions.Always where the state changes fails at the cause and moves the report's window there "+
		"(docs/debugging.md#a-final-check-failed-finding-when-it-went-wrong)\n", at)
}

// unfinishedOnly reports whether every error of s's final checks came
// from a check that could not finish (S.unfinished).
func unfinishedOnly(s *S) bool {
	n := 0
	for _, i := range s.unfinished {
		if i >= s.checkErrs.from && i < s.checkErrs.to {
			n++
		}
	}
	return n > 0 && n == s.checkErrs.to-s.checkErrs.from
}

// realLookupHint names the cause of an error that looked one of the
// seed's simulated hosts up in the real resolver ("dial tcp: lookup
// lockd-0 on 10.255.255.53:53: no such host"): the dial went to the real
// network, whose resolver has never heard of the host. The error is the
// code's own, and says nothing of the simulation.
func realLookupHint(texts []string, n *simnet.Net) string {
	if n == nil {
		return ""
	}
	for _, e := range texts {
		if !strings.Contains(e, "no such host") {
			continue
		}
		for _, h := range n.Hosts() {
			if strings.Contains(e, "lookup "+h+" ") || strings.Contains(e, "lookup "+h+":") {
				return fmt.Sprintf("%s is a host of the simulation, yet it was looked up in the real resolver (no such host): "+
					"the code dialed through the real network (net.Dial, a net.Dialer, http.DefaultTransport) instead of p.Network; "+
					"pass the process's providers down to every dial (docs/pitfalls.md)", h)
			}
		}
	}
	return ""
}

// writeUnjoined tells of the errors that tasks S.Go started returned and
// that no Join heard: nothing failed for them, yet one may be where the
// failure began.
func writeUnjoined(b *strings.Builder, s *S) {
	errs := s.unjoinedErrs()
	if len(errs) == 0 {
		return
	}
	fmt.Fprintf(b, "  %s that S.Go started returned an error that no Join heard (an error reaches only Join; call s.Error in the task to fail the seed):\n",
		pluralWord(len(errs), "a task", fmt.Sprintf("%d tasks", len(errs))))
	for i, r := range errs {
		if i == maxUnjoined {
			fmt.Fprintf(b, "    and %d more\n", len(errs)-i)
			break
		}
		fmt.Fprintf(b, "    %s%s\n", stampAt(r.at, r.name), indent(r.err, "      "))
	}
}

// maxUnjoined is how many unjoined errors a report lists.
const maxUnjoined = 8

// logHead and logTail are how many of a seed's first and last log lines
// its failure report shows: a body that logs in a loop would otherwise
// bury the replay line under its log, in a CI log with a size limit.
// Its start says what the seed set out to do, its end what led to the
// failure; -simv logs every line.
const (
	logHead = 100
	logTail = 100
)

// writeLog writes the log part of a failure report: the seed's log, or
// its first logHead and last logTail lines and how many are not shown; or,
// when shown is set (-simv logged the whole log as the seed ended), where
// to find it, rather than the same lines a second time. file says where
// the timeline file has them (window.logHint).
func writeLog(b *strings.Builder, s *S, shown bool, file string) {
	n := len(s.logs)
	if n == 0 {
		return
	}
	if shown {
		fmt.Fprintf(b, "  log: %s, logged in full above (-simv)\n", plural.Count(n, "line"))
		return
	}
	if n <= logHead+logTail {
		b.WriteString("  log:\n")
		writeLogLines(b, s.logRange(0, n))
		return
	}
	gone := n - logHead - logTail
	fmt.Fprintf(b, "  log, its first %d and last %d lines (%d lines not shown; -simv logs them all, %s):\n",
		logHead, logTail, gone, file)
	writeLogLines(b, s.logRange(0, logHead))
	fmt.Fprintf(b, "    ... %d lines not shown ...\n", gone)
	writeLogLines(b, s.logRange(n-logTail, n))
}

func writeLogLines(b *strings.Builder, lines []string) {
	for _, l := range lines {
		fmt.Fprintf(b, "    %s\n", indent(l, "      "))
	}
}

// waitsInGetReply is the task that a stuck run's list of tasks shows
// waiting in rpc's GetReply ("task \"driver\""), or "".
func waitsInGetReply(tasks string) string {
	head := ""
	for line := range strings.Lines(tasks) {
		switch {
		case !strings.HasPrefix(line, "\t"):
			head = line
		case strings.HasSuffix(strings.TrimSpace(line), "/rpc.Endpoint[...].GetReply"):
			if name, _, ok := strings.Cut(head, " waits"); ok && strings.HasPrefix(name, "task ") {
				return name
			}
			return "a task"
		}
	}
	return ""
}

// finishing is what Cluster.Run waited for, the faults healed, when the
// seed ended: workloads whose Run was still going after the chaos phase.
func (o *seedOutcome) finishing() *finishing {
	if o.s == nil || o.s.cluster == nil {
		return nil
	}
	return o.s.cluster.finishing
}

// workloadWaitsOnContext names the first workload's Run, in the stuck
// tasks' list of a deadlock or of the time budget, that waits on a
// context: most likely its own, waited on to hold the chaos phase open,
// which never ends. A group of tasks at one place names its first.
func workloadWaitsOnContext(tasks string) string {
	for line := range strings.Lines(tasks) {
		if strings.HasPrefix(line, "\t") {
			continue
		}
		_, state, ok := strings.Cut(line, " wait")
		if !ok || !strings.HasPrefix(state, "s on context") && !strings.HasPrefix(state, " on context") {
			continue
		}
		if _, rest, ok := strings.Cut(line, `"workload `); ok {
			name, _, _ := strings.Cut(rest, `"`)
			return fmt.Sprintf("task %q", "workload "+name)
		}
	}
	return ""
}

// workersWords is what a report says first of a seed whose two runs
// differed, when they ran beside other seeds on n workers: state the
// seeds share is then the likeliest cause, and one worker may not show
// it (a body that resets a package variable at each seed); "" for a seed
// that ran alone. A Run on several workers always has a crypto/rand line
// (runner.cryptoNote), which says the rest.
func workersWords(n int) string {
	if n < 2 {
		return ""
	}
	return fmt.Sprintf("both runs ran beside other seeds, on %d workers, so state the seeds share is the likeliest cause: "+
		"a package variable that the body or the code under test writes (simvet's globalstate rule finds it before running; "+
		"on one worker it may not show, as when the body resets it at each seed); "+
		"the crypto/rand line below says whether crypto/rand could be the cause. Else ", n)
}

// escapes is what a report says of a seed that took different paths in
// two runs.
const escapes = "something escapes the simulation (a map iteration, a raw goroutine, a select over Go channels ready at once, which picks one at random, " +
	"the wall clock, a global random source, " +
	"a real file or socket (os.OpenFile where s.Storage was meant), " +
	"or state shared between seeds such as a package variable? simvet's maporder, goroutine, wallclock, globalrand, osnet and globalstate rules find these before running)"

// escapesUnseen is what a report says of a seed whose two runs took the
// same steps and ended differently.
const escapesUnseen = "what decided it escapes the simulation without changing its steps (a map's order in code that takes no step, " +
	"such as a check that ranges over a map and reports each entry; state shared between seeds, " +
	"or kept from the first run to the second: a package variable, math/rand's global source, a file outside the seed's simulated disks; " +
	"or the wall clock?). Range over sorted keys, keep such state in values the body makes, draw from p.Random, keep files on the seed's disks (s.Storage) " +
	"or in s.TempDir, read time from p.Time; simvet's maporder, globalstate, globalrand, osnet and wallclock rules find these before running"

// divergedHead heads what a report says of a seed whose two runs
// differed (seedOutcome.diverge).
func divergedHead(o *seedOutcome) string {
	if o.byTime {
		return "its two runs ended differently, as real time cut a check short"
	}
	return "the run is not deterministic"
}

// cutByRealTime is what a report says of a seed whose two runs took the
// same steps and ended differently, where a check that real time bounds
// was cut short in at least one of them.
const cutByRealTime = "a check in it was cut short by its real-time limit (history's Timeout) in one run at least, " +
	"so the machine's speed, not the code under test, may be what decided it; bound the check by its work instead " +
	"(history's MaxSteps, the same on every machine) and keep the Timeout well above it, as a backstop"

// requireAssertions is in the stack of a task that failed through a
// *require.Assertions: one that require.New made, or a testify suite's
// Require().
const requireAssertions = "\ngithub.com/stretchr/testify/require.(*Assertions)."

// requireOnT says what a Goexit through a *require.Assertions was.
const requireOnT = "it failed through a *require.Assertions, made on the test's own testing.T: require.New(t), or a testify suite's Require(), " +
	"which asserts on the suite's T(), the test's t (as do the suite's own assertion methods, such as its Equal): " +
	"in a body, assert through the seed's S, as require.New(s) or require.NoError(s, err)"

// soleCopyHint is the line of a failed seed whose disks took faults that
// destroy written data (corrupted, misdirected or phantom writes) while
// the cluster has groups that declare their processes the only copy of
// their data (Processes.SoleCopy), which no code can survive, as
// SoleCopy's doc says: such a seed's failure is likely the configuration's.
// "" otherwise.
func soleCopyHint(o *seedOutcome) string {
	c := o.s.cluster
	if c == nil {
		return ""
	}
	var sole []string
	for _, p := range c.procs {
		if p.spec.SoleCopy && !slices.Contains(sole, strconv.Quote(p.spec.Name)) {
			sole = append(sole, strconv.Quote(p.spec.Name))
		}
	}
	var took []string
	for _, f := range []fault{diskWriteCorruption, diskMisdirectedWrite, diskPhantomWrite} {
		if n := o.faults[f]; n > 0 {
			took = append(took, fmt.Sprintf("%d %s", n, pluralWord(n, faultNames[f].one, faultNames[f].many)))
		}
	}
	if len(sole) == 0 || len(took) == 0 {
		return ""
	}
	return fmt.Sprintf("  the disks took %s, and Processes %s keep the only copy of their data (SoleCopy), which such a write destroys past any recovery: "+
		"if a process's lost data failed the seed, switch those faults off for the Run (cfg.Storage.Off = []string{\"write-corruption\", \"misdirected-write\", \"phantom-write\"}), as SoleCopy's doc says\n",
		strings.Join(took, ", "), strings.Join(sole, ", "))
}

// maxReadyNamed is how many of the tasks due at a failing instant
// readyHint names.
const maxReadyNamed = 5

// readyHint tells of the tasks that were due at the instant of the
// seed's first error and had not yet run (ready), or "": tasks due at one
// instant run in the order the seed draws, so a check made at the instant
// the work is due sees it on some seeds and not on others, which reads as
// a flaky test.
func readyHint(ready []string) string {
	if len(ready) == 0 {
		return ""
	}
	names := make([]string, 0, maxReadyNamed)
	for _, n := range ready[:min(len(ready), maxReadyNamed)] {
		names = append(names, strconv.Quote(n))
	}
	more := ""
	if len(ready) > maxReadyNamed {
		more = fmt.Sprintf(" and %d more", len(ready)-maxReadyNamed)
	}
	return fmt.Sprintf("  at the instant of the first error, %s %s%s %s due and had not run yet: tasks due at one instant run in the order the seed draws, "+
		"so a check made at the instant their work is due sees it on some seeds and not on others; to check their work, sleep past the instant (s.Sleep) or check with S.Eventually\n",
		pluralWord(len(ready), "task", "tasks"), strings.Join(names, ", "), more, pluralWord(len(ready), "was", "were"))
}

// writeRealWaits tells a failure report of the seed's waits on real time
// (sim.RealWait): a wait for real time that a failure then follows, as
// testify's Eventually reports "never satisfied" at simulated 0s, is a
// wait that simulated time could not end.
func writeRealWaits(b *strings.Builder, waits []sim.RealWait) {
	for _, wt := range waits {
		fmt.Fprintf(b, "  task %q waited %v of real time outside the simulation (%s), then went on, at:\n    %s\n",
			wt.Task, wt.Wall, wt.State, indent(topFrames(wt.Stack, 3), "    "))
	}
	if len(waits) > 0 {
		b.WriteString("  a wait on real time (time.Sleep, a time.Ticker or time.After, testify's Eventually) passes while simulated time stands still: " +
			"nothing in the simulation happens meanwhile, and nothing it does can end the wait; wait with the providers (s.Sleep, p.Time.Sleep, providers.Wait) " +
			"or check a condition over time with S.Eventually\n")
	}
}

// A seedWait is a seed's wait on real time.
type seedWait struct {
	seed uint64
	wait sim.RealWait
}

// addWaits counts a passing seed's waits on real time: once among the
// seeds that waited on the wall clock, if one of its waits did, else once
// among those that waited otherwise. AllowWallClock's functions are let
// be.
func (r *report) addWaits(seed uint64, waits []sim.RealWait) {
	var block *sim.RealWait
	for i, wt := range waits {
		switch {
		case inStackHit(wt.Stack, r.wallClock, r.allowedHit):
		case onWallClock(wt):
			if r.waited == 0 {
				r.firstWait = seedWait{seed, wt}
			}
			r.waited++
			return
		case block == nil:
			block = &waits[i]
		}
	}
	if block != nil {
		if r.blocked == 0 {
			r.firstBlock = seedWait{seed, *block}
		}
		r.blocked++
	}
}

// onWallClock tells whether a wait's stack shows it waiting on the wall
// clock: in time.Sleep. Any other wait on real time, on a lock or a
// channel, may be on a goroutine that computes (a sync.Once's function
// run by another seed, or by a parallel Run), which is no fault of the
// code that waits; nor does a stack show a timer's channel as one.
func onWallClock(wt sim.RealWait) bool {
	return inStack(wt.Stack, []string{"time.Sleep"})
}

// waitedLine is the summary's note of the passing seeds that waited on
// real time, not on the wall clock as far as their stacks show (a lock
// or a channel), or "": a wait on code that keeps the wall clock tests
// nothing of what it waits for, but a wait on another seed's computation
// is no fault.
func (r *report) waitedLine() string {
	if r.blocked == 0 {
		return ""
	}
	wt := r.firstBlock.wait
	fn, loc := waitSite(wt.Stack, true)
	return fmt.Sprintf("\n    %s waited on real time outside the simulation, half a second or more: seed=%d's task %q waited %v (%s) in %s (%s); "+
		"it passes while simulated time stands still: unless another seed or a parallel Run held what it waited for (a sync.Once, a lock) while it computed, "+
		"the code that waits keeps the wall clock (see docs/pitfalls.md)",
		plural.Count(r.blocked, "seed"), r.firstBlock.seed, wt.Task, wt.Wall, wt.State, fn, loc)
}

// waitSite is where a wait's stack shows it waiting: the function and
// "file.go:12" of its innermost frame, or, with pastSync, of its innermost
// outside package sync (a sync.OnceValue's frames are named for the
// package that instantiates it, but are in sync's files), which a wait on
// a lock shows first, so that the code that waits is named; its last
// frame when every one is sync's.
func waitSite(stack string, pastSync bool) (fn, loc string) {
	frames := sim.StackFrames(stack)
	if len(frames) == 0 {
		return "", ""
	}
	inSync := func(f sim.StackFrame) bool {
		return strings.HasPrefix(f.Func, "sync.") || strings.HasPrefix(f.Func, "internal/sync.") ||
			strings.Contains(f.Loc, "/src/sync/") || strings.Contains(f.Loc, "/src/internal/sync/")
	}
	for pastSync && len(frames) > 1 && inSync(frames[0]) {
		frames = frames[1:]
	}
	return frames[0].Func, shortFile(frames[0].Loc)
}

// waitedError is the test's failure for the passing seeds that waited on
// the wall clock, or "": a wait that a passing seed made tells of
// code (a library's rate limiter, a retry's backoff, a time.Sleep in the
// body) that keeps the wall clock, and tests nothing of what it waits
// for.
func (r *report) waitedError() string {
	if r.waited == 0 {
		return ""
	}
	wt := r.firstWait.wait
	fn, loc := waitSite(wt.Stack, false)
	return fmt.Sprintf("simtest: %s waited on real time outside the simulation, half a second or more: seed=%d's task %q waited %v (%s) in %s (%s), at:\n    %s\n"+
		"    it passes while simulated time stands still, and the code that waits keeps the wall clock, so the seeds tested nothing of what it waits for "+
		"and the test fails, though they passed: wait with the providers (s.Sleep, p.Time.Sleep, providers.Wait, or S.Eventually for a condition over time; docs/pitfalls.md), "+
		"or, for a library that waits and that the test cannot change, let it with simtest.AllowWallClock and a function of the stack above",
		plural.Count(r.waited, "seed"), r.firstWait.seed, wt.Task, wt.Wall, wt.State, fn, loc, indent(topFrames(wt.Stack, 6), "    "))
}

// stillLine tells of seeds that took wall time while simulated time
// never moved, or "": unless they computed all along, the code under test
// waited on the wall clock, in waits too short for the watchdog to name
// each (waitedLine), beside a simulation that saw none of it.
func (r *report) stillLine() string {
	if r.zeroWall || r.seeds == 0 || r.simTime > 0 || r.wall < stillWall {
		return ""
	}
	return fmt.Sprintf("\n    simulated time never moved, yet %s took %v of wall time: unless that was computation, the code under test waits on the wall clock "+
		"(time.Sleep, a ticker, a channel fed by a goroutine of its own), beside the simulation, which sees none of it; run it on the providers (docs/production.md)",
		pluralWord(r.seeds, "the seed", fmt.Sprintf("the %d seeds", r.seeds)), roundWall(r.wall))
}

// stillWall is the wall time past which seeds that never moved simulated
// time are told of (stillLine).
const stillWall = time.Second

// topFrames is the first n frames of a stack of "function\n\tfile:line"
// lines.
func topFrames(stack string, n int) string {
	lines := strings.Split(strings.TrimSpace(stack), "\n")
	return strings.Join(lines[:min(len(lines), 2*n)], "\n")
}

// everySeed says where every seed's line is, for a report that lists
// some of them: where a Run's flag says, or the files a merge read.
func (r *report) everySeed(flag string) string {
	switch {
	case r.fromFiles:
		return "the results files list every seed"
	case r.outside:
		return "Result.PerSeed has every seed, and simtest.Verbose() lists them in the report"
	}
	return flag
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// rebootsLine is the summary's line on reboots and wipes, and on the
// faults seen; a Run that booted no processes has only the faults line,
// when its seeds saw any (a network's partitions, a disk's corruption),
// and the line on lost directory changes, when a seed crashed a disk
// with one pending (a store tested on S.Disk alone).
func (r *report) rebootsLine() string {
	switch {
	case r.merged != "":
		return r.merged
	case r.clustered:
		line := r.chaosLine() + "\n    " + r.faultsLine()
		if reach := r.reach.line(r.seeds); reach != "" {
			line += "\n    " + reach
		}
		if cut := r.reach.cutLine(r.seeds); cut != "" {
			line += "\n    " + cut
		}
		if inj := r.injects.line(); inj != "" {
			line += "\n    " + inj
		}
		return line
	}
	var lines []string
	if !r.faults.calm() {
		lines = append(lines, r.faultsLine())
	}
	if r.unsyncedDirs > 0 {
		lines = append(lines, r.dirLossLine())
	}
	return strings.Join(lines, "\n    ")
}

// dirLossLine is the chaos line's part on lost directory changes, for a
// Run that booted no processes and so has no chaos line; a merge tells it
// as its files do (a file written before they kept it says "off", which
// the seeds that kept a change show for some of the disks at least).
func (r *report) dirLossLine() string {
	line := cmp.Or(r.mergedDirLoss, dirLossOff)
	if !r.fromFiles {
		line = dirLossLine(r.chaos, r.diskDirLoss)
	}
	return withUnsyncedDirs(line, r.unsyncedDirs, r.seeds)
}

// chaosLine is the summary's line on the Run's chaos configuration, and
// on how many seeds crashed with directory changes that configuration
// kept and a real disk could lose.
func (r *report) chaosLine() string {
	return withUnsyncedDirs(r.configLine(), r.unsyncedDirs, r.seeds)
}

// configLine is the chaos line of the configuration alone, as the
// results file keeps it for a merge, which adds up the seeds' counts.
func (r *report) configLine() string {
	if r.fromFiles {
		return r.mergedChaos
	}
	rt := r.reach
	onlyPaused := rt.procs.set && rt.pauseOnly.Min > 0 && rt.pauseOnly.Min >= rt.procs.Max
	return chaosLine(r.chaos, r.diskDirLoss, r.chaosRan, rt.procs.set && rt.wipeable.Max == 0, onlyPaused)
}

// injectsNothing reports whether the Run's chaos injects no fault in any
// seed.
func (r *report) injectsNothing() bool {
	if r.fromFiles {
		return r.mergedQuiet
	}
	return injectsNothing(r.chaos)
}

// noChaosError is the test's failure when the chaos phase of Cluster.Run
// lasted no time, and met no fault, in every seed that reached it, under
// a chaos that injects faults: a workload whose Run has nothing to drive
// returns at once, which ends the phase, and every seed then passes
// untouched by it. A merge's counts are its files' added up.
func (r *report) noChaosError() string {
	if r.chaosSeeds == 0 || r.noChaos < r.chaosSeeds || r.injectsNothing() {
		return ""
	}
	in := "its one seed"
	if r.chaosSeeds > 1 {
		in = fmt.Sprintf("every one of its %d seeds", r.chaosSeeds)
	}
	return "simtest: the chaos phase of Cluster.Run lasted no time in " + in + ", and the test fails: every workload's Run returned as the phase began, " +
		"which ends it, so no fault of the phase's came and the checks judged a cluster nothing disturbed; " +
		"a Run with nothing to drive holds the phase open to Phases.Chaos with _ = providers.Wait(simtest.ChaosContext(ctx), p.Task) and then returns nil (docs/workloads.md)"
}

// familiesOff lists the families of faults the Run's chaos switches off
// in every seed (familiesOff); a merge's, those its files all list.
func (r *report) familiesOff() []string {
	if r.fromFiles {
		return r.mergedOff
	}
	return familiesOff(r.chaos, r.clustered, len(r.diskDirLoss) > 0)
}

// faultsRecord is what the results file keeps of the faults the seeds
// saw, for a merge to add up.
func (r *report) faultsRecord() *jsonFaults {
	f := &jsonFaults{
		Reboots: r.faults.of(rebootFault) + r.faults.of(pauseFault), Pauses: r.faults.of(pauseFault),
		Network: r.faults.of(networkFault), Disk: r.faults.of(diskFault),
		ShortIO:      r.faults.of(shortIOFault),
		Kinds:        r.faults.kinds(),
		ByTest:       r.byHand.kinds(),
		SeedsWithout: r.faultless, SeedsFailedWithout: r.failedFaultless, InjectsNothing: r.injectsNothing(),
		SeedsUnsyncedDirs:      r.unsyncedDirs,
		SeedsExitedBeforeChaos: r.exitedBefore, SeedsExitedDuringChaos: r.exitedDuring,
		SeedsChaosPhase: r.chaosSeeds, SeedsChaosNoTime: r.noChaos,
		Off: r.familiesOff(),
	}
	if r.clustered {
		f.Chaos, f.ChaosRan = r.configLine(), r.chaosRan
	} else {
		f.DirLoss = dirLossLine(r.chaos, r.diskDirLoss)
	}
	f.Reach = r.reach.record()
	f.Injectors = r.injects.record()
	if f.Connections = r.conns.line(r.seeds); f.Connections != "" {
		f.ConnsSeed, f.ConnsHosts = r.conns.firstSeed, hostsToJSON(r.conns.first)
	}
	return f
}

// addFaults adds up the faults of a results file's summary, f. A file
// written before faults were counted by kind gives its totals alone: they
// count as the "other" of their kind, and the merge tells no kinds.
func (r *report) addFaults(f *jsonFaults) {
	if f.Kinds == nil {
		r.kindsUnknown = true
		r.faults[rebootOther] += f.Reboots
		r.faults[netOther] += f.Network
		r.faults[diskOther] += f.Disk
	}
	for name, n := range f.Kinds {
		r.faults[faultNamed(name)] += n
	}
	if f.ByTest == nil {
		r.byHandUnknown = true
	}
	for name, n := range f.ByTest {
		r.byHand[faultNamed(name)] += n
	}
	r.faultless += f.SeedsWithout
	r.failedFaultless += f.SeedsFailedWithout
	r.reach.merge(f.Reach)
	r.injects.merge(f.Injectors)
	r.unsyncedDirs += f.SeedsUnsyncedDirs
	r.exitedBefore += f.SeedsExitedBeforeChaos
	r.exitedDuring += f.SeedsExitedDuringChaos
	r.chaosSeeds += f.SeedsChaosPhase
	r.noChaos += f.SeedsChaosNoTime
	if f.Chaos != "" {
		r.clustered = true
		// A shard none of whose seeds reached Cluster.Run says that
		// attrition rebooted nothing, which another shard's seeds may
		// have reached: the line of a shard whose seeds did is the
		// merge's.
		if r.mergedChaos == "" || f.ChaosRan && !r.chaosRan {
			r.mergedChaos = f.Chaos
		}
		r.chaosRan = r.chaosRan || f.ChaosRan
	}
	r.mergedDirLoss = cmp.Or(r.mergedDirLoss, f.DirLoss)
	r.mergedQuiet = f.InjectsNothing
	// A family is off for the merge when it is off in every file.
	if !r.offMerged {
		r.mergedOff, r.offMerged = f.Off, true
	} else {
		r.mergedOff = slices.DeleteFunc(slices.Clone(r.mergedOff), func(k string) bool { return !slices.Contains(f.Off, k) })
	}
}

// faultsLine says how many faults the seeds saw, and of which kinds, for
// the configuration is not the run: a workload that ends before chaos
// strikes tests nothing under it, and passes; and a store's test whose
// disks never lost an unsynced write, or whose network never partitioned,
// has not tested that.
func (r *report) faultsLine() string {
	switch {
	case r.faults.calm() && r.injectsNothing():
		return fmt.Sprintf("faults seen: none in %s, as the Run's chaos injects none", plural.Count(r.seeds, "seed"))
	case r.faults.calm() && r.seeds > 0 && r.exitedBefore+r.exitedDuring == r.seeds:
		// Nothing was left to reboot or to talk to: the processes, not
		// the workload, ended before chaos could strike.
		when := "before chaos began"
		if r.exitedBefore < r.seeds {
			when = "before the chaos phase ended"
		}
		return fmt.Sprintf("faults seen: none in %s: every process had exited %s (their Run returned), and attrition leaves an exited process alone; "+
			"a server's Run returns only when it is asked to stop, as its ctx ends, and a program's main at SIGTERM (docs/processes.md)", plural.Count(r.seeds, "seed"), when)
	case r.faults.calm() && r.faults[buggifyFired] > 0 && !r.kindsUnknown:
		// The code under test's buggify sites injected what they do:
		// the workload ran under chaos of its own.
		return fmt.Sprintf("faults seen: none in %s, but the code under test's buggify sites fired %s", plural.Count(r.seeds, "seed"), plural.Count(r.faults[buggifyFired], "time"))
	case r.faults.calm() && r.failedFaultless == r.seeds:
		// A seed that failed first ended before chaos could strike: the
		// workload's length is not the question.
		return fmt.Sprintf("faults seen: none in %s, which failed before any fault came", plural.Count(r.seeds, "seed"))
	case r.faults.calm() && r.failedFaultless > 0:
		return fmt.Sprintf("faults seen: none in %s; %d failed before any fault came, and for the others: did the workload end before chaos began? (docs/workloads.md)",
			plural.Count(r.seeds, "seed"), r.failedFaultless)
	case r.faults.calm():
		return fmt.Sprintf("faults seen: none in %s: did the workload end before chaos began? (docs/workloads.md)", plural.Count(r.seeds, "seed"))
	}
	var b strings.Builder
	b.WriteString("faults seen: " + plural.Count(r.faults.of(rebootFault), "reboot"))
	r.faultKinds(&b, rebootFault)
	if n := r.faults[graceOver]; n > 0 && !r.kindsUnknown {
		over := faultNames[graceOver]
		fmt.Fprintf(&b, ", %d of them %s (a process's Run returns when its ctx ends: docs/processes.md)", n, pluralWord(n, over.one, over.many))
	}
	if n := r.faults.of(pauseFault); n > 0 {
		// A pause stops a process that goes on where it stood: no
		// reboot, and counted apart, whether attrition drew it or the
		// workload paused the process by hand.
		b.WriteString(", " + plural.Count(n, "pause"))
	}
	fmt.Fprintf(&b, ", %d of the network", r.faults.of(networkFault))
	r.faultKinds(&b, networkFault)
	fmt.Fprintf(&b, ", %d of the disks", r.faults.of(diskFault))
	r.faultKinds(&b, diskFault)
	if n := r.faults[diskLostUnsynced]; n > 0 && !r.kindsUnknown {
		lost := faultNames[diskLostUnsynced]
		fmt.Fprintf(&b, ", unsynced writes lost in %d %s", n, pluralWord(n, lost.one, lost.many))
	}
	if n := r.faults[diskNoSpace]; n > 0 && !r.kindsUnknown {
		full := faultNames[diskNoSpace]
		fmt.Fprintf(&b, ", %d %s", n, pluralWord(n, full.one, full.many))
		if r.faults[diskFull] == 0 {
			// No episode: the disks were as full as their Capacity.
			b.WriteString(" at the disks' Capacity")
		}
	}
	if n := r.faults[netPeerLostPower]; n > 0 && !r.kindsUnknown {
		gone := faultNames[netPeerLostPower]
		fmt.Fprintf(&b, ", %d %s", n, pluralWord(n, gone.one, gone.many))
	}
	// The injected clause counts the faults before it: the short reads
	// and writes, which chaos makes, come after, set apart by a
	// semicolon when the clause was written.
	sep := ", "
	if r.injected(&b) {
		sep = "; "
	}
	r.shortIO(&b, sep)
	fired := r.faults[buggifyFired] > 0 && !r.kindsUnknown
	if fired {
		fmt.Fprintf(&b, "; the code under test's buggify sites fired %s", plural.Count(r.faults[buggifyFired], "time"))
	}
	switch {
	case r.faultless > 0 && fired:
		fmt.Fprintf(&b, "; %s of %d saw none, nor a buggify firing", plural.Count(r.faultless, "seed"), r.seeds)
	case r.faultless > 0:
		fmt.Fprintf(&b, "; %s of %d saw none", plural.Count(r.faultless, "seed"), r.seeds)
	}
	return b.String()
}

// shortIO writes the partial reads and writes the seeds saw, apart from
// the network's faults, as TCP allows them and a stream sees many: ",
// 2774 short reads and writes (1405 reads, 1369 writes)", or ", 12 short
// reads" when there were reads alone, or nothing for none; sep comes
// first.
func (r *report) shortIO(b *strings.Builder, sep string) {
	reads, writes := r.faults[netPartialRead], r.faults[netPartialWrite]
	switch n := reads + writes; {
	case n == 0:
	case reads > 0 && writes > 0 || r.kindsUnknown:
		fmt.Fprintf(b, "%s%d short %s", sep, n, pluralWord(n, "read or write", "reads and writes"))
		r.faultKinds(b, shortIOFault)
	case reads > 0:
		fmt.Fprintf(b, "%s%d short %s", sep, n, pluralWord(n, "read", "reads"))
	default:
		fmt.Fprintf(b, "%s%d short %s", sep, n, pluralWord(n, "write", "writes"))
	}
}

// injected writes the faults the test made itself, an Injector's or a
// call's of Cluster, Net or Disk, which the counts before hide among the chaos
// configuration's: "; 9 of them injected by the test (an Injector, or a
// Cluster, Net or Disk call): 8 crashes, 1 partition", "; all of them injected
// by the test (...)" when the configuration made none, or nothing for
// none. It reports whether it wrote anything. The short reads and
// writes, which the line counts after it, are left out.
func (r *report) injected(b *strings.Builder) (wrote bool) {
	if r.byHandUnknown || r.kindsUnknown || r.byHand.none() {
		return false
	}
	const by = "injected by the test (an Injector, or a Cluster, Net or Disk call)"
	inClause := func(f int) bool { k := faultNames[f].kind; return k.counted() && k != shortIOFault }
	n, all := 0, 0
	for f := range faultNames {
		if inClause(f) {
			n, all = n+r.byHand[f], all+r.faults[f]
		}
	}
	if n == 0 {
		return false
	}
	if n == all {
		b.WriteString("; all of them " + by)
		return true
	}
	fmt.Fprintf(b, "; %d of them %s: ", n, by)
	sep := ""
	for f, info := range faultNames {
		k := r.byHand[f]
		if k == 0 || !inClause(f) {
			continue
		}
		what := pluralWord(k, info.one, info.many)
		// Out of its family's parentheses, a kind says what it is.
		switch fault(f) {
		case rebootGraceful:
			what = pluralWord(k, "graceful reboot", "graceful reboots")
		case rebootOther, netOther, diskOther:
			what = info.name + " " + pluralWord(k, "fault", "faults")
		case diskCrash, diskKill, diskWipe:
			what = "disk " + what
		}
		fmt.Fprintf(b, "%s%d %s", sep, k, what)
		sep = ", "
	}
	return true
}

// faultKinds writes the kinds of the faults of family k the seeds saw,
// unless a merged file did not count them.
func (r *report) faultKinds(b *strings.Builder, k faultKind) {
	if !r.kindsUnknown {
		r.faults.family(b, k)
	}
}
