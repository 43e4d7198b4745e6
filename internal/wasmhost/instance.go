package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/providers"
)

// Config is what one instance runs with.
type Config struct {
	// Args are the program's arguments, the program's name first.
	Args []string
	// Env is the program's environment, "KEY=value" each.
	Env []string
	// hostCalls, when set, counts the program's host calls (tests).
	hostCalls *int
	// Stdout and Stderr, when set, receive a copy of what the program
	// writes to its standard output and error (the timeline gets them
	// line by line in any case).
	Stdout, Stderr io.Writer
	// SpinBudget is how many host calls the program may make while the
	// simulated clock stands still (it never waits for time, a socket or
	// the disk) before it is stopped as spinning; zero means a million.
	SpinBudget int
	// Watchdog is how long, in real time, the program may run its own
	// code without calling the host before it is stopped as spinning;
	// zero means DefaultWatchdog, negative turns the watchdog off. It
	// works only in a Module compiled with Options.StopSpins.
	Watchdog time.Duration
	// ColdStart runs a reactor's package initializers in this instance,
	// with its own random draws and clock, instead of starting it from the
	// snapshot taken after them (see [MainFiles]).
	ColdStart bool
}

// ErrSpinning is the reason a program that never waits is stopped: a
// goroutine that loops, whether it calls the host or not. Each error that
// wraps it says which.
var ErrSpinning = errors.New("a goroutine of the program spins (WebAssembly has no preemption): block on a channel, a timer or I/O instead of polling")

// An ExitError is a program's exit with a non-zero status.
type ExitError struct {
	Code uint32
	// Stderr is the end of what the program wrote to standard error,
	// up to 16 KiB; the message quotes its last lines, or the panic it
	// ends in, and says that the timeline has every line.
	Stderr string
	quoted string // what the message quotes of Stderr, when set
	// Terminated tells that SIGTERM ended the program (a graceful stop),
	// which it does not handle with os/signal.Notify.
	Terminated bool
}

// ExitCode is the status the program exited with, as os/exec's ExitError
// tells it: code that does not import the program's package, such as
// simtest's reports, tells a program's exit by this method.
func (e *ExitError) ExitCode() int { return int(e.Code) }

func (e *ExitError) Error() string {
	if e.Terminated {
		return "the program ended on SIGTERM, which it does not handle"
	}
	msg := fmt.Sprintf("the program exited with status %d", e.Code)
	if sig := e.Code - 128; sig >= 1 && sig <= 31 {
		// WASI has no signals: Go's wasip1 runtime ends a process that
		// signals itself with the status a shell gives one that signal
		// ended, and a program that meant to catch it never hears why.
		msg += fmt.Sprintf(" (128+%d, as a process that signal %d, %s, ended: a program that sends a signal to itself, "+
			"syscall.Kill(os.Getpid(), sig) or os.Process.Signal, exits so, for WASI has no signals; only SIGTERM, "+
			"from a graceful stop, reaches os/signal.Notify: docs/programs.md)", sig, sig, syscall.Signal(sig))
	}
	if strings.Contains(e.Stderr, "all goroutines are asleep - deadlock!") && strings.Contains(e.Stderr, "net_fake.go") {
		msg += " (its goroutines waited on Go's in-process fake network, which a Unix or raw socket, or a network the simulation does not give, uses under wasip1: " +
			"no other process can reach it, so a wait for one never ends; serve and dial TCP or UDP instead: docs/programs.md)"
	}
	if e.Stderr == "" {
		return msg
	}
	return msg + "; its standard error ends:\n" + QuotedStderr(e)
}

type instanceKey struct{}

func instanceOf(ctx context.Context) *instance {
	return ctx.Value(instanceKey{}).(*instance)
}

// instance is the host side of one running program.
type instance struct {
	ctx  context.Context // the process task's context, with the instance
	wait context.Context // what waits use: ctx, until a stop is delivered
	p    providers.Providers
	// kernelNow reads p's clock for the host's own needs, where no pause
	// begins (simnet's KernelNow): the program's reads are p.Time.Now.
	kernelNow func() time.Time
	cfg       Config
	name      string // the process's name, for the timeline
	rec       recorder

	mod   api.Module
	idle  *idlePool         // where mod goes when the program ends, or nil
	mem   *linear           // mod's memory, when idle is set
	snap  *snapState        // taking a snapshot: off the simulation, p unset
	fds   []*fdEntry        // by fd number; nil for a free number
	files providers.Storage // the disk with the tmpfs at /tmp; see storage
	wake  *providers.Chan[struct{}]
	names *names
	subs  []subscription // poll_oneoff's, reused

	monoBase time.Time
	lastMono int64

	maps    []*mapping       // the program's MAP_SHARED mappings; see mmap.go
	orphans []providers.File // files closed while a mapping held them

	stopping bool   // the context ended and a stop was delivered
	signals  []byte // signals raised and not yet read by the program
	sigOpen  bool   // the program listens for signals (os/signal.Notify)
	// termIgnored: the program ignores SIGTERM (signal.Ignore).
	termIgnored bool

	calls     int // host calls since the last wait
	lastCheck time.Time
	panicked  any // what a host function panicked with, for the kill to go on
	spinning  bool
	threw     bool // the clock failed once, for the runtime to throw
	watch     watch
	// foreign tells the simulation's watchdog whether the program's code
	// runs (sim.ForeignCall), during a call.
	foreign    *sim.ForeignCall
	out, errs  lineBuffer
	stderrTail []byte
	errScan    stderrScan // standard error's lines, for what an error quotes
}

// Run runs one instance of the program to its end on the calling task:
// until it exits, or ctx ends and it stops on the signal it is sent, or
// the task is killed, which drops the instance where it stands. A program
// that exits with status zero returns nil; other endings are errors.
func (m *Module) Run(ctx context.Context, p providers.Providers, c Config) error {
	if p.Time == nil || p.Task == nil || p.Random == nil {
		return errors.New("wasmhost: the providers lack Time, Task or Random; run the program as a simulated process")
	}
	if m.mems.isClosed() {
		return errors.New("wasmhost: the program was closed before this process started; close it once no test runs it any more (in TestMain, after m.Run)")
	}
	if c.SpinBudget == 0 {
		c.SpinBudget = 1_000_000
	}
	if c.Watchdog == 0 {
		c.Watchdog = DefaultWatchdog
	}
	in := &instance{p: p, cfg: c, kernelNow: p.Time.Now}
	if k, ok := p.Time.(interface{ KernelNow() time.Time }); ok {
		// The host's own reads are the kernel's: a pause that a clock
		// read begins falls in the program's reads (clock_time_get).
		in.kernelNow = k.KernelNow
	}
	in.monoBase = in.kernelNow()
	if p.Cluster != nil {
		in.name = p.Cluster.Self().Name
	}
	in.rec = recorderOf(ctx)
	// The host wakes the program with a timer at each timed wait that
	// also waits on a socket (poll.go): two timeline lines a wake that say
	// nothing of the program. Keep them out.
	if q, ok := simctx.From(ctx).(interface{ QuietTimers() }); ok {
		q.QuietTimers()
	}
	in.ctx = context.WithValue(ctx, instanceKey{}, in)
	in.wait = ctx
	in.wake = providers.NewChan[struct{}](p.Task, 1)
	in.names = newNames(p)
	in.openStdio()

	var snap *snapshot
	if m.reactor && !c.ColdStart {
		var err error
		snap, err = m.snapshotFor(c)
		if errors.Is(err, ErrSpinning) {
			return err
		}
		// Any other error leaves snap nil: the program starts cold.
	}
	var mod api.Module
	var mem *linear
	var err error
	restored := false
	if snap != nil {
		mod, mem = m.idle.take()
	}
	if mod != nil {
		zeroFrom := mem.zeroFrom
		mem.zeroFrom = 0
		if snap.restore(mod, m.globals, zeroFrom) == nil {
			restored = true
		} else {
			// An idle instance that cannot take this snapshot (its
			// memory is at the limit): a new one can.
			mem.end()
			_ = mod.Close(context.WithoutCancel(in.ctx))
			mod, mem = nil, nil
		}
	}
	if mod == nil {
		mod, mem, err = m.instantiate(in.ctx, snap)
	}
	if err != nil {
		if mem != nil {
			mem.end()
		}
		return err
	}
	in.mod = mod
	if snap != nil && mem != nil {
		// The snapshot's restore rewrites all of the instance's state
		// the program reads: the next process may start in it.
		in.idle, in.mem = &m.idle, mem
	}
	defer in.closeAll()
	// Before closeAll, which may hand the instance to the next process.
	defer func() {
		if mem != nil {
			mem.end()
		}
	}()
	entry := mod.ExportedFunction("_start")
	switch {
	case snap != nil:
		if !restored {
			if err := snap.restore(mod, m.globals, 0); err != nil {
				in.idle = nil // nor may a later process start in it
				return err
			}
		}
		entry = mod.ExportedFunction(mainExport)
	case m.reactor:
		if err := writeData(mod.Memory(), m.data); err != nil {
			return err
		}
		if err := in.call(m, mod.ExportedFunction(initExport)); err != nil {
			return in.exitError(err) // it exited, or failed, in an initializer
		}
		entry = mod.ExportedFunction(mainExport)
	case entry == nil:
		return errors.New("wasmhost: the program has no _start; build a main package with GOOS=wasip1 GOARCH=wasm")
	}
	return in.exitError(in.call(m, entry))
}

// instantiate makes an instance of the module, to be started from snap
// when snap is not nil. The caller ends mem, when not nil, once the
// instance's code no longer runs.
func (m *Module) instantiate(ctx context.Context, snap *snapshot) (mod api.Module, mem *linear, err error) {
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions()
	var keep uint64 // the bytes the snapshot overwrites
	if snap != nil {
		keep = uint64(len(snap.mem))
	}
	alloc := experimental.MemoryAllocatorFunc(func(cap, max uint64) experimental.LinearMemory {
		lm := m.mems.allocate(cap, max, keep)
		mem, _ = lm.(*linear)
		return lm
	})
	mod, err = m.rt.InstantiateModule(experimental.WithMemoryAllocator(ctx, alloc), m.compiled, cfg)
	if err != nil {
		if mem != nil {
			mem.Free() // an instance that failed to start is never closed
		}
		return nil, mem, fmt.Errorf("wasmhost: instantiate the program: %w", err)
	}
	return mod, mem, nil
}

// call runs one of the program's entry points to its end, and returns
// wazero's error: nil only when the function returned, a *sys.ExitError
// when the program exited.
func (in *instance) call(m *Module, f api.Function) error {
	err := in.watched(m, f)
	if in.panicked != nil {
		// wazero recovered a panic raised in a host function: the
		// simulation's kill of this task, or a failure. Raise it again
		// so that it goes on unwinding the task, after recording the
		// unfinished lines the program wrote before: they were out.
		in.flushOutput()
		panic(in.panicked)
	}
	in.flushOutput()
	return err
}

// watched calls f, under the watchdog when m allows it, and returns
// wazero's error.
func (in *instance) watched(m *Module, f api.Function) error {
	// The call's context is not the task's: a graceful stop is a signal
	// for the program, not the end of the call. Only the watchdog ends
	// it, for a program that runs without ever calling the host.
	callCtx, cancel := context.WithCancel(context.WithoutCancel(in.ctx))
	stopWatch := func() {}
	var stopSpinsAfter time.Duration // 0: the code is never stopped
	if m.stopSpins {
		stopWatch = in.watch.start(cancel, in.cfg.Watchdog)
		stopSpinsAfter = max(in.cfg.Watchdog, 0)
	}
	// The simulation's watchdog must not stop the world while the
	// program's code runs: that code cannot be preempted, and a spin in it
	// would hold the stop, and the test binary, forever.
	in.foreign = sim.EnterForeign(in.ctx, stopSpinsAfter)
	defer in.foreign.End()
	_, err := f.Call(callCtx)
	stopWatch()
	cancel()
	return err
}

func (in *instance) exitError(err error) error {
	if in.watch.fired.Load() {
		return fmt.Errorf("the program ran its own code for %v of real time without calling the host (no clock read, no I/O, no sleep): "+
			"a goroutine loops on something only another goroutine changes (for !flag.Load() {}), which never runs; "+
			"WebAssembly stops such code without a stack, so the host cannot name the loop: %w", in.watch.limit, ErrSpinning)
	}
	if in.spinning {
		var exit *sys.ExitError
		if errors.As(err, &exit) {
			// The runtime threw: its standard error holds the stacks.
			return fmt.Errorf("%d host calls while the simulated clock stood still: the program calls the host in a loop without ever waiting; %w; "+
				"the program's goroutines, the spinning one first:\n%s",
				in.cfg.SpinBudget, ErrSpinning, strings.TrimRight(string(in.stderrTail), "\n"))
		}
		// wazero's error holds the spinning goroutine's stack.
		return err
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		if exit.ExitCode() == 0 {
			return nil
		}
		code := exit.ExitCode()
		tail := strings.TrimRight(string(in.stderrTail), "\n")
		return &ExitError{Code: code, Stderr: tail, quoted: in.errScan.quote(tail), Terminated: in.stopping && !in.sigOpen && code == exitSIGTERM}
	}
	if err != nil {
		if tail := strings.TrimRight(string(in.stderrTail), "\n"); tail != "" {
			return fmt.Errorf("the program failed: %w; its standard error ends:\n%s", err, in.errScan.quote(tail))
		}
		return fmt.Errorf("the program failed: %w", err)
	}
	return nil
}

// closeAll drops the instance and everything it holds open. The files
// it leaves open are closed, as a process's exit closes them, unless the
// task is being killed: then nothing it does reaches the disk, whose
// crash or stop ends those files anyway.
func (in *instance) closeAll() {
	in.endMaps()
	for _, f := range in.orphans {
		if in.panicked == nil {
			_ = f.Close()
		}
	}
	in.orphans = nil
	for i, e := range in.fds {
		if e != nil {
			if e.file != nil && in.panicked == nil {
				_ = e.file.Close()
			}
			e.drop()
			in.fds[i] = nil
		}
	}
	if in.idle != nil && !in.mod.IsClosed() {
		in.mem.trim()
	}
	if in.idle != nil && !in.mod.IsClosed() && in.idle.put(in.mod, in.mem) {
		return
	}
	_ = in.mod.Close(context.WithoutCancel(in.ctx))
}

// host is called at the start of every host function: it guards against
// a program that spins, and notes panics raised under it.
func (in *instance) host() {
	in.watch.enter()
	in.foreign.In()
	if in.cfg.hostCalls != nil {
		*in.cfg.hostCalls++
	}
	in.calls++
	if in.calls&4095 == 0 {
		// Simulated time moves only while the program waits.
		if now := in.kernelNow(); !now.Equal(in.lastCheck) {
			in.lastCheck = now
			in.calls = 0
		}
	}
	if in.calls > in.cfg.SpinBudget && !in.spinning {
		// Over the budget: spinning only if the clock stood still, which
		// a budget below the check's stride must look at itself.
		if now := in.kernelNow(); !now.Equal(in.lastCheck) {
			in.lastCheck = now
			in.calls = 0
		}
	}
	if in.calls > in.cfg.SpinBudget {
		if !in.spinning {
			// The next clock read fails, so that the Go runtime throws
			// and prints every goroutine's stack.
			in.spinning = true
			in.calls = 0
			in.stderrTail = in.stderrTail[:0]
		} else if in.calls > 10_000 {
			panic(spinError{in.cfg.SpinBudget}) // it did not throw
		}
	}
}

// spinError stops a program that spins; wazero adds the stack of the
// goroutine that spun.
type spinError struct{ calls int }

func (e spinError) Error() string {
	return fmt.Sprintf("%d host calls while the simulated clock stood still: the program calls the host in a loop without ever waiting; %v", e.calls, ErrSpinning)
}

func (e spinError) Unwrap() error { return ErrSpinning }

// waited notes that the program waited: it is not spinning.
func (in *instance) waited() { in.calls = 0 }

// goHelper starts one of the host's helper tasks (a socket's reader,
// writer, acceptor or dialer): quietly, where the simulation can, so that
// the timeline tells of them only an error one returns. Their two lines
// each, start and end, say nothing of the program, and a program that
// opens many connections would fill a failure report's window with them.
func (in *instance) goHelper(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	if q, ok := in.p.Task.(interface {
		GoQuiet(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle
	}); ok {
		return q.GoQuiet(ctx, name, fn)
	}
	return in.p.Task.Go(ctx, name, fn)
}

// notify wakes a poll_oneoff that waits: a socket's state changed.
func (in *instance) notify() { in.wake.TrySend(struct{}{}) }

// catch notes a panic that is going through a host function, such as the
// simulation killing the task, before wazero turns it into an error.
func (in *instance) catch() {
	in.watch.leave()
	in.foreign.Out()
	if r := recover(); r != nil {
		switch r.(type) {
		case *sys.ExitError, spinError:
		default:
			if in.panicked == nil {
				in.panicked = r
			}
		}
		panic(r)
	}
}
