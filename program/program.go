package program

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/moonpool-go/moonpool/internal/wasmbuild"
	"github.com/moonpool-go/moonpool/internal/wasmhost"
	"github.com/moonpool-go/moonpool/providers"
)

// Config says which program to build.
type Config struct {
	// Package is the main package: an import path, or a path relative to
	// Dir that starts with "./".
	Package string
	// Dir is the directory go build runs in, inside the module that holds
	// Package; "" is the current directory (a test's package directory).
	Dir string
	// Tags are extra build tags, besides those GOFLAGS sets with -tags.
	Tags []string
	// CacheDir keeps compiled code between test binaries, keyed by the
	// program's bytes; "" is a directory under os.UserCacheDir, trimmed
	// back to 2 GiB as programs are built (the code compiled longest ago
	// goes first), and "-" keeps nothing.
	CacheDir string
	// StopSpins makes a goroutine that loops without ever calling outside
	// the program (no clock read, no I/O, no sleep) stoppable: after five
	// seconds of real time the process fails with ErrSpinning. It costs
	// checks in the program's loops, which about double the cost of its
	// code. Without it such a goroutine fails the seed through the
	// simulation's watchdog, as a task busy in the program's code, and
	// goes on spinning until the test binary exits, with the garbage
	// collector off meanwhile (docs/programs.md, What stays out).
	StopSpins bool
	// ColdStart runs the program's package initializers in every process
	// it starts, with that process's own random draws and clock. By
	// default they run once per set of arguments and environment, off the
	// simulation, on a fixed random stream and clock, and each process
	// starts from a snapshot of the memory they leave, which saves most
	// of a start's CPU; everything from main on draws from the process's
	// own seeded source either way. Set it for a program whose
	// initializers must draw differently in each process (a random ID in
	// a package variable, say). A program whose initializers reach the
	// world (open a file or a socket, write output, sleep, read the wall
	// clock, the run's seed or the host's name) starts cold anyway.
	ColdStart bool
}

// A Program is a built and compiled main package, ready to run as any
// number of simulated processes, in any number of simulations at once.
// Build it once per test binary (in TestMain, or behind a sync.Once) and
// Close it when done.
type Program struct {
	name string
	wasm string
	mod  *wasmhost.Module
	cold bool
}

// ErrSpinning is the reason a program that never waits is stopped: a
// goroutine loops without blocking, and WebAssembly has no preemption.
var ErrSpinning = wasmhost.ErrSpinning

// An ExitError is a program's exit with a non-zero status, with the end of
// what it wrote to standard error. Its message quotes the last lines of it,
// a few KiB at most, or a Go panic or fatal error it ends in and the stack
// of the goroutine that failed; the run's timeline has every line.
type ExitError = wasmhost.ExitError

// Build builds c.Package for the simulation (GOOS=wasip1 GOARCH=wasm, with
// the overlays that put its network and signals on the host) and compiles
// it. The first build on a machine compiles the standard library for
// wasip1 too, a minute or two with a cold Go build cache; later builds come
// from Go's build cache (an unchanged program in a second or two, an edited
// one in seconds), and compiled code from CacheDir. A build that runs past
// a few seconds says on standard error what it is doing (and that it
// compiles the standard library, when Go's build cache lacks it), and then
// how long it took. Call it outside any simulation.
func Build(ctx context.Context, c Config) (*Program, error) {
	return build(ctx, c, os.Stderr, realClock{})
}

// build is Build with the writer and the clock of its notice of a slow
// build given, so that a test need not wait for one.
func build(ctx context.Context, c Config, w io.Writer, clk clock) (_ *Program, err error) {
	if c.Package == "" {
		return nil, errors.New("program: Config.Package is empty; name the main package to run, as an import path or a ./relative path")
	}
	for _, t := range c.Tags {
		if t == "" || strings.ContainsAny(t, " ,\t") {
			return nil, fmt.Errorf("program: build tag %q is not one word; give each tag as its own element of Config.Tags", t)
		}
	}
	n := noticeSlow(w, clk, programName(c))
	defer func() { n.done(err) }()
	overlay, err := wasmhost.GuestOverlay(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("program: %w", err)
	}
	wc := wasmbuild.Config{
		Dir:       c.Dir,
		Package:   c.Package,
		Overlay:   overlay,
		Tags:      append([]string{wasmhost.BuildTag}, c.Tags...),
		MainFiles: wasmhost.MainFiles(),
		BuildMode: "c-shared",
		Compiling: n.compiling,
	}
	wasm, err := wasmbuild.Build(ctx, wc)
	if errors.Is(err, wasmbuild.ErrMainFiles) {
		// A main package from the module cache: a command, started
		// cold.
		wc.MainFiles, wc.BuildMode = nil, ""
		wasm, err = wasmbuild.Build(ctx, wc)
	}
	if err != nil {
		return nil, fmt.Errorf("program: %w", err)
	}
	cache := c.CacheDir
	switch cache {
	case "":
		cache = wasmhost.DefaultCacheDir()
		if cache != "" {
			wasmbuild.TrimCompiled(cache, wasmbuild.CompiledLimit, time.Now())
		}
	case "-":
		cache = ""
	}
	mod, err := wasmhost.CompileFile(ctx, wasm, wasmhost.Options{CacheDir: cache, StopSpins: c.StopSpins})
	if err != nil {
		return nil, fmt.Errorf("program: %w", err)
	}
	return &Program{name: programName(c), wasm: wasm, mod: mod, cold: c.ColdStart}, nil
}

// slowBuild is how long a build runs before Build says what it is doing:
// longer than a build from a warm cache takes, so that only a build that
// compiles something says anything.
const slowBuild = 5 * time.Second

// A notice tells of a slow build: a test binary that prints nothing for
// minutes looks hung.
type notice struct {
	w     io.Writer
	clk   clock
	name  string
	start time.Time
	stop  func() bool

	mu      sync.Mutex // the timer's func and the build's calls may run at once
	said    bool       // the line that says what is being built
	ended   bool
	coldStd bool // the build compiles the standard library
}

// noticeSlow starts the clock of a build of the program name. If the build
// has not ended after slowBuild, it writes a line to w that says what is
// being built, and why it is slow when the build compiles the standard
// library. done ends the build, with its error: after such a line, it
// writes how long the build took.
func noticeSlow(w io.Writer, clk clock, name string) *notice {
	n := &notice{w: w, clk: clk, name: name, start: clk.Now()}
	n.stop = clk.AfterFunc(slowBuild, n.slow)
	return n
}

func (n *notice) slow() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ended {
		return
	}
	n.said = true
	if n.coldStd {
		fmt.Fprintf(n.w, "program: building %s for wasip1 (GOOS=wasip1 GOARCH=wasm); %s\n", n.name, coldStdWords)
		return
	}
	fmt.Fprintf(n.w, "program: building %s for wasip1 (GOOS=wasip1 GOARCH=wasm)\n", n.name)
}

// coldStdWords say why a build that compiles the standard library is slow.
const coldStdWords = "Go's build cache lacks the standard library compiled for wasip1 (as on a machine's first build, or after a Go upgrade or go clean -cache), so this build compiles it too, a minute or two"

// compiling is told, before go build runs, whether the build compiles the
// standard library. It says so if the line that says what is being built
// is out already.
func (n *notice) compiling(coldStd bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.coldStd = coldStd
	if n.said && coldStd {
		fmt.Fprintf(n.w, "program: %s\n", coldStdWords)
	}
}

func (n *notice) done(err error) {
	n.stop()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ended = true
	if !n.said {
		return
	}
	took := n.clk.Now().Sub(n.start).Round(time.Second)
	if err != nil {
		fmt.Fprintf(n.w, "program: building %s failed after %v\n", n.name, took)
		return
	}
	fmt.Fprintf(n.w, "program: built %s in %v\n", n.name, took)
}

// A clock times a build.
type clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d; stop cancels the
	// call if it has not begun.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// realClock is the machine's clock: a build takes real time.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// programName is the program's name, its first argument: the last
// element of its package path, or of its directory for a relative path
// such as ".", as go build names a binary.
func programName(c Config) string {
	name := path.Base(c.Package)
	if name == "." || name == ".." {
		if dir, err := filepath.Abs(filepath.Join(c.Dir, filepath.FromSlash(c.Package))); err == nil {
			name = filepath.Base(dir)
		}
	}
	return name
}

// Close releases the compiled program; processes still running fail.
func (p *Program) Close() error { return p.mod.Close(context.Background()) }

// WasmFile is the path of the built WebAssembly file.
func (p *Program) WasmFile() string { return p.wasm }

// Process returns a simulated process that runs the program with opts.
// It holds no state of its own: return the same one from every boot.
func (p *Program) Process(opts ...Option) *Process {
	pr := &Process{prog: p}
	for _, o := range opts {
		if o == nil {
			panic("program: Program.Process: a nil Option was passed; remove it")
		}
		o(pr)
	}
	return pr
}

// A Process runs its program as a simulated process: its Run method makes
// it a simtest.Process.
type Process struct {
	prog           *Program
	args, env      func(self providers.Peer) []string
	stdout, stderr io.Writer
	spin           int
	restart        []int // exit statuses that ask for a restart
}

// An Option configures a Process.
type Option func(*Process)

// Args sets the program's arguments, after its name, for each process:
// self is the process being booted (its name, host and tags).
func Args(f func(self providers.Peer) []string) Option {
	return func(p *Process) { p.args = f }
}

// Env sets the program's environment, "KEY=value" each, for each process.
// The environment is empty otherwise.
func Env(f func(self providers.Peer) []string) Option {
	return func(p *Process) { p.env = f }
}

// Output sends a copy of the program's standard output and standard error
// to stdout and stderr (either may be nil). The timeline has them anyway,
// line by line. The writers are called from the simulation, one process
// at a time; several simulations at once call them concurrently.
func Output(stdout, stderr io.Writer) Option {
	return func(p *Process) { p.stdout, p.stderr = stdout, stderr }
}

// SpinBudget sets how many calls into the host the program may make while
// the simulated clock stands still, never waiting for time, the network or
// the disk, before it is stopped with [ErrSpinning]; the default is a
// million.
func SpinBudget(n int) Option {
	return func(p *Process) { p.spin = n }
}

// RestartOnExit names exit statuses after which the program is restarted,
// as a supervisor with restart-on-failure (systemd's Restart=on-failure, a
// Kubernetes pod) restarts a service that exits with them: a program that
// exits with one of them goes down as a crash and boots again after
// simtest.RestartDelay, as a process whose Run returns an error wrapping
// [providers.ErrRestart] does. Another non-zero status fails the seed.
// Name the statuses the program exits with on purpose, on a fault that a
// fresh start recovers from (log.Fatal after a failed fsync is status 1);
// leave 2 out, the status of a panic and of the Go runtime's fatal errors,
// which are bugs for the seed to report.
func RestartOnExit(statuses ...int) Option {
	return func(p *Process) { p.restart = append(p.restart, statuses...) }
}

// Run runs one instance of the program on the calling simulated process.
// It returns nil when the program exits with status zero, an error that
// wraps an *ExitError for another status (and [providers.ErrRestart] for
// a status that [RestartOnExit] names), and an error for a program that
// fails otherwise.
func (p *Process) Run(ctx context.Context, prov providers.Providers) error {
	if p.prog == nil {
		return errors.New("program: the Process is of a nil *Program; check the error that program.Build returned")
	}
	var self providers.Peer
	if prov.Cluster != nil {
		self = prov.Cluster.Self()
	}
	cfg := wasmhost.Config{Args: []string{p.prog.name}, Stdout: p.stdout, Stderr: p.stderr, SpinBudget: p.spin, ColdStart: p.prog.cold}
	if p.args != nil {
		args := p.args(self)
		for i, a := range args {
			if strings.IndexByte(a, 0) >= 0 {
				return fmt.Errorf("program: argument %d of %s holds a NUL byte; arguments are C strings to the program", i+1, p.prog.name)
			}
		}
		cfg.Args = append(cfg.Args, args...)
	}
	if p.env != nil {
		env := p.env(self)
		for _, kv := range env {
			k, _, ok := strings.Cut(kv, "=")
			if !ok || k == "" || strings.IndexByte(kv, 0) >= 0 {
				return fmt.Errorf("program: environment entry %q of %s is not KEY=value; give each variable as \"KEY=value\"", kv, p.prog.name)
			}
		}
		cfg.Env = env
	}
	if p.spin < 0 {
		return fmt.Errorf("program: SpinBudget %d is negative; give a number of host calls, or zero for the default", p.spin)
	}
	for _, st := range p.restart {
		if st < 1 || st > 255 {
			return fmt.Errorf("program: RestartOnExit status %d of %s is not a failure status; give statuses from 1 to 255 (a program that exits with 0 ends its process normally)", st, p.prog.name)
		}
	}
	if err := p.prog.mod.Run(ctx, prov, cfg); err != nil {
		var exit *ExitError
		if errors.As(err, &exit) && !exit.Terminated && slices.Contains(p.restart, int(exit.Code)) {
			return &restartError{name: p.prog.name, exit: exit}
		}
		if exit != nil && !exit.Terminated && exit.Code != 2 && exit.Code <= 255 {
			// Status 2 is a panic or the runtime's fatal error: a bug.
			// Another may be a service's exit on purpose that a
			// supervisor restarts in production: say how to have it
			// restarted. A client's (a Protected group's, which the
			// program cannot tell) is its failure, which a restart
			// would only hide by running its work again.
			return fmt.Errorf("program %s (not restarted: if a supervisor restarts it on this status in production, program.RestartOnExit(%d) does so here; "+
				"a client's exit stands, for a restart would run its work again): %w", p.prog.name, exit.Code, err)
		}
		return fmt.Errorf("program %s: %w", p.prog.name, err)
	}
	return nil
}

// restartError is an exit with a status that RestartOnExit names: it
// wraps the ExitError and providers.ErrRestart, and says why it restarts.
type restartError struct {
	name string
	exit *ExitError
}

func (e *restartError) Error() string {
	msg := fmt.Sprintf("program %s exited with status %d, which RestartOnExit restarts", e.name, e.exit.Code)
	if e.exit.Stderr != "" {
		msg += "; its standard error ends:\n" + wasmhost.QuotedStderr(e.exit)
	}
	return msg
}

func (e *restartError) Unwrap() []error { return []error{e.exit, providers.ErrRestart} }
