package simtest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// replayCheckEnv is set in the environment of the process that runs a
// failing seed's replay line to check it: its Runs check no replay of
// their own, which would start a process per failure without end, and
// write no file, which would be written over the checking Run's.
const replayCheckEnv = "MOONPOOL_REPLAY_CHECK"

// The bound on the process that checks a replay: replayCheckTimes the
// real time the seed took, and replayCheckSlack for the binary to start
// and the test to reach its Run (config.replaySlack in this package's
// tests, which stop a process at a bound of their own).
const (
	replayCheckTimes = 3
	replayCheckSlack = 20 * time.Second
	// replayCheckOrphan is how long past its bound the process's own
	// -timeout ends it, when this process is no longer there to.
	replayCheckOrphan = 10 * time.Second
)

// VerifyReplay checks the replay line of the Run's first failing seed
// in a fresh process, as the -simverify flag does: the test binary runs
// the line's test again, alone, with the line's seed and flags, and the
// failure report says whether that process ran the seed to the same
// trace and the same first failure, compared as [CheckDeterminism]
// compares the ends of its two runs. That check runs a seed twice in
// one process, so it cannot see state that is the same for both runs
// and not for a fresh process: a package variable that an earlier test
// or seed of the binary set, the process's pid or goroutines. Such a seed
// passes -simcheck, and its replay line passes without a word; this
// check says so where the failure is reported. The fresh process runs in
// this one's environment, which the replay line does not carry: a checked
// replay names the environment variables the test looked up while it
// ran, each set here or not, for a line that fails only under one; one
// read before the tests began, by a package variable's initializer or
// TestMain, is not seen, and the verdict says so. It costs a passing Run
// nothing: only a failing seed's line is run, once per Run. A Run
// outside go test ([Simulate]), a fuzz input and an exploration's
// timeline are not checked, and the report says why.
func VerifyReplay() Option {
	return optionFunc(func(c *config) error {
		c.verify = true
		return nil
	})
}

// checking makes c the configuration of a Run in the process that checks
// another's replay line: it checks no replay itself, keeps no seed and
// writes no file, for the files are the checking Run's.
func (c *config) checking() {
	c.verify, c.keep, c.checkingReplay = false, false, true
	c.resultsPath = ""
	c.asserts.coverPath, c.asserts.jsonPath, c.asserts.timelinePath, c.asserts.htmlPath = "", "", "", ""
	c.asserts.artifacts = false
}

// checkReplay runs the replay line of o, the Run's first failing seed, in
// a fresh process of the test binary, and returns the failure report's
// line that says what that process did; "" when the Run does not check
// replays, or o failed in a way that a replay line does not replay (a
// configuration error).
func (r *runner) checkReplay(o *seedOutcome) string {
	start := time.Now()
	defer func() { r.checkWall += time.Since(start) }()
	bin := os.Args[0]
	if !filepath.IsAbs(bin) {
		bin = filepath.Join(startDir, bin)
	}
	return r.checkReplayWith(o, replayHost{bin: bin, goos: runtime.GOOS})
}

// replayHost is what checkReplay runs on: the test binary, and the GOOS
// it was built for.
type replayHost struct {
	bin, goos string
}

// checkReplayWith is checkReplay on host.
func (r *runner) checkReplayWith(o *seedOutcome, host replayHost) string {
	bin := host.bin
	if !r.cfg.verify || o.s != nil && o.s.config != nil {
		return ""
	}
	seed := o.res.Seed
	switch {
	case r.outside:
		return "replay not checked: simtest.Simulate runs outside go test, and has no test binary to run the seed again in a fresh process"
	case r.fuzz != nil:
		return "replay not checked: a fuzz input is replayed from its corpus file, not by seed, and -simverify runs only a seed's replay line"
	case r.exp.exploring() || r.replayTimeline() != "":
		return "replay not checked: an exploration's timeline is replayed by its recipe (-simrecipe), and -simverify runs only a seed's replay line"
	case o.diverge != "":
		return "replay not checked: the seed does not run the same way twice in this process already (below), so no replay of it can match"
	case overtime(o):
		return "replay not checked: the seed was stopped as go test's -timeout came near"
	case host.goos == "js" || host.goos == "wasip1":
		return fmt.Sprintf("replay not checked: a test binary built for GOOS=%s runs under go test's -exec runner, and cannot start itself again; run the replay line as printed", host.goos)
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Sprintf("replay not checked: the test binary %s is gone (%v), so no fresh process can run the seed; run the replay line as printed", bin, err)
	}
	bound, why := replayBound(o.wall, cmp.Or(r.cfg.replaySlack, replayCheckSlack), newTestDeadline(r.t), time.Now())
	if bound == 0 {
		return "replay not checked: go test's -timeout is too near to run the seed in a fresh process"
	}
	args := []string{"-test.run=" + runPattern(r.t.Name()), "-test.v", simseedArg(seed), "-simkeep=false"}
	if r.watchdogReplay(o) != "" {
		args = append(args, "-simwatchdog="+r.cfg.watchdog.String())
	}
	// In a process group of its own (inGroup), the child does not hear a
	// Ctrl-C at the terminal, and would outlive this process if that ended
	// it: its own -timeout ends it soon after the bound.
	args = append(args, "-test.timeout="+(bound+replayCheckOrphan).String())
	args = append(args, childFlags(flag.CommandLine)...)
	// The testing package logs to this file each environment variable the
	// process looks up, as it does for go test's cache: the variables
	// the verdict names, which the replay line does not carry.
	var testlog string
	if dir, err := os.MkdirTemp("", "simtest-replay-check"); err == nil {
		defer os.RemoveAll(dir)
		testlog = filepath.Join(dir, "testlog")
		args = append(args, "-test.testlogfile="+testlog)
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = startDir
	cmd.Env = append(os.Environ(), replayCheckEnv+"=1")
	inGroup(cmd)
	// Where there is no process group, a process the child started may
	// hold its output open after the child is killed: stop reading then.
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if r.cfg.zeroWall {
		took = 0
	}
	switch {
	case ctx.Err() != nil:
		return fmt.Sprintf("replay not checked: a fresh process running seed %d had not ended after %v (%s), and was stopped", seed, bound.Round(time.Millisecond), why)
	case err != nil && !errors.As(err, new(*exec.ExitError)):
		return fmt.Sprintf("replay not checked: the test binary %s could not run the seed in a fresh process: %v", bin, err)
	}
	verdict := replayVerdict(o, took, string(out), err, r.t.Name())
	if strings.HasPrefix(verdict, "replay checked:") {
		read := readTestlogEnv(testlog)
		if o.s != nil && read != nil {
			// The seed's own S.Setenv and S.Chdir looked these up to put
			// them back: the test sets them, and reads none from here.
			o.s.cleanMu.Lock()
			read = slices.DeleteFunc(read, func(name string) bool { return slices.Contains(o.s.envSet, name) })
			o.s.cleanMu.Unlock()
		}
		verdict += envScope(read, startEnviron)
	}
	return verdict
}

// startEnviron is the environment the test binary started in, which a
// checked replay's verdict says a variable is set or unset in: a
// developer's shell has no variable the test set itself (t.Setenv), and
// the replay line runs in such a shell.
var startEnviron = os.Environ()

// readTestlogEnv lists the environment variables that a test process
// looked up, from the file its -test.testlogfile names, leaving out this
// package's own; nil when the file cannot be read.
func readTestlogEnv(path string) []string {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	read := []string{}
	for line := range strings.Lines(string(b)) {
		name, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "getenv ")
		if !ok || slices.Contains([]string{flagsEnv, seedsEnv, shardEnv, replayCheckEnv}, name) || slices.Contains(read, name) {
			continue
		}
		read = append(read, name)
	}
	slices.Sort(read)
	return read
}

// envScope is what a checked replay's verdict adds of its scope: the
// process ran in this one's environment, which the replay line does not
// carry, and the variables the test looked up while it ran (read; nil
// when unknown), each said to be set or unset in environ. Their values
// are left out: a CI job's environment holds secrets. The testing
// package logs lookups only once its tests begin, so one made before, by
// a package variable's initializer or TestMain, is not among them: the
// verdict says so rather than that the line needs no variable.
func envScope(read []string, environ []string) string {
	const scope = ", in this process's environment, which the replay line does not carry"
	const unseen = "; a variable read before the tests began (by a package variable's initializer or TestMain) is not seen"
	switch {
	case read == nil:
		return scope
	case len(read) == 0:
		return scope + "; the test looked up no environment variable while it ran" + unseen
	}
	var words []string
	for _, name := range read {
		state := "unset here"
		if slices.ContainsFunc(environ, func(kv string) bool { return strings.HasPrefix(kv, name+"=") }) {
			state = "set here"
		}
		words = append(words, fmt.Sprintf("%s (%s)", name, state))
	}
	return scope + "; the test looked up " + joinAnd(words) + " while it ran, so run the line with " + pluralWord(len(words), "it", "them") + " as here" + unseen
}

// endedLine is what the Run in a process that checks a replay logs of o,
// the seed it ran, for the Run that checks it: its trace, how it ended
// and the errors it reported through S, which the determinism check
// compares (endedAs, laterErrorDiffers), quoted to stay one line, and
// endedCutMark when a check in it was cut short by real time (cutByTime).
func endedLine(o *seedOutcome) string {
	errs := []string{}
	if o.s != nil && o.s.errs != nil {
		errs = o.s.errs
	}
	b, _ := json.Marshal(errs) // a slice of strings always encodes
	line := fmt.Sprintf("simtest: replay check: seed=%d trace=%016x ended %s errors %s", o.res.Seed, o.res.Trace, strconv.Quote(endedAs(o)), b)
	if o.s != nil && o.s.timedOut {
		line += endedCutMark
	}
	return line
}

// endedCutMark ends an endedLine whose seed had a check cut short by real
// time, which the checking Run tells as -simcheck does (cutByRealTime).
const endedCutMark = " cut by real time"

// replayBound is how long, from now, the process that checks the replay
// of a seed that took wall may run, and why: replayCheckTimes wall and
// slack, or what go test's -timeout (d) leaves the Run if that is less;
// 0 when it leaves too little.
func replayBound(wall, slack time.Duration, d testDeadline, now time.Time) (time.Duration, string) {
	bound, why := replayCheckTimes*wall+slack, fmt.Sprintf("%d times the %v the seed took, and %v", replayCheckTimes, roundWall(wall), slack)
	if d.at.IsZero() {
		return bound, why
	}
	// Leave the Run time to report, as it does between seeds.
	left := d.at.Sub(now) - max(time.Second, d.window/20)
	switch {
	case left < time.Second:
		return 0, ""
	case left < bound:
		return left, "what go test's -timeout leaves"
	}
	return bound, why
}

// childFlags are the flags set in fs that the replay line repeats
// (userFlags), as the test binary takes them: the user's own, and
// -test.short.
func childFlags(fs *flag.FlagSet) []string {
	var out []string
	visitRepeated(fs, func(f *flag.Flag) {
		if f.Name == "test.short" {
			out = append(out, "-test.short="+f.Value.String())
			return
		}
		out = append(out, "-"+f.Name+"="+f.Value.String())
	})
	return out
}

// replayVerdict is the report's line for the replay of o, a failing
// seed, checked in a fresh process that took took (0: not told), whose
// output is out and whose exit is err; test is the test's name. The process's Run logs how the seed
// ended (endedLine), which is compared with how it ended here as the
// determinism check compares its two runs: a failure told another way
// (another assertion, another task, a message that names the process) is
// not the one the replay line replays.
func replayVerdict(o *seedOutcome, took time.Duration, out string, err error, test string) string {
	seed, trace := o.res.Seed, o.res.Trace
	ran := fmt.Sprintf("a fresh process ran seed %d", seed)
	if took > 0 {
		ran += " in " + roundWall(took).String()
	}
	lines := regexp.MustCompile(`simtest: replay check: seed=`+strconv.FormatUint(seed, 10)+` trace=([0-9a-f]{16}) ended ("(?:[^"\\]|\\.)*") errors (\[.*\])(`+endedCutMark+`)?`).FindAllStringSubmatch(out, -1)
	if len(lines) == 0 {
		exit := "it exited cleanly"
		if err != nil {
			exit = err.Error()
		}
		return fmt.Sprintf("replay not checked: a fresh process ran the replay line and logged no line for seed %d (%s); its output ends:\n%s",
			seed, exit, lastLines(out, 5))
	}
	// A test of several Runs logs a line for each: this Run's is the one
	// with its trace, if any is.
	m := lines[0]
	for _, l := range lines {
		if l[1] == fmt.Sprintf("%016x", trace) {
			m = l
			break
		}
	}
	got, _ := strconv.ParseUint(m[1], 16, 64)
	ended, uerr := strconv.Unquote(m[2])
	if uerr != nil {
		ended = m[2]
	}
	here := endedAs(o)
	it := "it " + ended
	if strings.HasPrefix(ended, "failed") {
		it = "it failed"
	}
	var errs []string
	_ = json.Unmarshal([]byte(m[3]), &errs) // none to compare if it does not parse
	i, mine, theirs := laterErrorDiffers(o, &seedOutcome{s: &S{errs: errs}})
	// The same steps, ended otherwise, where real time cut a check short
	// in either run: what -simcheck says of its two runs (timedOutIn).
	byTime := got == trace && (o.s != nil && o.s.timedOut || m[4] != "")
	var head string
	switch {
	case got == trace && ended == here && i > 0:
		head = fmt.Sprintf("replay differs: %s to the same trace and first failure, and then %s\n  this process:  %s\n  fresh process: %s", ran, laterErrorWords(i), mine, theirs)
	case got == trace && ended == here:
		return fmt.Sprintf("replay checked: %s to the same trace and failure", ran)
	case got == trace && it == "it failed":
		head = fmt.Sprintf("replay differs: %s to the same trace, and it failed another way\n  this process:  %s\n  fresh process: %s", ran, here, ended)
	case got == trace:
		head = fmt.Sprintf("replay differs: %s to the same trace, and %s", ran, it)
	default:
		head = fmt.Sprintf("replay differs: %s to another trace (%016x, not %016x), and %s", ran, got, trace, it)
	}
	if byTime {
		return head + "\n" + "the replay line does not replay this failure, though the seed took the same steps in both processes: " + cutByRealTime
	}
	rp := newReplayer()
	outside := fmt.Sprintf("state from outside the seed that a fresh process does not have: a package variable that an earlier test "+
		"or seed of this binary set, or the process itself (its pid, its goroutines, what it ran before), which -simcheck cannot see, for its two runs share one process. "+
		"To see it again, run the package's tests with the seed (%s), which runs seed %d in each of its Runs, "+
		"those of the tests before this one too; or, for state that an earlier seed of this test left, the test's own seeds (%s). "+
		"simvet's globalstate and osnet rules find such state before running (docs/debugging.md)",
		rp.packageLine(simseedArg(seed)), seed, rp.line(test, ""))
	if got == trace && ended == here && i > 0 && o.workers <= 1 && o.again == 0 {
		// The seed and its first failure replay: what differs is
		// what the trace leaves out, most often a map's order.
		return head + "\n" + fmt.Sprintf("the replay line replays the seed and its first failure, not the errors after it. What decides those escapes the trace: "+
			"most often a map's order in the code that builds them (a check that ranges over a map and reports each entry; simvet's maporder rule finds it), "+
			"or state from outside the seed. Run the line with -simcheck (%s): if its two runs end alike, the rest depends on %s",
			rp.line(test, simseedArg(seed)+" -simcheck"), outside)
	}
	if n := o.workers; n > 1 {
		// Beside other seeds is where such state most often comes from:
		// said first, with the lines that run the seeds as the Run did.
		head += "\n" + fmt.Sprintf("this Run ran the seed beside other seeds, on %d workers, and the replay line runs it alone: "+
			"seeds that share state (a package variable that the body or the code under test writes; simvet's globalstate rule finds it before running) "+
			"fail beside one another and pass alone. The test's seeds on %d workers (%s) run it beside others again, and on one worker (%s) apart",
			n, n, rp.line(test, fmt.Sprintf("-simworkers=%d", n)), rp.line(test, "-simworkers=1"))
	}
	if o.again > 0 {
		// This Run ran the seed twice, to the same end: what differs
		// is outside the seed.
		return head + "\n" + "the replay line does not replay this failure, and this Run's -simcheck ran the seed twice here to the same end: it depends on " + outside
	}
	// The trace leaves out what a seed's own nondeterminism may change
	// without changing its steps (a map's order, a select over ready
	// channels, the bytes written): -simcheck compares those.
	return head + "\n" + fmt.Sprintf("the replay line does not replay this failure. Run it with -simcheck first (%s): if its two runs part, the seed itself is not deterministic "+
		"(a map's order, a select over ready channels, a goroutine the simulation does not run) and the report says where; if they agree, it depends on %s",
		rp.line(test, simseedArg(seed)+" -simcheck"), outside)
}

// lastLines is the last n lines of out, indented.
func lastLines(out string, n int) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	return "  " + strings.Join(lines, "\n  ")
}
