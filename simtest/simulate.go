package simtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Result is what [Simulate] found: the figures of the Run's summary, the
// failing seeds, and the text go test would have printed.
type Result struct {
	Seeds, Passed, Failed int
	// Planned is how many seeds the Run set out to run (a shard's, its
	// part), when it stopped at its first failing seed before the rest
	// (without [KeepGoing]): Seeds of Planned ran. It is 0 when the Run ran what it set out to,
	// or stopped for another reason (a skip, a configuration error).
	Planned int
	// Skipped is set when the body skipped (S.Skip): the Run ended there.
	Skipped bool
	// FirstFailing is the first failing seed, and Replay the option that
	// runs it again, such as "simtest.Replay(42)"; both are zero when no
	// seed failed. For an exploration's failing branched timeline
	// ([Explore]), FirstFailing is its root seed and Replay the
	// [ReplayRecipe] of the timeline. For a configuration error met only
	// on several workers (an S.Setenv with [Workers] above 1), the seed
	// alone would pass: Replay is then the worker count that meets it
	// again, such as "simtest.Workers(2)".
	FirstFailing uint64
	Replay       string
	// SimTime, Steps and Events add up every seed's.
	SimTime       time.Duration
	Steps, Events uint64
	Wall          time.Duration
	// PerSeed has every seed's result, in the order they ran; the same
	// values as the lines of [ResultsFile], and the first failing seed's
	// run again alone ([SeedResult.Alone]), which the results file has in
	// its summary line.
	PerSeed []SeedResult
	// Report is the text a test would have logged: the failure report of
	// the first failing seed, the summary with its assertion table, and
	// any other message of the Run, such as a configuration error.
	Report string

	errored bool // the Run failed other than by a seed: a bad option
}

// Failing lists the failing seeds, in the order they ran.
func (r Result) Failing() []uint64 {
	var out []uint64
	for _, s := range r.PerSeed {
		if s.Outcome == OutcomeFail {
			out = append(out, s.Seed)
		}
	}
	return out
}

// OK reports whether every seed passed and nothing else went wrong.
func (r Result) OK() bool { return r.Failed == 0 && !r.errored }

// String is the Result's report.
func (r Result) String() string { return r.Report }

// Simulate runs body once per seed as [Run] does, outside go test: a
// command, a benchmark's comparison, a program that sweeps seeds. It
// ignores the command line and the environment (the -sim* flags,
// MOONPOOL_SEEDS): only opts shape the Run. It keeps no failing seed and
// writes only the files opts ask for. The base seed is derived from the
// name "Simulate" unless [BaseSeed] or [FreshSeeds] says otherwise, so a
// Simulate is repeatable; a failing seed's replay is [Replay] of it.
//
// Simulate stops at the first failing seed unless [KeepGoing] is given.
// A configuration error (a bad option, a nil body) is a failed Result
// whose Report says what is wrong, not a panic. Called inside a seed of a
// Run or of another Simulate (in a body or one of its tasks), Simulate
// does not return: that seed fails on a configuration error, as for a
// [Run] started there.
//
// What an S passes on to the test under Run is Simulate's here: TempDir,
// ArtifactDir, Setenv and Chdir last until Simulate returns (a seed's own
// TempDir, Setenv and Chdir end with the seed), and Attr's lines join the
// Report.
//
//	res := simtest.Simulate(body, simtest.Seeds(1000), simtest.KeepGoing())
//	fmt.Printf("%d of %d seeds failed\n", res.Failed, res.Seeds)
func Simulate(body func(s *S), opts ...Option) Result {
	refuseNested(nil, "simtest.Simulate")
	tb := &simTB{name: "Simulate"}
	var res Result
	done := make(chan struct{})
	go func() { // FailNow ends this goroutine, as it ends a test's
		defer close(done)
		defer tb.cleanup()
		if body == nil {
			tb.Errorf("simtest.Simulate: the body is nil; pass a func(s *simtest.S) that drives the simulation")
			return
		}
		c, err := resolve(false, flags{}, opts)
		if err != nil {
			tb.Error(err)
			return
		}
		r := &runner{t: tb, cfg: c, body: body, outside: true}
		r.seen = func(sr SeedResult) {
			res.PerSeed = append(res.PerSeed, sr)
			if sr.Outcome == OutcomeFail && res.Failed == 0 {
				res.FirstFailing, res.Replay = sr.Seed, sr.Replay
			}
			switch sr.Outcome {
			case OutcomeFail:
				res.Failed++
			case OutcomePass:
				res.Passed++
			case OutcomeSkip:
				res.Skipped = true
			}
		}
		r.run()
		r.putAlone(res.PerSeed)
		res.Wall, res.Planned = r.rep.wall, r.rep.planned
	}()
	<-done
	res.Seeds = len(res.PerSeed)
	for _, s := range res.PerSeed {
		res.SimTime += s.SimTime
		res.Steps += s.Steps
		res.Events += s.Events
	}
	res.Report = strings.Join(tb.lines, "\n")
	res.errored = tb.failed && res.Failed == 0
	return res
}

// simTB is the testing.TB a Simulate's Run reports to: it keeps what it
// is told. The embedded TB is nil: a method of testing.TB it does not
// define panics, so it defines every one a body reaches through its S.
type simTB struct {
	testing.TB
	name     string
	mu       sync.Mutex
	lines    []string
	failed   bool
	skipped  bool
	cleanups []func()
	// temp is the directory TempDir makes its directories in, once made,
	// and temps how many it made; artifacts is ArtifactDir's, once made.
	temp      string
	temps     int
	artifacts string
}

func (t *simTB) Name() string { return t.name }
func (t *simTB) Helper()      {}
func (t *simTB) add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, s)
}
func (t *simTB) Log(args ...any)                 { t.add(strings.TrimSuffix(fmt.Sprintln(args...), "\n")) }
func (t *simTB) Logf(format string, args ...any) { t.add(fmt.Sprintf(format, args...)) }
func (t *simTB) Error(args ...any)               { t.Log(args...); t.Fail() }
func (t *simTB) Errorf(format string, args ...any) {
	t.Logf(format, args...)
	t.Fail()
}
func (t *simTB) Fatal(args ...any)                 { t.Error(args...); t.FailNow() }
func (t *simTB) Fatalf(format string, args ...any) { t.Errorf(format, args...); t.FailNow() }
func (t *simTB) Fail()                             { t.mu.Lock(); t.failed = true; t.mu.Unlock() }
func (t *simTB) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}
func (t *simTB) FailNow()                         { t.Fail(); runtime.Goexit() }
func (t *simTB) Skip(args ...any)                 { t.Log(args...); t.SkipNow() }
func (t *simTB) Skipf(format string, args ...any) { t.Logf(format, args...); t.SkipNow() }
func (t *simTB) SkipNow()                         { t.mu.Lock(); t.skipped = true; t.mu.Unlock(); runtime.Goexit() }
func (t *simTB) Skipped() bool                    { t.mu.Lock(); defer t.mu.Unlock(); return t.skipped }
func (t *simTB) Cleanup(f func())                 { t.mu.Lock(); t.cleanups = append(t.cleanups, f); t.mu.Unlock() }
func (t *simTB) Context() context.Context         { return context.Background() }
func (t *simTB) Output() io.Writer                { return io.Discard } // S has its own

// cleanup runs the cleanups when Simulate ends, the last registered
// first, those a cleanup registers too.
func (t *simTB) cleanup() {
	for {
		t.mu.Lock()
		if len(t.cleanups) == 0 {
			t.mu.Unlock()
			return
		}
		f := t.cleanups[len(t.cleanups)-1]
		t.cleanups = t.cleanups[:len(t.cleanups)-1]
		t.mu.Unlock()
		f()
	}
}

// Attr adds the attribute to the Report, as a test's Attr prints it.
func (t *simTB) Attr(key, value string) { t.add(fmt.Sprintf("=== ATTR  %s %s %s", t.name, key, value)) }

// TempDir returns a new directory, removed when Simulate ends.
func (t *simTB) TempDir() string {
	dir, err := t.makeTempDir()
	if err != nil {
		t.Fatalf("simtest: TempDir cannot make a directory: %v", err)
	}
	return dir
}

// makeTempDir makes TempDir's next directory. It fails without holding
// t.mu, which Fatalf takes.
func (t *simTB) makeTempDir() (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.temp == "" {
		dir, err := os.MkdirTemp("", "simulate")
		if err != nil {
			return "", err
		}
		t.temp = dir
		t.cleanups = append(t.cleanups, func() { _ = os.RemoveAll(dir) })
	}
	t.temps++
	dir := filepath.Join(t.temp, fmt.Sprintf("%03d", t.temps))
	return dir, os.Mkdir(dir, 0o777)
}

// ArtifactDir returns a directory for the output files of the Simulate,
// the same on every call, removed when Simulate ends, as a test's is
// without -artifacts.
func (t *simTB) ArtifactDir() string {
	t.mu.Lock()
	dir := t.artifacts
	t.mu.Unlock()
	if dir == "" {
		dir = t.TempDir()
		t.mu.Lock()
		t.artifacts = dir
		t.mu.Unlock()
	}
	return dir
}

// Setenv sets an environment variable until Simulate ends, as a test's
// Setenv does until the test ends.
func (t *simTB) Setenv(key, value string) {
	prev, ok := os.LookupEnv(key)
	if err := os.Setenv(key, value); err != nil {
		t.Fatalf("simtest: Setenv cannot set the environment variable %s: %v", key, err)
	}
	t.Cleanup(func() {
		if ok {
			_ = os.Setenv(key, prev)
		} else {
			_ = os.Unsetenv(key)
		}
	})
}

// Chdir changes the working directory until Simulate ends, as a test's
// Chdir does until the test ends.
func (t *simTB) Chdir(dir string) {
	old, err := os.Getwd()
	if err != nil {
		t.Fatalf("simtest: Chdir cannot find the working directory to come back to: %v", err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatalf("simtest: Chdir cannot change the working directory: %v", err)
	}
	t.Cleanup(func() { _ = os.Chdir(old) })
	if runtime.GOOS != "windows" && runtime.GOOS != "plan9" {
		// PWD names the working directory on POSIX systems, as a
		// test's Chdir keeps it.
		if wd, err := os.Getwd(); err == nil {
			t.Setenv("PWD", wd)
		}
	}
}
