package simtest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/sim"
)

// SeedResult is what one seed of a Run did: a line of the results file
// ([ResultsFile], -simresults) and an element of [Result.Seeds].
type SeedResult struct {
	Seed    uint64
	Trace   uint64        // the trace hash, the same for the same seed on any machine
	Outcome string        // "pass", "fail" or "skip"
	SimTime time.Duration // the simulated time the seed ran
	Steps   uint64        // tasks resumed
	Events  uint64        // timed events fired
	// FirstFailure is the seed's first failure in one line, stamped with
	// its simulated time and task as the report shows it; empty when the
	// seed passed.
	FirstFailure string
	// FailedAt is the call site (file.go:line) that a failed seed's first
	// failure names, and FailureShape the failure's words with each
	// number, decimal or hex, each duration and each list of numbers
	// written as #: the [FailureGroup] the summary puts the seed
	// in, so that a script groups seeds as the report does. Both are
	// empty for a seed that passed; FailedAt is empty for a failure that
	// names no site. An assertion's failure has the words before its site
	// for its shape (`Always "a payment is charged once" failed`), without
	// its details.
	FailedAt, FailureShape string
	// Place is the seed's place in the Run's sequence of seeds (the i of
	// [Shard]'s i, i+n...), which orders the seeds of merged shards as one
	// Run orders them; seeds kept under testdata, run first, have
	// negative places.
	Place int64
	// Replay is a failed seed's replay line; empty when the seed passed.
	// For a configuration error met only on several workers, which the
	// seed replayed alone does not meet, it runs the test again on as
	// many workers (-simworkers=N, no -simseed).
	Replay string
	// ReplayCheck is the first line of what checking the replay line in a
	// fresh process found ([VerifyReplay], -simverify), for the Run's
	// first failing seed: it starts "replay checked:" when that process
	// ran the seed to the same trace and failure, "replay differs:" when
	// it did not, and "replay not checked:" when it could not run it;
	// empty when the Run checked no replay.
	ReplayCheck string
	// Recipe is the exploration timeline the run was ([Explore]), when it
	// branched from Seed's own run, as -simrecipe takes it; empty for a
	// seed's own run.
	Recipe string
	// Alone is what running the seed again alone found, for the first
	// failing seed of a Run on several workers, when that run passed or
	// took another path or failed another way: the seed fails beside
	// other seeds and not alone, so they likely share state; nil when it
	// did not run again, or ran the same. The results file, whose seed
	// lines are written as the seeds end, before that run, has it in its
	// summary line (alone, with its seed), and [MergeResults] puts it
	// back under the seed; [Simulate]'s [Result.PerSeed] has it under
	// the seed, as the JSON report (-simjson) does.
	Alone *AloneRun
	// Kept is the file under testdata/simtest that keeps the seed from an
	// earlier failure ([KeepFailures]), for a kept seed, which runs first:
	// one that fails again is a known failure, not a new one. Empty for
	// the other seeds. Its separators are slashes on every OS, as in
	// testdata/simtest/TestKV/42, so that shards from Windows and
	// elsewhere merge to one form.
	Kept string
	// KeptMoved reports that the kept seed ran another execution than
	// the one its file keeps (its trace is another than the file's): the
	// code along its path changed, or the environment the test reads, so
	// its failure may be another one than the kept, not a known failure.
	KeptMoved bool
	// Faults counts the faults the seed saw by kind, named as the results
	// file's summary names them ("crash", "partition", "partial read",
	// "full"...), with the disks' crashes that lost unsynced writes
	// ("unsynced writes lost"); nil when it saw none. A script finds in
	// the results file the seeds that met a kind of fault.
	Faults map[string]int
	// Conns are the hosts whose connections the report's connections
	// line notes ([ConnsNoted]); nil when it notes none.
	Conns []NotedHost
}

// AloneRun is the run again alone of a seed that failed beside other
// seeds ([SeedResult.Alone]).
type AloneRun struct {
	Trace   uint64 // the trace hash of the run alone
	Outcome string // "pass", "fail" or "skip"
	// FirstFailure is the run's first failure in one line, when it
	// failed, another way than the seed beside others.
	FirstFailure string
}

// jsonAlone is an AloneRun in the results file and the JSON report:
// under its seed, or in the results file's summary with the seed's
// number, as a seed's line was written before the run alone.
type jsonAlone struct {
	Seed         uint64 `json:"seed,omitempty"`
	Trace        string `json:"trace"`
	Outcome      string `json:"outcome"`
	FirstFailure string `json:"first_failure,omitempty"`
}

// toJSON is a as the results file has it; nil for nil.
func (a *AloneRun) toJSON(seed uint64) *jsonAlone {
	if a == nil {
		return nil
	}
	return &jsonAlone{Seed: seed, Trace: fmt.Sprintf("%016x", a.Trace), Outcome: a.Outcome, FirstFailure: a.FirstFailure}
}

// fromJSON is the AloneRun that j writes; nil for nil or a trace that is
// not a hash.
func (j *jsonAlone) fromJSON() *AloneRun {
	var trace uint64
	if j == nil {
		return nil
	}
	if _, err := fmt.Sscanf(j.Trace, "%x", &trace); err != nil {
		return nil
	}
	return &AloneRun{Trace: trace, Outcome: j.Outcome, FirstFailure: j.FirstFailure}
}

// The outcomes of a SeedResult.
const (
	OutcomePass = "pass"
	OutcomeFail = "fail"
	OutcomeSkip = "skip"
)

// jsonSeed is one line of the results file. Its fields are a stable
// format: add to them, never rename.
type jsonSeed struct {
	Seed uint64 `json:"seed"`
	// SeedStr is Seed in decimal, for readers that take a JSON number
	// as a float64 (jq before 1.7, JavaScript), which rounds a seed
	// above 2^53 to another seed.
	SeedStr      string `json:"seed_str"`
	Trace        string `json:"trace"`
	Outcome      string `json:"outcome"`
	SimNS        int64  `json:"sim_ns"`
	Sim          string `json:"sim"`
	Steps        uint64 `json:"steps"`
	Events       uint64 `json:"events"`
	FirstFailure string `json:"first_failure,omitempty"`
	// FailedAt and FailureShape are a failed seed's group
	// (SeedResult.FailedAt, SeedResult.FailureShape).
	FailedAt     string `json:"failed_at,omitempty"`
	FailureShape string `json:"failure_shape,omitempty"`
	Place        int64  `json:"place"`
	Replay       string `json:"replay,omitempty"`
	ReplayCheck  string `json:"replay_check,omitempty"`
	Recipe       string `json:"recipe,omitempty"`
	// Kept is a kept seed's file (SeedResult.Kept).
	Kept string `json:"kept,omitempty"`
	// KeptMoved: the kept seed ran another execution than the one kept
	// (SeedResult.KeptMoved).
	KeptMoved bool `json:"kept_moved,omitempty"`
	// Alone is the run again alone of a seed that failed beside others
	// (SeedResult.Alone), under its seed in the JSON report.
	Alone *jsonAlone `json:"alone,omitempty"`
	// Faults are the seed's faults by kind, as the summary's are; a merge
	// adds up the summaries', not these.
	Faults map[string]int `json:"faults,omitempty"`
	// Conns are the hosts the connections line notes (SeedResult.Conns),
	// which a merge tells again.
	Conns []jsonHost `json:"conns,omitempty"`
}

// MarshalJSON writes r as a line of the results file does.
func (r SeedResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonSeed{Seed: r.Seed, SeedStr: strconv.FormatUint(r.Seed, 10), Trace: fmt.Sprintf("%016x", r.Trace), Outcome: r.Outcome,
		SimNS: int64(r.SimTime), Sim: r.SimTime.String(), Steps: r.Steps, Events: r.Events, FirstFailure: r.FirstFailure,
		FailedAt: r.FailedAt, FailureShape: r.FailureShape, Place: r.Place, Replay: r.Replay, ReplayCheck: r.ReplayCheck, Recipe: r.Recipe, Kept: r.Kept, KeptMoved: r.KeptMoved, Alone: r.Alone.toJSON(0), Faults: r.Faults,
		Conns: hostsToJSON(r.Conns)})
}

// seedResult sums up a seed's outcome.
func seedResult(o *seedOutcome) SeedResult {
	res := o.res
	out := SeedResult{Seed: res.Seed, Trace: res.Trace, Outcome: OutcomePass, SimTime: res.SimTime, Steps: res.Steps, Events: res.Events,
		Recipe: o.tl.recipe(), Conns: o.conns}
	switch {
	case o.skippedOnly():
		out.Outcome = OutcomeSkip
	case o.failed():
		out.Outcome = OutcomeFail
		out.FirstFailure = asJSON(firstFailure(o))
		out.FailedAt, out.FailureShape = failureShape(out.FirstFailure)
	}
	return out
}

// firstFailure is a failed seed's first failure in one line.
func firstFailure(o *seedOutcome) string {
	if o.s != nil && o.s.config != nil {
		return "configuration error: " + headline(o.s.config.err.Error())
	}
	if o.s != nil && len(o.s.errs) > 0 {
		return failureLine(o.s.errs[0])
	}
	var f *sim.Failure
	switch {
	case errors.As(o.res.Err, &f) && f.Kind != sim.Stopped:
		if site := panicSite(f.Stack); f.Kind == sim.Panic && site != "" {
			return site + ": " + failureLine(f.Error())
		}
		return failureLine(f.Error())
	case o.diverge != "":
		return divergedHead(o) + ": " + headline(o.diverge)
	case o.viaT:
		return "the test failed through its own testing.T"
	}
	return "failed"
}

// failureLine is msg's headline, with what it announces (withAnnounced).
func failureLine(msg string) string { return withAnnounced(headline(msg), msg) }

// errorEntry is the timeline's entry for a failure told as msg: the whole
// message when it has more lines than one, so that the timeline file and
// the HTML page carry all of it (a checker's list of the operations that
// conflict); the report shows the entry as its one line (errorSummary).
func errorEntry(msg string) string {
	if strings.Contains(msg, "\n") {
		return "error: " + msg
	}
	return "error: " + failureLine(msg)
}

// errorSummary is e's message on one line: for a failure's entry of
// several lines (errorEntry), "error: " and the line that tells its cause,
// as the report's other one-line accounts of it do; else the message.
func errorSummary(e sim.Entry) string {
	rest, ok := strings.CutPrefix(e.Msg, "error: ")
	if !ok || e.Name != "error" || !strings.Contains(rest, "\n") {
		return e.Msg
	}
	return "error: " + failureLine(rest)
}

// testifyTrace starts the stack that testify's failures carry.
const testifyTrace = "Error Trace:"

// stderrEnds is how a program's exit announces the end of its standard
// error, which follows (program.ExitError).
const stderrEnds = "its standard error ends:"

// withAnnounced is line, a line of msg. When line announces what follows
// it, the line of what follows that tells most goes with it: a panic or
// the Go runtime's fatal error; else, after a program's exit (stderrEnds),
// the last line, which is where log.Fatal's message is; else testify's
// Messages line, the test's own words, which also follows a testify
// headline that announces nothing ("Should be false"). Every one-line
// account of a failure (the results file's, the report's "first at", the
// "error:" line of the report's timeline and "error after crash") goes
// through it, so that each names the same cause.
func withAnnounced(line, msg string) string {
	i := strings.Index(msg, line)
	if i < 0 || !strings.HasSuffix(line, ":") && !strings.Contains(msg, testifyTrace) {
		return line
	}
	last, said := "", ""
	for _, l := range strings.Split(msg[i+len(line):], "\n") {
		switch l = strings.TrimSpace(l); {
		case strings.HasPrefix(l, "panic: "), strings.HasPrefix(l, "fatal error: "):
			return line + " " + l
		case strings.HasPrefix(l, "Messages:"):
			said = strings.Join(strings.Fields(l), " ")
		case l != "":
			last = l
		}
	}
	switch {
	case strings.HasSuffix(line, stderrEnds) && last != "":
		return line + " … " + last
	case said != "":
		return line + " … " + said
	}
	return line
}

// asJSON is s as a JSON string keeps it: each byte that is not valid
// UTF-8 becomes U+FFFD, as encoding/json writes it. The report's texts
// that a results file also holds go through it, so that a merged report
// reads as the Run's own.
func asJSON(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// KeepGoing runs every seed of the Run, past failing ones, as the -simall
// flag does; by default a Run stops at its first failing seed. The first
// failing seed gets the full failure report (and is the one kept under
// testdata/simtest); the summary gives the failure rate, sorts the failing
// seeds into groups by where and how they failed ([FailureGroup]), each
// with its first seed's replay line, and lists the first failing seeds,
// and [ResultsFile] has a line for each seed. Use it to measure how
// often a bug shows (seeds to first failure, failures per thousand seeds).
// [Fuzz] refuses it: go test runs every input of a seed corpus already.
func KeepGoing() Option {
	return optionFunc(func(c *config) error {
		c.keepGoing = true
		return nil
	})
}

// ResultsFile writes a line of JSON for every seed of the Run to path, as
// the -simresults flag does: seed, trace (hex), outcome ("pass", "fail",
// "skip"), sim_ns and sim (the simulated time), steps, events, place (in
// the sequence of seeds), first_failure, failed_at, failure_shape (its
// group, [SeedResult.FailedAt]) and replay for a failed seed,
// replay_check for the first failing seed under [VerifyReplay], and
// recipe for an exploration's branched timeline, kept for a seed kept
// under testdata/simtest from an earlier failure (its file); the summary's alone is
// the first failing seed's run again alone on several workers, when it
// ran otherwise ([SeedResult.Alone]).
// A last line, {"summary": {...}}, is the Run's report as [JSONReport]
// writes it (the counts, the assertion table) and how the Run chose its
// seeds (base seed, shard, wall time), and the version of the file's
// format, format_version. With [KeepGoing] it is a sweep's
// machine-readable result, for CI and scripts, and [MergeResults]
// (cmd/moonpool-merge) merges the files of a sweep's shards. Paths are as
// for [CoverProfile]: a directory's file per test goes under the
// directory of the test's package in its module (DIR/examples/kv/
// TestKV.jsonl). The file ends in .jsonl, and a shard's in
// .shard-I-of-N.jsonl. A Run refuses a results path that [TimelineFile]
// also names: the two files would be one.
func ResultsFile(path string) Option {
	return optionFunc(func(c *config) error {
		if path == "" {
			return fmt.Errorf("simtest.ResultsFile: the path is empty; name the file to write the results to")
		}
		c.resultsPath = path
		return nil
	})
}

// resultsFile is the file the Run writes its results to: the path itself,
// or, for a path that names a directory, a file named after the test and
// its shard in a directory named after the test's package, as it is in
// the module (DIR/examples/kv/TestKV.shard-0-of-4.jsonl; a package at the
// module's root writes DIR/TestKV.jsonl). go test ./... runs packages'
// test binaries at once, and two packages may each have a TestKV: named
// for the test alone, one file would be written over the other, and a
// merge would miss a package's seeds without a word.
func (r *runner) resultsFile() string {
	return r.packageFile(r.cfg.resultsPath, r.t.Name()+r.cfg.shardSuffix(), ".jsonl")
}

// filesCollide refuses a results file and a timeline file at one path
// (the same directory, or the same file): both are test.jsonl in a
// directory, and one would be written over the other. A timeline
// elsewhere in the results' directory is fine: a merge passes over it.
func (r *runner) filesCollide(test string) error {
	c := r.cfg
	results, timeline := c.resultsPath, c.asserts.timelinePath
	if results == "" || timeline == "" {
		return nil
	}
	file := filepath.Clean(r.resultsFile())
	if filepath.Clean(results) != filepath.Clean(timeline) && file != filepath.Clean(r.packageFile(timeline, test, ".jsonl")) {
		return nil
	}
	return fmt.Errorf("simtest: the results (-simresults, ResultsFile) and the timeline (-simtimeline, TimelineFile) are both written to %s: "+
		"the timeline would be written over the results; give the timeline a file or directory of its own", timeline)
}

// makeDirs makes the directory of every file the Run writes (the results,
// the coverage profile, the JSON report, the timeline and its HTML page),
// before its first seed: a path whose directory cannot be made would
// otherwise fail only once every seed had run. A directory that is
// missing is made, as -simresults has always made its own.
func (c *config) makeDirs(test string) error {
	for _, f := range []struct{ path, what, flag, option, ext string }{
		{c.resultsPath, "the results", "-simresults", "ResultsFile", ".jsonl"},
		{c.asserts.coverPath, "the assertion coverage profile", "-simcover", "CoverProfile", ".cover"},
		{c.asserts.jsonPath, "the JSON report", "-simjson", "JSONReport", ".json"},
		{c.asserts.timelinePath, "the timeline", "-simtimeline", "TimelineFile", ".jsonl"},
		{c.asserts.htmlPath, "the HTML timeline", "-simhtml", "TimelineHTML", ".html"},
	} {
		if f.path == "" {
			continue
		}
		dir := filepath.Dir(filePath(f.path, test, f.ext))
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return fmt.Errorf("simtest: %s (%s, %s) goes to %s, whose directory cannot be made (%w); "+
				"name a file in a directory that exists or that the test can make", f.what, f.flag, f.option, f.path, err)
		}
	}
	return nil
}

// results writes the results file as the seeds end, a line at a time:
// a Run killed before it ends (out of memory, a cancelled CI job) leaves
// every seed that ended, and at most its last line cut, which a merge
// reads as a shard cut off. A write a seed costs little beside a seed.
type results struct {
	path string
	f    *os.File
	err  error
}

// openResults creates the results file where createOutput puts it
// (runner.resultsFile for a directory), and returns with it a note when
// it writes over a file that another Run wrote since this process
// started (overwriteNote).
func (r *runner) openResults() (*results, string, error) {
	f, note, err := r.createOutput("the results", "-simresults", r.cfg.resultsPath, r.t.Name()+r.cfg.shardSuffix(), ".jsonl")
	if err != nil {
		return nil, "", fmt.Errorf("simtest: writing the results: %w", err)
	}
	return &results{path: f.Name(), f: f}, note, nil
}

// overwriteNote is the note a Run logs when the file it is about to write
// at path is another Run's, whose file is then lost: one that a Run of
// this test binary wrote for the same test name (the test run again by
// -count, or a test with several Runs), or, for a FILE (inDir false), one
// that another package's test binary wrote since this one started, as go
// test ./... runs them at the same time. "" when the file is neither:
// absent, or left by an earlier process. The caller holds outputMu.
func overwriteNote(what, path, flag string, inDir bool) string {
	switch {
	case wroteHere(path):
		return fmt.Sprintf("simtest: this Run writes %s over %s, which an earlier Run of this test binary wrote for the same test "+
			"(run again, as under -count, or a test with several Runs), and that Run's file is lost: "+
			"each test name gets one file, so run with -count=1, and give each of a test's several Runs a path of its own", what, path)
	case !inDir && writtenElsewhereSinceStart(path):
		return fmt.Sprintf("simtest: this Run writes %s over %s, which another test binary wrote since this one started "+
			"(another package's, as go test ./... runs them at the same time), and that file is lost: "+
			"give %s a directory (a path ending in /), which gets a file a package and test", what, path, flag)
	}
	return ""
}

func (r *results) add(sr SeedResult) { r.line(sr) }

// line writes v as a line of JSON.
func (r *results) line(v any) {
	if r == nil || r.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err == nil {
		_, err = r.f.Write(append(b, '\n'))
	}
	r.err = err
}

func (r *results) close() error {
	err := r.err
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("simtest: writing the results to %s: %w", r.path, err)
	}
	return nil
}

// filePath is where a Run's file goes: a path that names a directory (an
// existing one, or one ending in a slash) gets a file per test, named
// after the test with ext; any other path is the file itself.
func filePath(path, test, ext string) string {
	if st, err := os.Stat(path); endsInSeparator(path) || err == nil && st.IsDir() {
		return filepath.Join(path, fileName(test)+ext)
	}
	return path
}

// endsInSeparator reports whether path ends in a slash, or in the OS's
// separator (DIR\ on Windows): a directory, even one not made yet.
func endsInSeparator(path string) bool {
	return strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(os.PathSeparator))
}

// percent writes n of all as a percentage with prec decimals, never
// rounding a count that is not zero to 0 (a rare bug's one seed of
// 30,000 is "<0.01%"), nor one short of all to 100.
func percent(n, all, prec int) string {
	if all <= 0 {
		return "0%"
	}
	p := 100 * float64(n) / float64(all)
	text := strconv.FormatFloat(p, 'f', prec, 64)
	least := strconv.FormatFloat(math.Pow(10, -float64(prec)), 'f', prec, 64)
	switch zero := strconv.FormatFloat(0, 'f', prec, 64); {
	case n > 0 && text == zero:
		return "<" + least + "%"
	case n < all && text == strconv.FormatFloat(100, 'f', prec, 64):
		return ">" + strconv.FormatFloat(100-math.Pow(10, -float64(prec)), 'f', prec, 64) + "%"
	}
	return text + "%"
}

// failingLine is the summary's list of failing seeds and the failure
// rate; empty when the Run did not go past a failure. A merge lists the
// failing seeds of shards that stopped at their first failure too: its
// report has no failure report of its own to show them.
func (r *report) failingLine() string {
	if !r.keepGoing && (!r.fromFiles || r.failed == 0) || r.seeds == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n    failing seeds: %d of %d", r.failed, r.seeds)
	if !r.keepGoing {
		// Shards that stop at their first failing seeds make a rate of
		// nothing.
		b.WriteString(", where their shards stopped (no failure rate: -simall runs every seed)")
	} else if kept := r.failGroups.kept; kept > 0 && kept <= r.failed && len(r.kept) < r.seeds {
		// A kept seed is a known bug's: the rate is of the others.
		fmt.Fprintf(&b, ", %d of them kept (%s of the other %d)", kept,
			percent(r.failed-kept, r.seeds-len(r.kept), 2), r.seeds-len(r.kept))
	} else {
		fmt.Fprintf(&b, " (%s)", percent(r.failed, r.seeds, 2))
	}
	if r.failed == 0 {
		return b.String()
	}
	if r.failGroups.groups() > 1 {
		r.failGroups.write(&b)
		b.WriteString("\n      each with its first failure and replay line:")
	} else {
		b.WriteString(", each with its first failure and replay line:")
	}
	writeFailing(&b, r.failingWhy, r.failed, r.everySeed("-simresults lists every seed"))
	return b.String()
}

// A FailureGroup is the failing seeds of a Run or a sweep whose first
// failures were alike: at one call site (file.go:line) with the same
// words, their numbers aside; or, for failures that name no site, with
// the same words. Two bugs reported from one site, as a Workload's Check
// or a helper's S.Errorf reports every failure its checks find, are two
// groups; one bug whose message carries a key, a count or a node's
// number is one.
type FailureGroup struct {
	// Site is the call site the failures name, as file.go:line; "" when
	// they name none.
	Site string
	// Shape is the failures' words after the site (all of them but the
	// simulated time and task that stamp them when there is none), with
	// each number (decimal or hex), each duration and each list of
	// numbers written as #: "acknowledged payment c#-p# is missing",
	// "offsets [#]", "lease expired # ago". An assertion's failure ("Always … failed
	// (file.go:line): details") has the words before its site, `Always
	// "…" failed`, without its details, which vary.
	Shape string
	// Seeds counts the group's seeds; Kept those of them kept under
	// testdata/simtest ([SeedResult.Kept]), known failures.
	Seeds, Kept int
	// First is the group's first seed in the order of the sequence, with
	// its first failure and replay line.
	First SeedResult
	// KeptFile is the file of the group's first kept seed, which, as kept
	// seeds run first, is First when there is one; "" when none is kept.
	KeptFile string
}

// Known reports whether the group holds a kept seed that failed on the
// execution its file keeps: the known failure of an open bug, not a new
// finding (though its other seeds may be another bug that fails alike).
func (g FailureGroup) Known() bool { return g.KeptFile != "" && !g.First.KeptMoved }

// failureGroups sorts failing seeds into FailureGroups.
type failureGroups struct {
	order []string // the groups' keys, in the order of their first seeds
	by    map[string]*FailureGroup
	kept  int // the kept seeds among the failing
}

// maxListedPlaces bounds the groups of failures a summary lists.
const maxListedPlaces = 10

var (
	failureSite = regexp.MustCompile(`[^\s:()"'\x60]+\.go:\d+`)
	// failureNumber is a number in a failure's words, decimal or hex
	// (a key, an id as 0x1f), and failureNumbers a list of them, of a
	// length that varies as they do ([48 51], [148 151 152]).
	failureNumber  = regexp.MustCompile(`0[xX][0-9a-fA-F]+|\d+`)
	failureNumbers = regexp.MustCompile(`#(?:,? #)+`)
	// failureDuration is a duration in a failure's words, as Go writes
	// one: its units vary with it (850ms, 1.2s, 1m2.5s), as its number
	// does.
	failureDuration = regexp.MustCompile(`\b(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+\b`)
	// failureStamp is a first failure's stamp: its simulated time and
	// task (stampAt), whose time differs from seed to seed, in its units
	// too (970ms, 1.2s); the task's name runs to its colon ("client 2").
	failureStamp = regexp.MustCompile(`^(?:\d+(?:\.\d+)?(?:h|m|s|ms|µs|us|ns))+(?: [^:]+)?: `)
)

// failureShape is where a first failure was and its words: the group it
// goes in.
func failureShape(firstFailure string) (site, shape string) {
	rest := failureStamp.ReplaceAllString(firstFailure, "")
	if loc := failureSite.FindStringIndex(rest); loc != nil {
		site = rest[loc[0]:loc[1]]
		after, ok := strings.CutPrefix(rest[loc[1]:], ": ")
		if !ok {
			// An assertion's, `Always "msg" failed (file.go:66): details`:
			// its words are those before the site, its details left out,
			// as they vary from seed to seed.
			rest = strings.TrimSuffix(strings.TrimSpace(rest[:loc[0]]), "(")
			return site, numbersOut(strings.TrimSpace(rest))
		}
		rest = after
	}
	return site, numbersOut(rest)
}

// numbersOut writes each number of s, each duration, and each list of
// numbers, as #: they vary from seed to seed with one bug, as its words
// do not.
func numbersOut(s string) string {
	s = failureDuration.ReplaceAllString(s, "#")
	return failureNumbers.ReplaceAllString(failureNumber.ReplaceAllString(s, "#"), "#")
}

// add counts f, a failing seed; seeds come in the order of the sequence.
func (g *failureGroups) add(f SeedResult) {
	site, shape := f.FailedAt, f.FailureShape
	key := site + "\x00" + shape
	if g.by == nil {
		g.by = make(map[string]*FailureGroup)
	}
	fg := g.by[key]
	if fg == nil {
		fg = &FailureGroup{Site: site, Shape: shape, First: f}
		g.by[key] = fg
		g.order = append(g.order, key)
	}
	fg.Seeds++
	if f.Kept != "" {
		g.kept++
		fg.Kept++
		if fg.KeptFile == "" {
			fg.KeptFile = f.Kept
		}
	}
}

func (g *failureGroups) groups() int { return len(g.order) }

// list is the groups, most seeds first, and in the order of their first
// seeds among equals.
func (g *failureGroups) list() []FailureGroup {
	out := make([]FailureGroup, len(g.order))
	for i, key := range g.order {
		out[i] = *g.by[key]
	}
	slices.SortStableFunc(out, func(x, y FailureGroup) int { return cmp.Compare(y.Seeds, x.Seeds) })
	return out
}

// sites counts the call sites among the groups, each failure that names
// none a place of its own.
func (g *failureGroups) sites() int {
	seen := make(map[string]bool)
	for _, key := range g.order {
		fg := g.by[key]
		seen[cmp.Or(fg.Site, "\x00"+fg.Shape)] = true
	}
	return len(seen)
}

// write lists the groups, most seeds first, each with the first seed
// that failed so, its failure and replay line: a rare bug's replay line
// is then never left to the luck of the first failing seeds listed.
func (g *failureGroups) write(b *strings.Builder) {
	groups := g.list()
	if sites := g.sites(); sites < len(groups) {
		fmt.Fprintf(b, ", their first failures of %d kinds in %s:", len(groups), plural.Count(sites, "place"))
	} else {
		fmt.Fprintf(b, ", their first failures in %d places:", len(groups))
	}
	for _, fg := range groups[:min(len(groups), maxListedPlaces)] {
		fmt.Fprintf(b, "\n        %s\n          %s", fg, fg.First.Replay)
	}
	if more := len(groups) - maxListedPlaces; more > 0 {
		fmt.Fprintf(b, "\n        ... and %s", plural.Count(more, "other kind"))
	}
}

// String is the group's head in a summary: how many seeds, the first,
// whether a kept seed is among them, and the first's failure ("4001
// seeds like seed 9 (known: kept in testdata/simtest/TestW/9): ...").
func (g FailureGroup) String() string {
	return fmt.Sprintf("%s like seed %d%s: %s", plural.Count(g.Seeds, "seed"), g.First.Seed, g.keptNote(), g.First.FirstFailure)
}

// keptNote is what a group's head says of the kept seeds among its
// seeds: "" when it holds none.
func (g FailureGroup) keptNote() string {
	switch {
	case g.Known():
		return " (known: kept in " + g.KeptFile + ")"
	case g.KeptFile != "":
		return " (kept in " + g.KeptFile + ", but failed on another execution than the one kept: maybe another bug)"
	}
	return ""
}

// addKept counts seed, which ran, among the kept seeds.
func (r *report) addKept(seed uint64) {
	if r.kept == nil {
		r.kept = make(map[uint64]bool)
	}
	r.kept[seed] = true
}

// keptLine is what the summary's count of seeds says of the kept seeds
// among them: they are no seeds of the sequence, and a failure rate that
// counts a known bug's seed as found should say so.
func (r *report) keptLine() string {
	if len(r.kept) == 0 {
		return ""
	}
	return fmt.Sprintf(", of them %s from %s", plural.Count(len(r.kept), "kept seed"), keepDir)
}

// writeFailing lists the first maxListedFailing of failing, seeds of
// total that failed, each with its first failure (and, for a kept seed,
// that it was kept, and whether on the execution kept) and replay line,
// and under it what checking that line in a fresh process found
// (-simverify), as the failure report has it: a merge's reader must not
// be handed a line known not to replay as if it did. Then how many more
// there are, with where, which lists them all.
func writeFailing(b *strings.Builder, failing []SeedResult, total int, where string) {
	failing = failing[:min(len(failing), maxListedFailing)]
	for _, f := range failing {
		fmt.Fprintf(b, "\n        seed %d%s: %s\n          %s", f.Seed, f.keptMark(), f.FirstFailure, f.Replay)
		if f.ReplayCheck != "" {
			fmt.Fprintf(b, "\n          %s", f.ReplayCheck)
		}
		if f.Alone != nil {
			fmt.Fprintf(b, "\n          %s", f.Alone.line())
		}
	}
	if more := total - len(failing); more > 0 {
		// On a line of its own, not the last replay line, which is
		// copied whole.
		fmt.Fprintf(b, "\n        ... and %d more (%s)", more, where)
	}
}

// keptMark is what a list of failing seeds says after a kept seed's
// number: CI triage tells a known failure from a new one by it. "" for a
// seed not kept.
func (r SeedResult) keptMark() string {
	switch {
	case r.Kept == "":
		return ""
	case r.KeptMoved:
		return " (kept in " + keepDir + ", failed on another execution than the one kept)"
	}
	return " (kept in " + keepDir + ")"
}

// line says what a's run found, under its seed in a list of failing
// seeds.
func (a *AloneRun) line() string {
	how := "passed"
	switch a.Outcome {
	case OutcomeFail:
		how = "failed another way"
		if a.FirstFailure != "" {
			how += ": " + a.FirstFailure
		}
	case OutcomeSkip:
		how = "skipped"
	}
	return fmt.Sprintf("run again alone (trace %016x), it %s: the seeds most likely share state, and the replay line, which runs the seed alone, does not replay this failure", a.Trace, how)
}

// maxListedFailing bounds the failing seeds a summary lists.
const maxListedFailing = 20

// maxJSONFailing bounds the failing seeds the JSON report (-simjson)
// lists; the results file (-simresults) has every one.
const maxJSONFailing = 1000

// resultsFormat is the version of the results file's format, in its
// summary: a merge reads only files of its own version. Raise it when a
// file of the old format would merge wrong: 1 is the first with the
// version, and with seeds' places (a file from before places merges its
// seeds out of the sequence's order); 2 gives an Always its first_pass
// (a file without them would make a merge take a later shard's first
// pass for the earliest); 3 comes with -simbase's seeds drawn from the
// base and the test's name (a file of 2 with the same base ran other
// seeds) and the fields a merge checks shards agree on (sweep_seeds,
// flags, build).
const resultsFormat = 3

// jsonSummary is the results file's last line.
type jsonSummary struct {
	Summary *jsonReport `json:"summary"`
}

// summary writes the results file's last line: the Run's report.
func (r *results) summary(rep jsonReport) { r.line(jsonSummary{Summary: &rep}) }

// summaryRecord is the Run's report for the results file: the JSON
// report and how the Run chose its seeds.
func (r *runner) summaryRecord() jsonReport {
	rep := r.jsonReport(r.rows)
	rep.FormatVersion = resultsFormat
	if !r.outside {
		rep.Package, rep.ImportPath = packageDir(), importPath()
	}
	// As -simbase gave it: the shards of one test given one agree.
	rep.BaseSeed, rep.BaseSeedStr = r.given, strconv.FormatUint(r.given, 10)
	rep.Shard, rep.Shards = r.cfg.shard, max(r.cfg.shards, 1)
	rep.Kept = len(r.kept)
	if !r.rep.zeroWall {
		rep.WallNS = int64(r.rep.wall)
	}
	rep.KeepGoing = r.rep.keepGoing
	rep.AllowGaps = r.cfg.asserts.allowGaps
	rep.AllowedGaps = r.cfg.asserts.allowed
	rep.StoppedBy = r.stoppedBy
	rep.CutShort = r.cut
	if n := r.plannedSeeds(); r.stoppedBy == stoppedByTimeout && n > r.rep.seeds {
		// How many the shard was given, of which Seeds ran.
		rep.SeedsPlanned = n
	}
	rep.Reboots = r.rep.rebootsLine()
	if n := r.cfg.seedCount(); n != math.MaxInt && !r.cfg.replaySet {
		rep.SweepSeeds = n
	}
	if !r.outside {
		rp := newReplayer()
		flags := append(rp.flags[:len(rp.flags):len(rp.flags)], rp.build...)
		if flags == nil {
			flags = []string{}
		}
		rep.Flags = &flags
	}
	rep.Build = buildRecord()
	rep.Alone = r.alone.toJSON(r.aloneSeed)
	if rp := &r.rep; rp.checked > 0 {
		rep.Determinism = &jsonDeterminism{Checked: rp.checked, Diverged: rp.diverged, EndedOtherwise: rp.endedOtherwise, DivergedSeeds: rp.divergedSeeds}
	}
	return rep
}

// jsonDeterminism is what CheckDeterminism (-simcheck) found: the seeds
// run twice, those whose runs differed, and of them those that took the
// same path and ended differently; the first few that differed.
type jsonDeterminism struct {
	Checked        int      `json:"checked"`
	Diverged       int      `json:"diverged"`
	EndedOtherwise int      `json:"ended_otherwise,omitempty"`
	DivergedSeeds  []uint64 `json:"diverged_seeds,omitempty"`
}

// jsonBuild is how the test binary was built, as it knows it
// (debug.ReadBuildInfo): a merge warns of shards built differently. A
// test binary's main module has no version ("(devel)") and go test stamps
// no version control information into it, so only a binary built another
// way (go build, a program calling Simulate) has VCS figures; moonpool's
// own version is the one go.mod requires, with its replacement, if any.
// SourceHash identifies a test binary's source in place of the VCS
// revision, which go test does not stamp (sourceHash).
type jsonBuild struct {
	Go            string `json:"go"`
	Module        string `json:"module,omitempty"`
	ModuleVersion string `json:"module_version,omitempty"`
	Moonpool      string `json:"moonpool,omitempty"`
	VCSRevision   string `json:"vcs_revision,omitempty"`
	VCSTime       string `json:"vcs_time,omitempty"`
	VCSModified   bool   `json:"vcs_modified,omitempty"`
	SourceHash    string `json:"source_hash,omitempty"`
}

// moonpoolModule is this module's path, as a binary's dependencies name
// it.
const moonpoolModule = "github.com/moonpool-go/moonpool"

// buildRecord is the running binary's jsonBuild.
func buildRecord() *jsonBuild {
	b := &jsonBuild{Go: runtime.Version(), SourceHash: sourceHash()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module, b.ModuleVersion = bi.Main.Path, bi.Main.Version
	if bi.Main.Path == moonpoolModule {
		b.Moonpool = bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == moonpoolModule {
			b.Moonpool = moonpoolVersion(d)
		}
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.VCSRevision = s.Value
		case "vcs.time":
			b.VCSTime = s.Value
		case "vcs.modified":
			b.VCSModified = s.Value == "true"
		}
	}
	return b
}

// moonpoolVersion is how a build record names moonpool, required as d: its
// version, and its replacement's. A replacement by a directory names no
// path, since one checkout sits at other paths on other machines and a
// merge would call shards of one source built differently.
func moonpoolVersion(d *debug.Module) string {
	switch {
	case d.Replace == nil:
		return d.Version
	case d.Replace.Version == "":
		return d.Version + " => a local directory"
	}
	return d.Version + " => " + d.Replace.Path + " " + d.Replace.Version
}

// placeOf is seed's place in the Run's sequence of seeds: negative for a
// seed kept under testdata, which runs first.
func (r *runner) placeOf(seed uint64) int64 {
	if i := slices.Index(r.kept, seed); i >= 0 {
		return int64(i - len(r.kept))
	}
	return placeOf(r.base, seed)
}
