package simtest

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// verifyPlanted is set by the first Run of TestReplayCheckChild's
// "global" case and read by its second: state that an earlier Run of the
// binary left, which a fresh process running the second alone does not
// have. It is package state on purpose, the kind the check is for.
var verifyPlanted bool

// verifyInitPlanted is a planted bug's switch read by a package
// variable's initializer, before the testing package logs the lookups
// of the tests, as many a test reads one.
var verifyInitPlanted = os.Getenv("SIMTEST_VERIFY_INIT")

// TestReplayCheckInitChild fails one seed in three when the initializer
// above read its switch, and looks up no variable while it runs.
func TestReplayCheckInitChild(t *testing.T) {
	if verifyInitPlanted == "" {
		t.Skip("run as a child by TestVerifyReplayDoesNotSayALineNeedsNoVariable")
	}
	Run(t, func(s *S) {
		if s.Providers().Random.IntN(3) == 0 {
			s.Fatalf("one seed in three fails")
		}
	})
}

// TestReplayCheckChild holds the Runs that the tests below run in a
// child process, chosen by $SIMTEST_VERIFY_CHILD.
func TestReplayCheckChild(t *testing.T) {
	oneInThree := func(s *S) {
		if s.Providers().Random.IntN(3) == 0 {
			s.Fatalf("one seed in three fails")
		}
	}
	switch os.Getenv("SIMTEST_VERIFY_CHILD") {
	case "":
		t.Skip("run as a child by the replay check's tests")
	case "fails":
		var opts []Option
		if path := os.Getenv("SIMTEST_VERIFY_RESULTS"); path != "" {
			opts = append(opts, ResultsFile(path))
		}
		Run(t, oneInThree, opts...)
	case "global":
		t.Run("first", func(t *testing.T) {
			Run(t, func(*S) { verifyPlanted = true }, Seeds(1))
		})
		t.Run("second one", func(t *testing.T) {
			Run(t, func(s *S) {
				s.Providers().Random.IntN(10)
				if verifyPlanted {
					s.Fatalf("an earlier Run left its mark")
				}
			}, Seeds(1))
		})
	case "setenv":
		t.Setenv("SIMTEST_VERIFY_MODE", "strict")
		Run(t, func(s *S) {
			s.Setenv("SIMTEST_VERIFY_WRITTEN", "1")
			s.Chdir(s.TempDir())
			oneInThree(s)
		})
	case "pid":
		Run(t, func(s *S) {
			if s.Providers().Random.IntN(3) == 0 {
				s.Fatalf("process %d fails one seed in three", os.Getpid())
			}
		})
	case "slowcheck":
		if os.Getenv(replayCheckEnv) != "" {
			time.Sleep(2 * time.Second) // the check takes longer than the Run's own seeds
		}
		Run(t, oneInThree)
	case "hang":
		Run(t, oneInThree, withReplaySlack(time.Second))
		if os.Getenv(replayCheckEnv) != "" {
			time.Sleep(time.Minute) // after its seed: the fresh process does not end
		}
	case "hang with a child":
		Run(t, oneInThree, withReplaySlack(3*time.Second))
		if os.Getenv(replayCheckEnv) != "" {
			// A process of its own, such as a server the test runs, that
			// outlives it unless the bound kills it too.
			cmd := exec.Command(os.Args[0], "-test.run=^TestReplayCheckChild$")
			cmd.Env = append(os.Environ(), "SIMTEST_VERIFY_CHILD=sleep")
			cmd.Stdout = os.Stdout
			require.NoError(t, cmd.Start())
			_, deadline := t.Deadline()
			require.NoError(t, os.WriteFile(os.Getenv("SIMTEST_VERIFY_PIDFILE"), fmt.Appendf(nil, "%d %t", cmd.Process.Pid, deadline), 0o644))
			time.Sleep(time.Minute)
		}
	case "sleep":
		time.Sleep(time.Minute)
	case "pid later":
		Run(t, func(s *S) {
			if s.Providers().Random.IntN(3) == 0 {
				s.Errorf("one seed in three fails")
				s.Errorf("in process %d", os.Getpid())
			}
		})
	case "sub":
		t.Run("a b", func(t *testing.T) { Run(t, oneInThree, VerifyReplay()) })
	case "slow":
		if os.Getenv(replayCheckEnv) != "" {
			time.Sleep(time.Minute) // the fresh process never reaches its Run
		}
		Run(t, oneInThree)
	}
}

// withReplaySlack sets the slack of the bound on the process that checks
// a replay (config.replaySlack), for a test that has it stopped soon.
func withReplaySlack(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		c.replaySlack = d
		return nil
	})
}

// verifyChild runs TestReplayCheckChild's case in a child process, in
// dir, with args.
func verifyChild(t *testing.T, dir, child string, args ...string) string {
	t.Helper()
	out, err := childOutput(t, dir, "SIMTEST_VERIFY_CHILD="+child, append([]string{"-test.run=^TestReplayCheckChild$", "-test.v"}, args...)...)
	require.Error(t, err, "the child's Run fails: %s", out)
	return out
}

var replayCheckLine = regexp.MustCompile(`replay (checked|differs|not checked):`)

func TestVerifyReplayChecksAFailingSeedInAFreshProcess(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "out", "results.jsonl")
	out := verifyChild(t, dir, "fails", "-simverify", "-simkeep=false")
	m := regexp.MustCompile(`simtest: seed (\d+) failed\n\s+replay: [^\n]*\n\s+replay checked: a fresh process ran seed (\d+) in \S+ to the same trace and failure, ` +
		`in this process's environment, which the replay line does not carry; the test looked up SIMTEST_VERIFY_CHILD \(set here\) and SIMTEST_VERIFY_RESULTS \(unset here\) while it ran, so run the line with them as here; a variable read before the tests began \(by a package variable's initializer or TestMain\) is not seen\n`).FindStringSubmatch(out)
	require.NotNil(t, m, "the line under the replay line says the replay was checked: %s", out)
	assert.Equal(t, m[1], m[2])
	assert.Equal(t, 1, len(replayCheckLine.FindAllString(out, -1)), "one check a Run: %s", out)
	assert.NoDirExists(t, filepath.Join(dir, keepDir), "the fresh process keeps no seed")

	// The results file, which the test's own option names, records it,
	// and the fresh process, whose Run has the same option, leaves the
	// file to the Run it checks.
	t.Setenv("SIMTEST_VERIFY_RESULTS", results)
	out, err := childOutput(t, dir, "SIMTEST_VERIFY_CHILD=fails", "-test.run=^TestReplayCheckChild$", "-simverify", "-simkeep=false")
	require.Error(t, err, out)
	b, err := os.ReadFile(results)
	require.NoError(t, err, out)
	var failing []jsonSeed
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		var l jsonSeed
		require.NoError(t, json.Unmarshal([]byte(line), &l), "every line of the results file is whole: %s", b)
		if l.Outcome == OutcomeFail {
			failing = append(failing, l)
		}
	}
	require.Len(t, failing, 1, "%s", b)
	assert.Regexp(t, "^replay checked: a fresh process ran seed "+m[1]+` in \S+ to the same trace and failure, in this process's environment, which the replay line does not carry; `+
		`the test looked up SIMTEST_VERIFY_CHILD \(set here\) and SIMTEST_VERIFY_RESULTS \(set here\) while it ran, so run the line with them as here; a variable read before the tests began \(by a package variable's initializer or TestMain\) is not seen$`, failing[0].ReplayCheck)
}

func TestVerifyReplayDoesNotSayALineNeedsNoVariable(t *testing.T) {
	out, err := childOutput(t, t.TempDir(), "SIMTEST_VERIFY_INIT=1", "-test.run=^TestReplayCheckInitChild$", "-test.v", "-simverify", "-simkeep=false")
	require.Error(t, err, "the child's Run fails: %s", out)
	assert.Regexp(t, `replay checked: a fresh process ran seed \d+ in \S+ to the same trace and failure, in this process's environment, which the replay line does not carry; `+
		`the test looked up no environment variable while it ran; a variable read before the tests began \(by a package variable's initializer or TestMain\) is not seen\n`, out,
		"the initializer's lookup is not in the testing package's log, and the verdict does not call the line one that needs no variable")
	assert.NotContains(t, out, "read no environment variable")
}

// TestVerifyReplayListsOnlyTheVariablesToSet: a variable the test sets
// itself, with t.Setenv, is unset in the shell the line is run in, and
// those S.Setenv and S.Chdir (PWD) set, whose lookups are simtest's, to
// put them back, are not listed.
func TestVerifyReplayListsOnlyTheVariablesToSet(t *testing.T) {
	out := verifyChild(t, t.TempDir(), "setenv", "-simverify", "-simkeep=false")
	m := regexp.MustCompile(`replay checked: [^\n]*; the test looked up ([^\n]*) while it ran, so run the line with them as here`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	assert.Contains(t, m[1], "SIMTEST_VERIFY_CHILD (set here)")
	assert.Contains(t, m[1], "SIMTEST_VERIFY_MODE (unset here)", "the test sets it itself")
	assert.NotContains(t, m[1], "SIMTEST_VERIFY_WRITTEN")
	assert.NotContains(t, m[1], "PWD")
}

func TestVerifyReplaySaysAPackageVariableMadeTheFailure(t *testing.T) {
	out := verifyChild(t, t.TempDir(), "global", "-simverify", "-simkeep=false")
	assert.Contains(t, out, "simtest: seed ", out)
	assert.Regexp(t, `replay: go test -run '\^TestReplayCheckChild\$/\^second_one\$' \./simtest -simseed=(\d+)[^\n]*\n\s+replay differs: a fresh process ran seed \d+ in \S+ to the same trace, and it passed\n`, out)
	assert.Contains(t, out, "Run it with -simcheck first", out)
	assert.Contains(t, out, "if they agree, it depends on state from outside the seed that a fresh process does not have: a package variable", out)
	assert.Regexp(t, `run the package's tests with the seed \(go test \./simtest -simseed=\d+`, out)
	assert.Equal(t, 1, len(replayCheckLine.FindAllString(out, -1)), "only the failing Run checks: %s", out)
}

func TestVerifyReplaySaysTheFreshProcessFailedAnotherWay(t *testing.T) {
	out := verifyChild(t, t.TempDir(), "pid", "-simverify", "-simkeep=false")
	m := regexp.MustCompile(`replay differs: a fresh process ran seed \d+ in \S+ to the same trace, and it failed another way\n` +
		`\s+this process:  failed with [^\n]*process (\d+) fails one seed in three\n` +
		`\s+fresh process: failed with [^\n]*process (\d+) fails one seed in three\n` +
		`\s+the replay line does not replay this failure`).FindStringSubmatch(out)
	require.NotNil(t, m, "the same trace failed with another message is no checked replay: %s", out)
	assert.NotEqual(t, m[1], m[2])
}

// TestVerifyReplayLeavesTheCheckOutOfTheRunsWall checks that the Run's
// wall, and the rates made of it, are its seeds' own: a fresh process
// that takes two seconds to check a replay once made a Run of a few
// seeds at simulated time 0 report a wall of seconds, and a wall clock
// the code under test never waited on.
func TestVerifyReplaySaysALaterErrorDiffers(t *testing.T) {
	out := verifyChild(t, t.TempDir(), "pid later", "-simverify", "-simkeep=false")
	m := regexp.MustCompile(`replay differs: a fresh process ran seed \d+ in \S+ to the same trace and first failure, and then the first error is the same in both, the second is not\n` +
		`\s+this process:  [^\n]*in process (\d+)\n` +
		`\s+fresh process: [^\n]*in process (\d+)\n`).FindStringSubmatch(out)
	require.NotNil(t, m, "a second error that names the process is no checked replay: %s", out)
	assert.NotEqual(t, m[1], m[2])
}

func TestVerifyReplayLeavesTheCheckOutOfTheRunsWall(t *testing.T) {
	t.Parallel() // waits on a process of its own, beside the others that do
	out := verifyChild(t, t.TempDir(), "slowcheck", "-simverify", "-simkeep=false")
	check := regexp.MustCompile(`replay checked: a fresh process ran seed \d+ in (\S+) to the same trace and failure, in this process's environment`).FindStringSubmatch(out)
	require.NotNil(t, check, out)
	summary := regexp.MustCompile(`seeds run \([^)]*\), 1 passed, 1 failed; wall (\S+), simulated 0s`).FindStringSubmatch(out)
	require.NotNil(t, summary, out)
	took, err := time.ParseDuration(check[1])
	require.NoError(t, err)
	wall, err := time.ParseDuration(strings.TrimSuffix(summary[1], ","))
	require.NoError(t, err)
	assert.Less(t, wall, took, "the Run's wall is its seeds' and not the check's, which slept 2s: %s", out)
	assert.NotContains(t, out, "simulated time never moved", out)
}

func TestVerifyReplayRunsASubtestsPattern(t *testing.T) {
	out := verifyChild(t, t.TempDir(), "sub", "-simkeep=false")
	assert.Regexp(t, `replay: go test -run '\^TestReplayCheckChild\$/\^a_b\$' \./simtest -simseed=\d+[^\n]*\n\s+replay checked: a fresh process ran seed \d+ in \S+ to the same trace and failure, in this process's environment`, out,
		"the option alone checks, and the subtest's pattern selects it")
}

func TestVerifyReplayIsOptIn(t *testing.T) {
	out := verifyChild(t, t.TempDir(), "fails", "-simkeep=false")
	assert.Contains(t, out, "simtest: seed ", out)
	assert.NotRegexp(t, replayCheckLine, out, "without -simverify no process checks the replay")
}

func TestVerifyReplayDoesNotRecurse(t *testing.T) {
	out, err := childWithEnv(t, []string{"SIMTEST_VERIFY_CHILD=fails", replayCheckEnv + "=1"}, "-test.run=^TestReplayCheckChild$", "-test.v", "-simverify", "-simkeep=false")
	require.Error(t, err, out)
	assert.Contains(t, out, "simtest: seed ", out)
	assert.NotRegexp(t, replayCheckLine, out, "a process that checks a replay checks none of its own")
}

// childWithEnv runs the test binary with args and the extra environment
// env, in a scratch directory.
func childWithEnv(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	bin, err := filepath.Abs(os.Args[0])
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestVerifyReplayStopsAFreshProcessThatOutlivesItsBound(t *testing.T) {
	t.Parallel() // waits on a process of its own, beside the others that do
	if testing.Short() {
		t.Skip("waits for the child's -timeout to come near")
	}
	out := verifyChild(t, t.TempDir(), "slow", "-simverify", "-simkeep=false", "-test.timeout=8s")
	assert.Regexp(t, `replay not checked: a fresh process running seed \d+ had not ended after [^\n]* \(what go test's -timeout leaves\), and was stopped\n`, out)
	assert.NotContains(t, out, "panic: test timed out", out)
}

// TestVerifyReplayStopsAFreshProcessAtItsBound checks the bound of three
// times the seed's time and the slack: a fresh process that sleeps after
// its seed, with a slack of a second, is stopped, and the line says so.
func TestVerifyReplayStopsAFreshProcessAtItsBound(t *testing.T) {
	t.Parallel() // waits on a process of its own, beside the others that do
	out := verifyChild(t, t.TempDir(), "hang", "-simverify", "-simkeep=false")
	assert.Regexp(t, `replay not checked: a fresh process running seed \d+ had not ended after \S+ \(3 times the \S+ the seed took, and 1s\), and was stopped\n`, out)
}

func TestReplayBound(t *testing.T) {
	now := time.Now()
	bound, why := replayBound(2*time.Second, 20*time.Second, testDeadline{}, now)
	assert.Equal(t, 26*time.Second, bound)
	assert.Equal(t, "3 times the 2s the seed took, and 20s", why)

	far := testDeadline{at: now.Add(10 * time.Minute), window: 10 * time.Minute}
	bound, _ = replayBound(2*time.Second, 20*time.Second, far, now)
	assert.Equal(t, 26*time.Second, bound, "a -timeout far off leaves the bound as it is")

	// The Run keeps a twentieth of the window (30s here) to report.
	near := testDeadline{at: now.Add(40 * time.Second), window: 10 * time.Minute}
	bound, why = replayBound(2*time.Second, 20*time.Second, near, now)
	assert.Equal(t, 10*time.Second, bound)
	assert.Equal(t, "what go test's -timeout leaves", why)

	bound, _ = replayBound(2*time.Second, 20*time.Second, testDeadline{at: now.Add(30 * time.Second), window: 10 * time.Minute}, now)
	assert.Zero(t, bound, "too near to run the seed again")
}

func TestReplayVerdict(t *testing.T) {
	o := &seedOutcome{res: sim.Result{Seed: 42, Trace: 0xabc}, s: &S{failed: true, errs: []string{"0s driver: x_test.go:9: boom"}}}
	ended := func(trace, how string) string {
		return "    x_test.go:9: simtest: replay check: seed=42 trace=" + trace + " ended " + strconv.Quote(how) + " errors []\n"
	}
	fail := ended("0000000000000abc", endedAs(o))
	assert.Equal(t, "replay checked: a fresh process ran seed 42 to the same trace and failure", replayVerdict(o, 0, fail, errors.New("exit status 1"), "TestX"))

	// A test of two Runs logs two lines; this Run's has its trace.
	two := ended("0000000000000def", "passed") + fail
	assert.Equal(t, "replay checked: a fresh process ran seed 42 to the same trace and failure", replayVerdict(o, 0, two, nil, "TestX"))
	assert.Equal(t, "replay checked: a fresh process ran seed 42 in 1.5s to the same trace and failure", replayVerdict(o, 1500*time.Millisecond, fail, nil, "TestX"),
		"the line says how long the check took")

	other := replayVerdict(o, 0, ended("0000000000000def", endedAs(o)), nil, "TestX")
	assert.True(t, strings.HasPrefix(other, "replay differs: a fresh process ran seed 42 to another trace (0000000000000def, not 0000000000000abc), and it failed\n"), other)
	assert.Contains(t, other, "simvet's globalstate and osnet rules")
	assert.Contains(t, other, "the test's own seeds (go test -run '^TestX$' ./simtest")

	skipped := replayVerdict(o, 0, ended("0000000000000abc", "was skipped"), nil, "TestX")
	assert.True(t, strings.HasPrefix(skipped, "replay differs: a fresh process ran seed 42 to the same trace, and it was skipped\n"), skipped)
	passed := replayVerdict(o, 0, ended("0000000000000abc", "passed"), nil, "TestX")
	assert.True(t, strings.HasPrefix(passed, "replay differs: a fresh process ran seed 42 to the same trace, and it passed\n"), passed)

	none := replayVerdict(o, 0, "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\nFAIL\n", errors.New("exit status 2"), "TestX")
	assert.Equal(t, "replay not checked: a fresh process ran the replay line and logged no line for seed 42 (exit status 2); its output ends:\n  panic: boom\n  \n  goroutine 1 [running]:\n  main.main()\n  FAIL", none)
	o420 := *o
	o420.res.Seed = 420
	assert.NotContains(t, replayVerdict(o, 0, endedLine(&o420), nil, "TestX"), "replay checked", "another seed's line is not this one's")
	assert.NotContains(t, passed, "workers", "a seed that ran alone")

	// A seed that ran beside others: the advice says so first, with the
	// lines that run the test's seeds as the Run did, and apart.
	beside := *o
	beside.workers = 2
	got := replayVerdict(&beside, 0, ended("0000000000000def", "passed"), nil, "TestX")
	head, advice, _ := strings.Cut(got, "\n")
	assert.Equal(t, "replay differs: a fresh process ran seed 42 to another trace (0000000000000def, not 0000000000000abc), and it passed", head)
	assert.True(t, strings.HasPrefix(advice, "this Run ran the seed beside other seeds, on 2 workers, and the replay line runs it alone: "), advice)
	assert.Contains(t, advice, "simvet's globalstate rule")
	assert.Contains(t, advice, "The test's seeds on 2 workers (go test -run '^TestX$' ./simtest -simworkers=2")
	assert.Contains(t, advice, "and on one worker (go test -run '^TestX$' ./simtest -simworkers=1")
	assert.Contains(t, advice, "the replay line does not replay this failure", "the rest of the advice follows")
}

// TestReplayVerdictComparesTheFailure checks that a fresh process that
// ran the seed to the same trace but failed another way (another
// assertion, a message that names the process) does not check the
// replay, and that the line says how each failed.
func TestReplayVerdictComparesTheFailure(t *testing.T) {
	o := &seedOutcome{res: sim.Result{Seed: 42, Trace: 0xabc}, s: &S{failed: true, errs: []string{"0s driver: x_test.go:9: pid 100 lost a write"}}}
	fresh := *o
	fresh.s = &S{failed: true, errs: []string{"0s driver: x_test.go:9: pid 200 lost a write"}}
	got := replayVerdict(o, 0, endedLine(&fresh), errors.New("exit status 1"), "TestX")
	head, rest, _ := strings.Cut(got, "\nthe replay line does not replay this failure")
	assert.Equal(t, "replay differs: a fresh process ran seed 42 to the same trace, and it failed another way\n"+
		"  this process:  failed with 0s driver: x_test.go:9: pid 100 lost a write\n"+
		"  fresh process: failed with 0s driver: x_test.go:9: pid 200 lost a write", head)
	assert.Contains(t, rest, "go test ./simtest -simseed=42")
	assert.Regexp(t, `Run it with -simcheck first \(go test -run '\^TestX\$' \./simtest -simseed=42 -simcheck[^)]*\): if its two runs part, the seed itself is not deterministic`, rest,
		"the trace leaves out what a seed's own nondeterminism may change, which -simcheck compares")

	// A Run that checked the seed twice here, to the same end, blames
	// what lies outside the seed alone.
	checked := *o
	checked.again = 10
	got = replayVerdict(&checked, 0, endedLine(&fresh), errors.New("exit status 1"), "TestX")
	assert.Contains(t, got, "this Run's -simcheck ran the seed twice here to the same end: it depends on state from outside the seed")
	assert.NotContains(t, got, "Run it with -simcheck first")

	// The watchdog's failures are told by their kind, task and time, as
	// the determinism check tells them: their message names real time.
	busy := func(msg string) *seedOutcome {
		return &seedOutcome{res: sim.Result{Seed: 42, Trace: 0xabc, Err: &sim.Failure{Kind: sim.Busy, Task: "worker", At: time.Second, Msg: msg}}}
	}
	assert.Equal(t, "replay checked: a fresh process ran seed 42 to the same trace and failure",
		replayVerdict(busy("busy for 2.1s of wall time"), 0, endedLine(busy("busy for 3.4s of wall time")), nil, "TestX"))
	other := busy("busy")
	other.res.Err.(*sim.Failure).Task = "driver"
	assert.True(t, strings.HasPrefix(replayVerdict(busy("busy"), 0, endedLine(other), nil, "TestX"), "replay differs: a fresh process ran seed 42 to the same trace, and it failed another way\n"))

	// The errors after the first are compared too, as the determinism
	// check compares them: a check that reports a second error for a
	// key a map's order picks.
	two := func(second string) *seedOutcome {
		return &seedOutcome{res: sim.Result{Seed: 42, Trace: 0xabc}, s: &S{failed: true, errs: []string{"0s driver: x_test.go:9: lost writes", second}}}
	}
	later := replayVerdict(two("0s driver: x_test.go:9: lost key a"), 0, endedLine(two("0s driver: x_test.go:9: lost key b")), nil, "TestX")
	head, rest, _ = strings.Cut(later, "\nthe replay line replays the seed and its first failure, not the errors after it.")
	assert.Contains(t, rest, "a map's order in the code that builds them", "where a later error differs, the advice names a map's order first")
	assert.Contains(t, rest, "-simseed=42 -simcheck")
	assert.Equal(t, "replay differs: a fresh process ran seed 42 to the same trace and first failure, and then the first error is the same in both, the second is not\n"+
		"  this process:  0s driver: x_test.go:9: lost key a\n"+
		"  fresh process: 0s driver: x_test.go:9: lost key b", head)
	assert.Equal(t, "replay checked: a fresh process ran seed 42 to the same trace and failure",
		replayVerdict(two("0s driver: x_test.go:9: lost key a"), 0, endedLine(two("0s driver: x_test.go:9: lost key a")), nil, "TestX"))
}

func TestVerifyReplayOutsideGoTestSaysWhyItDidNotCheck(t *testing.T) {
	res := Simulate(func(s *S) { s.Fatalf("every seed fails") }, Seeds(1), VerifyReplay())
	require.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Report, "replay not checked: simtest.Simulate runs outside go test", res.Report)
	require.Len(t, res.PerSeed, 1)
	assert.True(t, strings.HasPrefix(res.PerSeed[0].ReplayCheck, "replay not checked: "), res.PerSeed[0].ReplayCheck)
}

func TestChildFlagsAreTheReplayLinesOwn(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Bool("planted", false, "")
	fs.String("mode", "", "")
	fs.Bool("test.short", false, "")
	fs.String("test.run", "", "")
	fs.Bool("simcheck", false, "")
	require.NoError(t, fs.Parse([]string{"-planted", "-mode=a b", "-test.short", "-test.run=^TestX$", "-simcheck"}))
	assert.Equal(t, []string{"-mode=a b", "-planted=true", "-test.short=true"}, childFlags(fs), "as the binary takes them: no shell quotes, no flag of go test's or simtest's but -short")
}

func TestVerifyReplaySaysWhyItDidNotCheck(t *testing.T) {
	r := &runner{t: t, cfg: config{verify: true}}
	o := &seedOutcome{res: sim.Result{Seed: 7, Err: errors.New("failed")}}
	gone := replayHost{bin: filepath.Join(t.TempDir(), "removed.test"), goos: runtime.GOOS}
	assert.Regexp(t, "^replay not checked: the test binary "+regexp.QuoteMeta(gone.bin)+` is gone \(stat [^)]*\), so no fresh process can run the seed; run the replay line as printed$`,
		r.checkReplayWith(o, gone))
	for _, goos := range []string{"js", "wasip1"} {
		assert.Equal(t, "replay not checked: a test binary built for GOOS="+goos+" runs under go test's -exec runner, and cannot start itself again; run the replay line as printed",
			r.checkReplayWith(o, replayHost{bin: gone.bin, goos: goos}), "a binary that cannot start itself is not run")
	}
	o.diverge = "step 2 differs"
	assert.Equal(t, "replay not checked: the seed does not run the same way twice in this process already (below), so no replay of it can match", r.checkReplayWith(o, gone))
	o.diverge, o.s = "", &S{config: &configErr{err: errors.New("bad")}}
	assert.Empty(t, r.checkReplayWith(o, gone), "a configuration error is the test's, and no replay replays it")
	r.cfg.verify, o.s = false, nil
	assert.Empty(t, r.checkReplayWith(o, gone), "the Run checks no replay")
}

// TestRestOfRunLeavesTheCheckOut checks that the time a replay check took
// is not counted as the seeds': a Run of -simall that estimates the rest
// of its seeds from the time they took would otherwise stop short of go
// test's -timeout, its one seed made to seem to take what the check did.
func TestRestOfRunLeavesTheCheckOut(t *testing.T) {
	r := &runner{t: t, cfg: config{seeds: 10}, checkWall: 99 * time.Second}
	r.rep.seeds = 1
	rest := r.restOfRun(time.Now().Add(-100 * time.Second))
	assert.Less(t, rest, 90*time.Second, "nine seeds more of about a second each, not of the 100s the first took with its check")
}

// A seed given up on a task whose stack could not be taken is told as
// such, not as blocked outside the simulation, and is compared by its
// kind, task and time alone, as the watchdog's other failures are: its
// message tells real time.
func TestAnUnseenTaskIsNotCalledBlocked(t *testing.T) {
	f := &sim.Failure{Kind: sim.Unseen, Task: "driver", At: time.Second, Msg: "the task has not returned to the scheduler for 10.2s of real time, ..."}
	o := &seedOutcome{res: sim.Result{Seed: 42, Err: f}, givenUp: true}
	assert.Equal(t, "not checked for determinism: the watchdog gave the seed up, its task did not return to the simulation, and its stack could not be taken; "+
		"a second run would leave behind a second goroutine that Go cannot stop", givenUpUnchecked(o))
	assert.Equal(t, `failed with stack not taken at 1s in task "driver"`, endedAs(o))
}

// TestReplayVerdictCutByRealTime checks that a replay that took the
// same steps and ended otherwise, where a check real time cut short in
// either run, is told as -simcheck tells it, not as state from outside
// the seed.
func TestReplayVerdictCutByRealTime(t *testing.T) {
	cut := func(msg string, timedOut bool) *seedOutcome {
		return &seedOutcome{res: sim.Result{Seed: 42, Trace: 0xabc}, workers: 2,
			s: &S{failed: true, timedOut: timedOut, errs: []string{"0s driver: x_test.go:9: " + msg}}}
	}
	passed := &seedOutcome{res: sim.Result{Seed: 42, Trace: 0xabc}, s: &S{}}
	for name, c := range map[string]struct{ here, fresh *seedOutcome }{
		"here":  {cut("check inconclusive: timed out", true), passed},
		"fresh": {cut("lost a write", false), cut("check inconclusive: timed out", true)},
	} {
		t.Run(name, func(t *testing.T) {
			line := endedLine(c.fresh)
			got := replayVerdict(c.here, 0, "    x_test.go:9: "+line+"\n", nil, "TestX")
			i := strings.Index(got, "\nthe replay line")
			require.GreaterOrEqual(t, i, 0, got)
			advice := got[i+1:]
			assert.Equal(t, "the replay line does not replay this failure, though the seed took the same steps in both processes: "+cutByRealTime, advice)
			assert.NotContains(t, got, "state from outside the seed")
		})
	}
	// Another trace is more than a check cut short.
	other := *passed
	other.res.Trace = 0xdef
	got := replayVerdict(cut("check inconclusive: timed out", true), 0, endedLine(&other), nil, "TestX")
	assert.Contains(t, got, "state from outside the seed")
}

func TestEnvScopeNamesTheVariablesTheTestRead(t *testing.T) {
	const scope = "replay checked: ..., in this process's environment, which the replay line does not carry"
	environ := []string{"COUNTER_BUG=1", "CI=true", "COUNTER=x"}
	assert.Equal(t, scope, "replay checked: ..."+envScope(nil, environ), "the variables read are not known")
	const unseen = "; a variable read before the tests began (by a package variable's initializer or TestMain) is not seen"
	assert.Equal(t, scope+"; the test looked up no environment variable while it ran"+unseen, "replay checked: ..."+envScope([]string{}, environ))
	assert.Equal(t, scope+"; the test looked up COUNTER_BUG (set here) while it ran, so run the line with it as here"+unseen, "replay checked: ..."+envScope([]string{"COUNTER_BUG"}, environ))
	assert.Equal(t, scope+"; the test looked up COUNTER (set here) and HANG (unset here) while it ran, so run the line with them as here"+unseen,
		"replay checked: ..."+envScope([]string{"COUNTER", "HANG"}, environ), "a name is not taken for a longer one's prefix, and its value is left out")
}

func TestReadTestlogEnvListsTheTestsVariables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testlog")
	require.NoError(t, os.WriteFile(path, []byte("# test log\ngetenv ZED\nopen /etc/hosts\ngetenv "+flagsEnv+"\ngetenv COUNTER_BUG\ngetenv ZED\ngetenv "+replayCheckEnv+"\nstat x\n"), 0o644))
	assert.Equal(t, []string{"COUNTER_BUG", "ZED"}, readTestlogEnv(path), "sorted, once each, and none of simtest's own")
	assert.Nil(t, readTestlogEnv(filepath.Join(t.TempDir(), "none")), "unknown when there is no log")
	assert.Nil(t, readTestlogEnv(""))
}

// TestVerifyReplayChecksTheFirstSeedNotKept: under KeepGoing (a sweep's
// -simall), the replay checked is the first failing seed's that is not
// kept: a kept seed is a known bug, which runs first, and the new
// failures are what the Run found.
func TestVerifyReplayChecksTheFirstSeedNotKept(t *testing.T) {
	dir := t.TempDir()
	out := verifyChild(t, dir, "fails", "-simkeep=false", "-simall", "-simseeds=30")
	var failing []string
	for _, m := range regexp.MustCompile(`seed=(\d+) trace=[0-9a-f]+ FAIL`).FindAllStringSubmatch(out, -1) {
		failing = append(failing, m[1])
	}
	require.GreaterOrEqual(t, len(failing), 2, out)
	known, err := strconv.ParseUint(failing[1], 10, 64)
	require.NoError(t, err)
	wd, _ := os.Getwd()
	require.NoError(t, os.Chdir(dir))
	_, _, err = keepSeed("TestReplayCheckChild", known, 0, 0, "it failed", "go test ...")
	require.NoError(t, os.Chdir(wd))
	require.NoError(t, err)

	out = verifyChild(t, dir, "fails", "-simverify", "-simkeep=false", "-simall", "-simseeds=30")
	assert.Contains(t, out, "simtest: kept seed "+failing[1], out)
	assert.Regexp(t, `simtest: seed `+failing[0]+`, the first failing seed not kept in testdata/simtest: replay checked: a fresh process ran seed `+failing[0]+` in \S+ to the same trace and failure`, out)
	for _, m := range regexp.MustCompile(`replay checked: a fresh process ran seed (\d+)`).FindAllStringSubmatch(out, -1) {
		assert.Equal(t, failing[0], m[1], "one seed checked, not the kept one: %s", out)
	}
}
