package simtest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simdisk"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/internal/tally"
	"github.com/moonpool-go/moonpool/providers"
)

// S is the handle a test body gets for one seed: the test driver's view of
// the simulated world. It is a testing.TB, so testify's assert and require,
// and helpers that take a testing.TB, work with it; its failure and log
// methods are about the seed, not the whole test.
//
// Error and Errorf mark the seed failed and go on; Fatal, Fatalf and
// FailNow mark it failed and end it at once, from any task. Log and Logf
// write to the seed's log, stamped with simulated time, the task and the
// line that logged, shown when the seed fails (or always, with -simv).
//
// Fail a seed through its S, not through the test's own testing.T: a
// t.Errorf while a seed runs fails that seed too, but its report can only
// say that the test's T failed. An S used after its seed ended (kept past
// the body, or in a goroutine that outlived the seed) fails the test
// instead, naming the seed, and its log lines go to the test's log; once
// the test has returned, an error panics and a log line goes where a
// t.Log's would (the test's log while its cleanups run, else the nearest
// test above it still running, else it panics), as testing.T's do after
// their test. Used on the goroutine of another test than its own (an S
// kept where a second test, or a subtest, reaches it), an S panics there,
// which fails that test and leaves its own alone. Unlike testing.T's, an
// S's methods are not for goroutines the simulation does not run: a go
// statement's goroutine that logs or reports an error through it while
// the seed runs fails the seed as a stray goroutine.
type S struct {
	// tb is the test's testing.TB: the methods S does not define (Name,
	// ArtifactDir, Attr, Output...) go to it, and S is a testing.TB
	// through it.
	tb
	w    *sim.World
	p    providers.Providers
	ctx  context.Context
	seed uint64
	// recipe is the exploration timeline the seed's run is, when it
	// branched from the seed's own run; "" otherwise.
	recipe string
	failed bool
	// viaT reports whether the test's own testing.T was marked failed
	// while the seed ran (as the Run takes it, see seedOutcome.viaT):
	// such a failure is the seed's, so Failed counts it. Nil outside a Run.
	viaT func() bool
	// skipped is set when the body asked to skip the test, and skipMsg
	// is what it said, if anything (SkipNow says nothing); skipCall is
	// the call that asked and where, such as "S.Skip at x_test.go:12",
	// which the Run's summary names.
	skipped  bool
	skipMsg  string
	skipCall string
	errs     []string
	logs     []logLine
	// goErrs are the tasks S.Go started that returned an error, in the
	// order they returned.
	goErrs []*goTask
	// endedWithCtx are the tasks S.Go started that ended after the body's
	// context did, as an Eventually that fails names them.
	endedWithCtx []endedTask
	// checkErrs bounds the errors of errs that Cluster.Run's check
	// phase reported, errs[from:to]: a seed whose errors are all of
	// them failed a final check only, and its report says how to find
	// when the state went wrong (checkHint).
	checkErrs struct{ from, to int }
	// unfinished holds the indices in errs of the errors that carry a
	// check that could not finish (unfinishedCheck), and timedOut
	// reports whether any error carries one that real time cut short
	// (cutByTime): what the report says of a final check, and of two
	// runs that ended differently, hangs on them.
	unfinished []int
	timedOut   bool
	// readyAtFirst names the tasks that were due, and had not yet run, at
	// the instant of the first error (sim.World.ReadyNow).
	readyAtFirst []string
	// releasesAtFirst is what release each process of a group with
	// Releases ran at the first error ("kv-0 v1, kv-1 v2 (down)"), for
	// the report: an upgrade's test asks it first.
	releasesAtFirst string
	// chaosNotes are the timeline's notes of what the seed drew of its
	// chaos (noteChaos), which its failure report repeats.
	chaosNotes []string
	// swarmRegime is set when the seed drew a regime of reboots
	// (Attrition.Swarm), which a PauseOnly group's pauses override.
	swarmRegime bool
	// logPCs holds the stacks of the log lines, each line's a span of
	// it: one slice rather than one per line.
	logPCs []uintptr
	// cleanups are the functions Cleanup registered; cleanMu guards them,
	// for the Run takes over those left when the watchdog gives the seed
	// up, while its tasks' goroutines may still run (runGivenUp).
	cleanMu  sync.Mutex
	cleanups []func()
	// envSet names the variables Setenv set and Chdir (PWD) changed, under
	// cleanMu: their lookups, to put them back, are simtest's, not the
	// test's, and a checked replay does not list them (envScope).
	envSet []string
	// partial is what Output was given after its last newline; outMu
	// guards it for writes after the seed ended, from any goroutine.
	outMu   sync.Mutex
	partial []byte
	chaos   chaos.Config
	cluster *Cluster   // the processes of the seed, once booted (cluster.go)
	config  *configErr // a mistake in the test's set-up (config_error.go)

	// workers is how many seeds the Run runs at once, when more than
	// one: Setenv and Chdir, which change the whole process, are refused.
	workers int

	// reboots is set when attrition is on in some seed of the Run, if not
	// in this one (Randomize, Swarm): its MaxDead is checked in every seed.
	reboots bool
	// takesDown is set when the Run's attrition draws reboots that take a
	// process down, not pauses alone, in some seed if not in this one
	// (Attrition.Swarm).
	takesDown bool

	// ended is set when the seed is over; from then on what the S is told
	// goes to the test, through after (late.go).
	ended    atomic.Bool
	after    *afterSeeds
	toldLate atomic.Bool // after has been told of a failure of this S
	// id tells this S from the Run's others, for after; again is set for
	// a run again of the seed (the determinism check's second run, or
	// the one that shows a report's window at the time its failure names,
	// window_at.go): it tells the test nothing the first run told.
	id    uint64
	again bool

	disks *simdisk.Disks // the seed's disks, made on first use (storage.go)
	// diskCalls counts, per disk address, the test's calls of Disk.Crash,
	// Kill, Wipe and Stop, which close a process's files: a restart it
	// asks for after one is the test's doing (restartLimitMessage).
	diskCalls map[string]diskCalls
	net       *simnet.Net // the seed's network (network.go)
	// hostTasks holds, by host, the group of the tasks started with
	// [S.HostProviders]' Task, made on first use (network.go).
	hostTasks map[string]*sim.Group
	// placed holds, by host, where S.HostProvidersIn placed a host that is
	// no process's.
	placed map[string]providers.Locality
	obs    *observer // assertions, invariants, timeline (assert.go)
	// timeline is the seed's kept timeline, once S.Timeline is called
	// (timeline_query.go).
	timeline *Timeline

	// helpers are the program counters of the functions that called
	// Helper, as testing.T keeps them: an error names the first caller
	// that is not one. helperPCs holds them in the order they came, so
	// that a log line resolved late skips only the helpers marked when
	// it was logged.
	helpersMu sync.Mutex
	helpers   map[uintptr]struct{}
	helperPCs []uintptr

	// progress, when set, hears of every new thing the seed reached (a
	// Sometimes come true, a better watermark, a new bucket, a new state),
	// as a hash with what names it; fuzzing turns these into coverage.
	progress func(p tally.Progress)
}

// tb is testing.TB under an unexported name, so that S embeds it without
// a field users could reach to go around the seed (s.TB.Errorf).
type tb = testing.TB

// signal reports new progress of the seed; see S.progress.
func (s *S) signal(p tally.Progress) {
	if s.progress != nil {
		s.progress(p)
	}
}

// Seed is the seed this body runs under; under [Fuzz], the input's base
// seed; in an exploration's branched timeline ([Explore]), its root seed,
// whose run the timeline follows only up to its first branch point, so
// that -simseed alone does not replay it (its replay line's -simrecipe
// does).
func (s *S) Seed() uint64 { return s.seed }

// Name returns the test's name, as the testing.TB Run was given reports
// it: a seed has no name of its own.
func (s *S) Name() string { return s.tb.Name() }

// Attr emits a test attribute through the test's testing.TB: go test
// -json reports it as an attr event, once for each seed that calls it.
// A seed that runs again (under [CheckDeterminism], or to show its
// report's window at the time its failure names) emits it once.
func (s *S) Attr(key, value string) {
	if s.again && !s.ended.Load() {
		return
	}
	s.tb.Attr(key, value)
}

// Providers returns the test driver's providers.
func (s *S) Providers() providers.Providers { return s.p }

// Context returns the driver's context. It carries the simulation, so
// assertions and buggify made with it, or with contexts derived from it,
// belong to this seed. As testing.T's, it is cancelled when the body
// returns, before the Cleanup functions run. Tasks started with it (by
// [S.Go]) see it end the next time they run, which is only if a cleanup
// waits in simulated time ([S.Sleep]): otherwise the seed ends after the
// cleanups and kills them where they wait, with no turn to shut down. A
// cleanup that must still wait in simulated time waits with [S.Sleep],
// or on context.WithoutCancel(s.Context()).
func (s *S) Context() context.Context { return s.ctx }

// Go starts fn as a task of the test driver. The error fn returns
// reaches only the handle's [providers.Handle.Join], as a goroutine's
// does only the code that waits for it: returning one fails nothing. The
// timeline's line of the task's end names it ("task finished: returned
// an error: ..."), and a failing seed's report lists the errors of the
// tasks Go started that nobody joined, but for the error of fn's own
// context once it has ended (ctx.Err(), wrapped or not): that is how a
// task stops. To fail the seed from the task,
// call [S.Error] there, or Join the task and check what it gives.
func (s *S) Go(name string, fn func(ctx context.Context) error) providers.Handle {
	if !s.w.OnTurn() {
		s.refuseForeign("S.Go")
	}
	r := &goTask{name: name}
	h := s.p.Task.Go(s.ctx, name, func(ctx context.Context) error {
		err := fn(ctx)
		if s.ctx.Err() != nil {
			s.endedWithCtx = append(s.endedWithCtx, endedTask{name, s.w.Now()})
		}
		if err != nil && !sim.StoppedByContext(ctx, err) {
			r.at, r.err = s.w.Now(), err.Error()
			s.goErrs = append(s.goErrs, r)
		}
		return err
	})
	return goHandle{h, r}
}

// A goTask is a task that S.Go started and that returned an error, as
// the failure report lists it unless it was joined.
type goTask struct {
	name   string
	at     time.Duration
	err    string
	joined bool
}

// An endedTask is a task S.Go started that ended after the body's
// context ended, and when.
type endedTask struct {
	name string
	at   time.Duration
}

// goHandle is the handle of a task S.Go started: a Join marks its error
// heard.
type goHandle struct {
	providers.Handle
	r *goTask
}

func (h goHandle) Join(ctx context.Context) error {
	h.r.joined = true
	return h.Handle.Join(ctx)
}

// unjoinedErrs is what the seed's tasks started by S.Go returned that no
// Join heard.
func (s *S) unjoinedErrs() []*goTask {
	var out []*goTask
	for _, r := range s.goErrs {
		if !r.joined {
			out = append(out, r)
		}
	}
	return out
}

// Sleep pauses the calling task for d of simulated time. It does not end
// early when [S.Context] is cancelled: a cleanup, or a task's loop, that
// sleeps with it still waits. (To stop with the seed's context, sleep
// with s.Providers().Time.Sleep(ctx, d) and check its error.)
func (s *S) Sleep(d time.Duration) { _ = s.p.Time.Sleep(s.w.Context(), d) }

// Now returns the simulated time.
func (s *S) Now() time.Time { return s.p.Time.Now() }

// Elapsed returns the simulated time since the seed began.
func (s *S) Elapsed() time.Duration { return s.w.Now() }

// Cleanup registers f to run when the body returns, still inside the
// simulation, in the driver's task, after [S.Context] is cancelled; the
// last registered runs first. As testing.T's, the cleanups run when the
// seed fails too (FailNow, a panic), a cleanup registered by a cleanup
// runs, and one that panics does not keep the others from running. When
// a task other than the driver ended the seed, the world is torn down
// and the cleanups run as the driver is killed: they cannot wait in
// simulated time (a Sleep ends the cleanup that calls it, and the next
// one runs; the timeline says "cleanup cut short", naming where it was
// registered).
//
// When the [Watchdog] gives the seed up, the cleanups not yet run run
// outside the simulation, each on a goroutine of its own, before the Run
// reports the seed: the seed has ended, so what they report through the
// S goes to the test, and a call into the simulation ends the cleanup
// with a failure of the test. They run while the task that escaped may
// still run: a cleanup that shares state with it races with it.
//
// Called by a crashed process's task as it unwinds (a defer of a process
// that Crash, Wipe, PowerLoss or Kill took down), Cleanup registers nothing and
// the task unwinds on, as it does from every call into the simulation (a
// Sleep, a Go): a function that code registers, which outside a
// simulation never runs, would run in the live driver and could fail or
// skip the seed.
func (s *S) Cleanup(f func()) {
	if s.over("S.Cleanup") {
		s.after.fail(s, "Cleanup was called on", s.caller(), "its function will not run: the seed's cleanups have run")
		return
	}
	s.onTurn("S.Cleanup")
	s.unwindCrashed()
	at := s.caller()
	s.addCleanup(func() { s.runCleanup(at, f) })
}

// runCleanup runs f, the cleanup registered at at, and tells the timeline
// when a kill unwinds it: a task other than the driver ended the seed,
// and the cleanup's wait in simulated time ended it there, its rest not
// run.
func (s *S) runCleanup(at string, f func()) {
	returned := false
	defer func() {
		if !returned && s.w.Unwinding() {
			s.w.Log(fmt.Sprintf("cleanup cut short: the cleanup registered at %s waited in simulated time after another task ended the seed, and ended there", at))
		}
	}()
	f()
	returned = true
}

// addCleanup registers f as Cleanup does, from a crashed process's task
// too: the S's own undoing of what TempDir, Setenv and Chdir did, which
// the seed needs whoever called them.
func (s *S) addCleanup(f func()) {
	s.onTurn("S.Cleanup")
	s.cleanMu.Lock()
	s.cleanups = append(s.cleanups, f)
	s.cleanMu.Unlock()
}

// unwindCrashed unwinds the running task on, as its kill does, when it is
// a crashed process's, unwinding from the crash: for what would register
// a function that runs in the live seed (a cleanup, an invariant, a
// liveness property) and could fail it.
func (s *S) unwindCrashed() {
	if s.w.Crashed() {
		s.w.FailNow() // a crashed task's FailNow unwinds it as a kill
	}
}

// runCleanups runs the cleanups, the last registered first, as
// testing.T's runCleanup does: those a cleanup registers run too, and
// when one panics (or is unwound by a kill) the rest still run before the
// panic goes on.
func (s *S) runCleanups() {
	defer func() {
		if s.hasCleanups() {
			s.runCleanups()
		}
	}()
	for {
		f := s.nextCleanup()
		if f == nil {
			return
		}
		f()
	}
}

// hasCleanups reports whether a cleanup is left for the driver to run.
func (s *S) hasCleanups() bool {
	s.cleanMu.Lock()
	defer s.cleanMu.Unlock()
	return len(s.cleanups) > 0 && !s.w.Abandoned()
}

// nextCleanup takes the last cleanup registered, or nil when none is
// left or the watchdog gave the seed up: the Run runs those then.
func (s *S) nextCleanup() func() {
	s.cleanMu.Lock()
	defer s.cleanMu.Unlock()
	if len(s.cleanups) == 0 || s.w.Abandoned() {
		return nil
	}
	last := len(s.cleanups) - 1
	f := s.cleanups[last]
	s.cleanups = s.cleanups[:last]
	return f
}

// runGivenUp runs, once the seed has ended, the cleanups that a seed the
// watchdog gave up had not run, the last registered first, as a test's
// run when it ends. The world is left alone: each runs on a goroutine of
// its own, so that a call into the simulation, a FailNow or a panic ends
// that cleanup only, and the failure goes to the test; unless quiet: a
// seed that the Run stopped waiting for, whose outcome nobody reads.
func (s *S) runGivenUp(quiet bool) {
	if quiet {
		s.after.drop(s.seed, s.recipe)
	}
	s.cleanMu.Lock()
	fs := s.cleanups
	s.cleanups = nil
	s.cleanMu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		told := s.after.reported.Load()
		var panicked any
		returned := false
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() { panicked = recover() }()
			fs[i]()
			returned = true
		}()
		<-done
		switch {
		case panicked != nil:
			s.after.givenUpCleanup(s, fmt.Sprintf("panicked: %v", panicked))
		case !returned && s.after.reported.Load() == told:
			s.after.givenUpCleanup(s, "was ended as it called into the simulation, which it cannot; "+
				"a cleanup that must wait in simulated time, or use the seed's network or disks, cannot run for a seed the watchdog gave up")
		}
	}
}

// TempDir returns a new directory, made by the test's TempDir, that the
// seed removes when it ends (a cleanup): a Run of many seeds does not
// keep every seed's files until the test ends. It is on the real disk, as
// testing.T's is: no fault of the simulation reaches it, and a power loss
// keeps what was written there unsynced. Files whose crashes the test is
// about go on a simulated disk: a process's p.Storage, or [S.Disk]'s.
func (s *S) TempDir() string {
	dir := s.tb.TempDir()
	if s.ended.Load() {
		return dir // the test's, then: it has no seed to end with
	}
	s.addCleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// Setenv sets an environment variable through the test's Setenv, and
// puts back what it was before when the seed ends (a cleanup): a seed
// does not run in the variables an earlier seed set, so that its replay,
// alone, runs as it did. As testing.T refuses it in a parallel test, it
// is refused in a Run that runs seeds at once ([Workers]).
func (s *S) Setenv(key, value string) {
	if s.ended.Load() {
		s.tb.Setenv(key, value)
		return
	}
	s.refuseWorkers("Setenv")
	prev, had := os.LookupEnv(key)
	s.refuseParallel("Setenv", func() { s.tb.Setenv(key, value) })
	s.setsEnv(key)
	s.addCleanup(func() { restoreEnv(key, prev, had) })
}

// Chdir changes the working directory through the test's Chdir, and
// changes it back (and PWD) when the seed ends (a cleanup), as
// [S.Setenv] does the environment; it is refused in a Run that runs
// seeds at once ([Workers]).
func (s *S) Chdir(dir string) {
	if s.ended.Load() {
		s.tb.Chdir(dir)
		return
	}
	s.refuseWorkers("Chdir")
	old, err := os.Getwd()
	if err != nil {
		s.Fatalf("simtest: Chdir cannot find the working directory to come back to: %v", err)
	}
	pwd, hadPWD := os.LookupEnv("PWD")
	s.refuseParallel("Chdir", func() { s.tb.Chdir(dir) })
	s.setsEnv("PWD")
	s.addCleanup(func() {
		if err := os.Chdir(old); err != nil {
			s.Errorf("simtest: the seed cannot come back to the working directory %s it changed with Chdir: %v", old, err)
		}
		restoreEnv("PWD", pwd, hadPWD)
	})
}

// setsEnv records that the seed set the variable key (envSet).
func (s *S) setsEnv(key string) {
	s.cleanMu.Lock()
	defer s.cleanMu.Unlock()
	if !slices.Contains(s.envSet, key) {
		s.envSet = append(s.envSet, key)
	}
}

// refuseWorkers ends the seed on a configuration error, naming the fix,
// when the Run runs seeds at once: what method changes belongs to the
// whole process, and the seeds would see one another's. It is the test's
// mistake, not the seed's: the seed replayed alone runs on one worker,
// where the call is allowed.
func (s *S) refuseWorkers(method string) {
	if s.workers > 1 {
		s.configError(&workersErr{fmt.Errorf("simtest: S.%s changes the whole process, and this Run runs %d seeds at once (Workers, -simworkers), which would see one another's changes, "+
			"as testing.T refuses it in a parallel test; call t.%[1]s before Run, or run the seeds on one worker (-simworkers=1, or no Workers option)", method, s.workers), s.workers})
	}
}

// refuseParallel runs change, a call of the test's Setenv or Chdir, and
// takes testing.T's refusal of it in a parallel test (t.Parallel, or a
// parallel parent) for the configuration error it is: every seed would
// meet it.
func (s *S) refuseParallel(method string, change func()) {
	where := s.caller() // in the deferred recover, the stack is the panic's
	defer func() {
		if v := recover(); v != nil {
			msg, ok := v.(string)
			if !ok || !strings.Contains(msg, "t.Parallel") {
				panic(v)
			}
			if s.config == nil {
				s.config = &configErr{where: where}
			}
			s.configErrorf("simtest: S.%s changes the whole process, and the test is parallel (t.Parallel, or a parallel parent), "+
				"where testing.T refuses it; take t.Parallel out of the test and its parents", method)
		}
	}()
	change()
}

// restoreEnv sets key back to prev, or unsets it when it was not set.
func restoreEnv(key, prev string, had bool) {
	if had {
		_ = os.Setenv(key, prev)
	} else {
		_ = os.Unsetenv(key)
	}
}

// Log records its arguments in the seed's log, as fmt.Sprintln does,
// with the line that called it, as testing.T's Log (skipping the
// functions marked by [S.Helper]).
func (s *S) Log(args ...any) { s.log(strings.TrimSuffix(fmt.Sprintln(args...), "\n")) }

// Logf records a formatted line in the seed's log, as Log does.
func (s *S) Logf(format string, args ...any) { s.log(fmt.Sprintf(format, args...)) }

// log records msg with the stack of its call, which is resolved into the
// line that logged only when the log is shown: most seeds pass, and their
// logs are never read.
func (s *S) log(msg string) {
	if s.over("S.Log") {
		s.after.log(s, joinLoc(s.caller(), msg))
		return
	}
	s.onTurn("S.Log")
	var pcs [maxCallers]uintptr
	n := runtime.Callers(1, pcs[:]) // from log, as caller's window begins
	s.helpersMu.Lock()
	helpers := len(s.helperPCs)
	s.helpersMu.Unlock()
	s.logs = append(s.logs, logLine{at: s.w.Now(), task: s.w.CurrentTask(), msg: msg,
		pcs: len(s.logPCs), npcs: int32(n), helpers: int32(helpers)})
	s.logPCs = append(s.logPCs, pcs[:n]...)
	s.w.Log(msg)
}

// logLine logs msg without the line of code that wrote it, as the lines
// of Output are.
func (s *S) logLine(msg string) {
	if s.over("S.Output") {
		s.after.log(s, msg)
		return
	}
	s.onTurn("S.Log")
	s.logs = append(s.logs, logLine{at: s.w.Now(), task: s.w.CurrentTask(), msg: msg})
	s.w.Log(msg)
}

// A logLine is a line of the seed's log as it was logged, with the stack
// of its call (npcs program counters of logPCs from pcs; none for a line
// of Output), from which the line of code that logged it is found when
// the log is shown.
type logLine struct {
	at   time.Duration
	task string
	msg  string
	pcs  int
	npcs int32
	// helpers is how many of helperPCs were marked when it was logged.
	helpers int32
}

// logLines is the seed's log as it is shown, each line stamped with its
// simulated time, task, and the line of code that logged it.
func (s *S) logLines() []string { return s.logRange(0, len(s.logs)) }

// logRange is the lines from to to of the seed's log, as logLines shows
// them: only the lines shown have their line of code found, which takes
// a while for each.
func (s *S) logRange(from, to int) []string {
	if from >= to {
		return nil
	}
	s.helpersMu.Lock()
	first := helperFuncs(s.helperPCs)
	s.helpersMu.Unlock()
	out := make([]string, to-from)
	for i, l := range s.logs[from:to] {
		loc := ""
		if l.npcs > 0 {
			loc = callerIn(s.logPCs[l.pcs:l.pcs+int(l.npcs)], func(fn string) bool {
				k, ok := first[fn]
				return ok && k < int(l.helpers)
			})
		}
		out[i] = stampAt(l.at, l.task) + joinLoc(loc, l.msg)
	}
	return out
}

// joinLoc prefixes msg with loc, the line of code that said it, if known.
func joinLoc(loc, msg string) string {
	if loc == "" {
		return msg
	}
	return loc + ": " + msg
}

// Output returns a writer whose lines go to the seed's log, as
// testing.T's go to the test's: each line as a line of Log, stamped with
// the simulated time and the task, without the line of code that wrote
// it; a last line without its newline is logged when the seed ends.
//
// For log/slog, [S.Logger] is the better fit: its records join the
// seed's timeline with the simulated time. A handler of package slog
// that writes to Output stamps each line with the wall clock too, beside
// the seed's simulated time; drop its time attribute:
//
//	slog.New(slog.NewTextHandler(s.Output(), &slog.HandlerOptions{
//		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
//			if a.Key == slog.TimeKey && len(groups) == 0 {
//				return slog.Attr{} // the seed's log has the simulated time
//			}
//			return a
//		},
//	}))
func (s *S) Output() io.Writer { return seedOutput{s} }

type seedOutput struct{ s *S }

func (o seedOutput) Write(p []byte) (int, error) {
	s := o.s
	if !s.ended.Load() {
		s.onTurn("S.Output")
	}
	var lines []string
	s.outMu.Lock()
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		lines = append(lines, string(s.partial[:i]))
		s.partial = s.partial[i+1:]
	}
	s.outMu.Unlock()
	for _, line := range lines {
		s.logLine(line)
	}
	return len(p), nil
}

// flushOutput logs what Output was given after its last newline.
func (s *S) flushOutput() {
	s.outMu.Lock()
	line := string(s.partial)
	s.partial = nil
	s.outMu.Unlock()
	if line != "" {
		s.logLine(line)
	}
}

// stamp is the simulated time and task that prefix a seed's log lines.
func (s *S) stamp() string { return stampAt(s.w.Now(), s.w.CurrentTask()) }

// over reports whether the seed has ended, for a call on the S that then
// goes to the test. A task of a seed the watchdog gave up that comes back
// (the channel it waited on closed) is the seed's, not a goroutine that
// outlived it: it unwinds here, as at any call into the simulation, and
// what it says goes nowhere. The seed's cleanups, which the Run runs on
// goroutines of their own, still speak to the test.
//
// A call through what (such as "S.Errorf") from the goroutine of a test
// other than the S's own panics (refuseForeign), ended or not.
func (s *S) over(what string) bool {
	if !s.ended.Load() {
		return false
	}
	s.refuseForeign(what)
	s.w.UnwindGivenUp()
	return true
}

// stampAt is the stamp of a line logged at simulated time at by task.
func stampAt(at time.Duration, task string) string {
	if task != "" {
		return fmt.Sprintf("%v %s: ", at, task)
	}
	return fmt.Sprintf("%v: ", at)
}

// Error is Log followed by Fail.
//
// Called by a crashed process's task as it unwinds (a defer of a process
// that Crash, Wipe, PowerLoss or Kill took down), Error, Fail and their kin fail
// nothing: outside a simulation a crashed process runs no defers, so what
// they report is not the code's failure. The timeline notes it, as an
// "error after crash" entry of the process; FailNow then unwinds the task
// on. A graceful stop's leftovers, killed after the grace, report as a
// live task does.
//
// An error among args whose At method names an earlier time of the seed,
// such as a *history.Error, moves the report's window there; see
// [S.Errorf].
func (s *S) Error(args ...any) {
	var errs []error
	for _, a := range args {
		if err, ok := a.(error); ok {
			errs = append(errs, err)
		}
	}
	s.fail(strings.TrimSuffix(fmt.Sprintln(args...), "\n"), errors.Join(errs...))
}

// Errorf is Logf followed by Fail. It formats as fmt.Errorf does, so that
// %w wraps an error, and an error it wraps that has a method At()
// time.Time naming an earlier time of the seed (on its simulated clock,
// as [S.Now] reads it), such as a *history.Error, moves the report's
// window there: when the seed's first failure names such a time and the
// window around that failure does not reach it, the Run runs the seed
// again, once, to show the timeline around that time instead.
func (s *S) Errorf(format string, args ...any) {
	err := fmt.Errorf(format, args...)
	s.fail(err.Error(), err)
}

// Fatal is Log followed by FailNow.
func (s *S) Fatal(args ...any) { s.Error(args...); s.FailNow() }

// Fatalf is Logf followed by FailNow.
func (s *S) Fatalf(format string, args ...any) { s.Errorf(format, args...); s.FailNow() }

// fail fails the seed with msg, and err, if not nil, the error it carries.
func (s *S) fail(msg string, err error) {
	if strings.Contains(msg, testifyTrace) {
		msg = withoutMachinery(msg)
	}
	s.failAt(s.caller(), msg, err)
}

// withoutMachinery is a testify failure's message without the frames of
// its Error Trace that are the simulation's machinery, not the test's:
// simtest's, the engine's and the runtime's, below every task's stack
// (run.go, world.go, task.go, iter.go, coro.go, asm_amd64.s). The
// calling stack tells them: testify writes its frames as runtime.Caller
// names them.
func withoutMachinery(msg string) string {
	var pcs [maxCallers]uintptr
	n := runtime.Callers(1, pcs[:])
	ours := map[string]bool{}
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if isMachinery(f) {
			ours[fmt.Sprintf("%s:%d", f.File, f.Line)] = true
		}
		if !more {
			break
		}
	}
	lines := strings.Split(msg, "\n")
	out := lines[:0]
	inTrace := false
	for _, l := range lines {
		// A field's first line is "\tError Trace:\t<frame>", and each
		// further frame "\t<spaces>\t<frame>".
		t := strings.TrimSpace(l)
		if label, _, ok := strings.Cut(t, "\t"); ok && strings.HasSuffix(strings.TrimSpace(label), ":") {
			inTrace = strings.HasPrefix(label, testifyTrace)
		} else if inTrace && ours[t] {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// isMachinery reports whether f is a frame of the simulation's own code
// or of the Go runtime's coroutines, not of the test or the code under
// test (moonpool's examples are code under test).
func isMachinery(f runtime.Frame) bool {
	fn := f.Function
	if strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "iter.") {
		return true
	}
	return isLibrary(fn, f.File)
}

// failAt is fail with the error's location given: loc, such as
// "server.go:42", or empty; err is the error the failure carries, or nil,
// which may name an earlier time for the report's window (namedTime).
func (s *S) failAt(loc, msg string, err error) { s.failOf(loc, msg, err, true) }

// failOf is failAt, for a failure that a check made (checked) or one that
// no check made, such as a process's exit: only a check's report names
// the tasks due at its instant (readyHint), which a check made too soon
// would have seen do their work.
func (s *S) failOf(loc, msg string, err error, checked bool) {
	if s.over("S.Error") {
		s.toldLate.Store(true)
		s.after.fail(s, "an error was reported to", loc, msg)
		return
	}
	s.onTurn("S.Error")
	if s.w.ReportAfterCrash(joinLoc(loc, failureLine(msg))) {
		return // a crashed process's defer: on the timeline, no failure
	}
	s.failed = true
	s.obs.win.fail(s.w.Now(), err)
	s.obs.failedNow()
	if unfinishedCheck(err) {
		s.unfinished = append(s.unfinished, len(s.errs))
	}
	s.timedOut = s.timedOut || cutByTime(err)
	if len(s.errs) == 0 && checked {
		s.readyAtFirst = s.w.ReadyNow()
	}
	if len(s.errs) == 0 && s.cluster != nil {
		s.releasesAtFirst = s.cluster.releasesNow()
	}
	line := s.stamp() + msg
	if loc != "" {
		line = s.stamp() + loc + ": " + msg
	}
	s.errs = append(s.errs, line)
	s.w.Log(errorEntry(msg))
}

// Fail marks the seed failed and goes on; see [S.Error] for a crashed
// process's task.
func (s *S) Fail() {
	if s.over("S.Fail") {
		s.after.fail(s, "Fail was called on", s.caller(), "")
		return
	}
	s.onTurn("S.Fail")
	if s.w.ReportAfterCrash("Fail was called") {
		return
	}
	s.failed = true
}

// onTurn lets through a call from the seed's running task, or from the
// scheduler (an invariant's check), and fails the seed with a stray
// goroutine's report, ending the calling goroutine, on a goroutine the
// simulation does not run (a go statement's): such a call would race with
// the running task, be stamped with its name, and come at a different
// point of the run each time.
func (s *S) onTurn(what string) {
	if !s.w.OnTurn() {
		s.refuseForeign(what)
		s.w.Enter(what)
	}
}

// Failed reports whether the seed has failed: through the S, through
// the engine (a task's panic...), or through the test's own testing.T
// while the seed runs (a t.Errorf from the body), which fails the seed
// too. Once the seed has ended, it reports whether the test has.
func (s *S) Failed() bool {
	if s.ended.Load() {
		return s.after.t.Failed()
	}
	return s.failed || s.w.Failed() || s.viaT != nil && s.viaT()
}

// FailNow marks the seed failed and ends it: the world is torn down and no
// later task of the seed runs. Once the seed has ended, it fails the test
// and ends the calling goroutine, as testing.T.FailNow does.
func (s *S) FailNow() {
	if s.over("S.FailNow") {
		if !s.toldLate.Load() {
			s.after.fail(s, "FailNow was called on", s.caller(), "")
		}
		s.after.failNow(s.seed, s.recipe)
	}
	s.onTurn("S.FailNow")
	// A crashed process's task only unwinds on (World.FailNow unwinds a
	// killed task as a kill): what it reported before, by Error, is on the
	// timeline, and FailNow adds no failure of its own.
	if !s.w.Crashed() {
		s.failed = true
	}
	if !s.w.Running() {
		s.tb.FailNow()
	}
	s.refuseOutsideTasks("FailNow")
	s.w.FailNow()
}

// refuseOutsideTasks panics, naming the fix, when what would end the seed
// at once is called in a check the scheduler runs between steps (an
// invariant's or a liveness property's): no task is there to end, and the
// check's panic is taken as its failure.
func (s *S) refuseOutsideTasks(what string) {
	if s.w.CurrentTask() == "" {
		panic(fmt.Sprintf("simtest: %s (Fatal, Skip, or testify's require) was called in a check the scheduler runs between steps (an Invariant's or an Eventually's), "+
			"outside any task, where the seed cannot end at once; return an error from the check instead, or use testify's assert, which goes on", what))
	}
}

// Skip is Log followed by SkipNow.
func (s *S) Skip(args ...any) { s.skip("S.Skip", strings.TrimSuffix(fmt.Sprintln(args...), "\n")) }

// Skipf is Logf followed by SkipNow.
func (s *S) Skipf(format string, args ...any) { s.skip("S.Skipf", fmt.Sprintf(format, args...)) }

// SkipNow ends the seed and skips the whole test, as testing.T's does:
// the Run runs no seed after it, and its summary counts the seed as
// skipped, not passed. To leave one seed out and run the others, return
// from the body instead.
//
// Called by a crashed process's task as it unwinds (a defer of a process
// that Crash, Wipe, PowerLoss or Kill took down), Skip and its kin skip nothing,
// as [S.Error] fails nothing there: the timeline notes it, as a "skip
// after crash" entry of the process, and the task unwinds on. The seed
// goes on, and Skipped stays false. A graceful stop's leftover, killed
// after the grace, skips as a live task does, but cannot end the seed at
// once: the task unwinds on, and the seed, which runs to its end, is
// skipped then unless it failed.
func (s *S) SkipNow() { s.skip("S.SkipNow", "") }

// skip is SkipNow, called as method with msg to log.
func (s *S) skip(method, msg string) {
	if s.over(method) {
		if msg == "" {
			msg = "skipped"
		}
		s.after.fail(s, "Skip was called on", s.caller(), msg+" (a seed that has ended cannot be skipped)")
		s.after.failNow(s.seed, s.recipe)
	}
	s.onTurn("S.SkipNow")
	if s.w.SkipAfterCrash(joinLoc(s.caller(), cmp.Or(msg, "SkipNow was called"))) {
		s.w.FailNow() // unwinds the crashed task on, as its kill does
	}
	s.skipped, s.skipMsg, s.skipCall = true, msg, method
	if where := s.caller(); where != "" {
		s.skipCall += " at " + where
	}
	if !s.w.Running() {
		s.skipTest(s.tb)
	}
	s.refuseOutsideTasks("SkipNow")
	s.w.FailNow()
}

// skipTest skips t with what the body said when it skipped, as
// testing.T's Skip and SkipNow do: SkipNow (or Skip with nothing to say)
// logs no line.
func (s *S) skipTest(t testing.TB) {
	t.Helper()
	if s.skipMsg == "" {
		t.SkipNow()
	}
	t.Skip(s.skipMsg)
}

// Skipped reports whether the body asked to skip the test.
func (s *S) Skipped() bool { return s.skipped }

// Helper marks the calling function as a helper, as testing.T.Helper
// does: an error reported through the S names the line that called the
// helper, not a line inside it. It may be called from any task.
func (s *S) Helper() {
	var pc [1]uintptr
	if runtime.Callers(2, pc[:]) == 0 {
		return
	}
	s.helpersMu.Lock()
	defer s.helpersMu.Unlock()
	if _, ok := s.helpers[pc[0]]; ok {
		return
	}
	if s.helpers == nil {
		s.helpers = make(map[uintptr]struct{})
	}
	s.helpers[pc[0]] = struct{}{}
	s.helperPCs = append(s.helperPCs, pc[0])
}

// helperFuncs maps the functions of pcs, marked by Helper, to the index
// of the first of pcs in each: a line logged when k were marked skips the
// functions whose index is below k.
func helperFuncs(pcs []uintptr) map[string]int {
	if len(pcs) == 0 {
		return nil
	}
	first := make(map[string]int, len(pcs))
	for i, pc := range pcs {
		f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
		if _, ok := first[f.Function]; !ok {
			first[f.Function] = i
		}
	}
	return first
}

// maxCallers is how deep a stack caller looks for the line of the test.
const maxCallers = 64

// caller is the line of the test that called the S's method that calls
// it: the first caller outside this package and testify, and not one of
// the functions marked by Helper.
func (s *S) caller() string {
	var pcs [maxCallers]uintptr
	n := runtime.Callers(2, pcs[:]) // from caller's caller
	return s.callerOf(pcs[:n])
}

// callerOf is caller for the stack pcs, taken earlier.
func (s *S) callerOf(pcs []uintptr) string {
	s.helpersMu.Lock()
	first := helperFuncs(s.helperPCs)
	s.helpersMu.Unlock()
	return callerIn(pcs, func(fn string) bool { _, ok := first[fn]; return ok })
}

// callerIn finds, in the stack pcs, the first caller outside this
// package and testify, and not a helper (by function name), so that an
// error names the line of the test that made it.
func callerIn(pcs []uintptr, helper func(fn string) bool) string {
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if !strings.Contains(f.Function, "moonpool/simtest.") && !strings.Contains(f.Function, "stretchr/testify") && !helper(f.Function) {
			if f.File == "" || strings.Contains(f.Function, "moonpool/internal/") {
				return "" // the engine: the test's own line is not on the stack
			}
			return fmt.Sprintf("%s:%d", shortFile(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}

func shortFile(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// headline is the line of an error message that says what went wrong: its
// first line, or for testify's multi-line messages the line after "Error:".
func headline(msg string) string {
	for _, line := range strings.Split(msg, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Error:"); ok {
			return strings.TrimSpace(rest)
		}
	}
	first, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return first
}
