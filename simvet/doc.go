// Package simvet finds, before a test runs, the code that escapes a
// simulation: goroutines, native channels and locks, the wall clock,
// global randomness, the real operating system and network, map order
// that reaches the outside, and package-level state; the assertions
// that, given a context from outside the simulation, check nothing; and
// the simulation bodies that fail, clean up or log through the test's
// testing.T rather than the seed's S.
//
// Code under test must reach time, tasks, randomness, the network and the
// disk only through a [github.com/moonpool-go/moonpool/providers.Providers] value. A slip shows up at run
// time as a watchdog report, a crash, or not at all: a map-ordered loop or
// a package-level counter changes an execution without any guard
// noticing. simvet reports each slip where it is written, with the
// provider call to use instead and, where the rewrite is mechanical, a
// suggested fix.
//
// Each rule is an analyzer of its own
// ([golang.org/x/tools/go/analysis.Analyzer]), so that a driver can run
// any of them; [Analyzers] holds them all. The command cmd/simvet runs
// them alone or under go vet:
//
//	go run github.com/moonpool-go/moonpool/cmd/simvet ./...
//	go vet -vettool=$(which simvet) ./...
//	simvet -maporder ./...        # one rule only
//	simvet -fix ./...             # apply the suggested fixes
//	simvet help maporder          # a rule's text
//
// # Scope
//
// simvet looks at every package it is given, with the following
// exceptions.
//
//   - A comment //simvet:allow RULE reason silences RULE on one line: the
//     line it ends, or the line after it when it stands alone. The reason
//     is required. A directive that silences nothing is reported by its
//     rule, and a malformed one by [Scope].
//   - A comment //simvet:production reason before the package clause of
//     any file opts the whole package out, with its external tests
//     (package p_test in the same directory): for code that never runs in a
//     simulation, such as a main package that wires providers.Real, or a
//     program that runs as a WebAssembly process and so is simulated at
//     the level of its system calls, written against the standard library
//     on purpose.
//   - A comment //simvet:outside reason before the package clause of a
//     file opts that file out: for a file whose code runs outside any
//     simulation beside files that run in one, such as a test that runs a
//     program natively next to the simulation's tests.
//   - In _test.go files, the bodies of Test, Benchmark, Fuzz and Example
//     functions and TestMain run on go test's goroutine, outside any
//     simulation, and so do a testify suite's Test methods and its setup
//     and teardown hooks, and the function literals given to package
//     testing, testing/synctest and a suite's Run (t.Run, synctest.Test),
//     with the function literals that a bubble's function starts with go
//     statements (the bubble's goroutines) and those given to a
//     sync.Once's Do, which runs them on the caller's goroutine; the other
//     function literals in them (a simtest.Run body, a task) are checked.
//     So are the helpers of _test.go files, but for one that only such
//     code calls (a golden-file helper called after the Run, a helper
//     that builds the programs once, behind a sync.Once, before it).
//   - This module's own production side is exempt by rule: providers (the
//     real implementations and the primitives' fallbacks to the runtime),
//     simtest and internal/... (the engine, which runs its scheduler on
//     goroutines and watches it with a real-time watchdog), simvet and
//     cmd. examples/ and every other package are checked.
//
// Findings in generated files are reported, marked as such, without
// suggested fixes. What simvet cannot look at is reported by [Scope]
// rather than passed over: files that build constraints leave out, and
// the C side of cgo. A package that does not type-check is not analyzed:
// the driver prints its errors and exits with status 1.
//
// # Rules
//
// The text of each rule below is its analyzer's Doc, and docs/simvet.md's
// checklist is generated from it (go generate ./simvet).
//
// # goroutine
//
// [Goroutine]: a go statement, context.AfterFunc, sync.WaitGroup.Go,
// errgroup.Group.Go, or a finalizer or cleanup of package runtime, runs
// code on a goroutine that the simulation neither schedules nor kills,
// and runtime.NumGoroutine counts goroutines that no seed decides.
// Start a task with p.Task.Go(ctx, name, fn).
//
// # chan
//
// [Chan]: native channel types, sends, receives, select, range and close,
// and io.Pipe and net.Pipe, block a task outside the simulation, and a
// select over ready channels picks one at random. Use providers.NewChan,
// Send, Recv, Close and providers.Select.
//
// # sync
//
// [Sync]: sync.Mutex, RWMutex, WaitGroup and Cond block outside the
// simulation. Use providers.NewMutex, providers.NewWaitGroup and
// providers.NewCond.
// testing/synctest's Wait and Test need a bubble, which a simulation is
// not.
//
// # wallclock
//
// [Wallclock]: time.Now, Since, Until, Sleep, After, AfterFunc, NewTimer,
// NewTicker, Tick, context.WithTimeout and WithDeadline (and their Cause
// variants) and http.Client's Timeout read the wall clock. Use p.Time.
// The calls of popular libraries that keep their own time (x/time/rate,
// backoff, gobreaker, golang-lru's expirable, go-cache, clockwork,
// benbjohnson/clock, cron) are reported where the code makes them, with
// the way out of each.
//
// # globalrand
//
// [Globalrand]: math/rand's and math/rand/v2's global functions, a
// generator at package level or seeded from the clock, crypto/rand and
// hash/maphash's seeds draw outside the run's stream. Use p.Random.
//
// # osnet
//
// [Osnet]: os, io/ioutil and path/filepath file and process calls, the
// process's pid and host name, log.Fatal, os/exec, net's and crypto/tls's
// dial, listen and lookup, and net/http's default client, own transports
// and servers reach the real machine. Use p.Storage, p.Network and
// package simhttp. grpc-go's servers and client connections (NewServer,
// Serve, NewClient, Dial, DialContext) run goroutines of their own: run
// gRPC code as a program.
//
// # maporder
//
// [Maporder]: a range over a map, a sync.Map's Range or a
// reflect.MapIter, or a slice collected from a map, whose order reaches
// the outside (a send, a write, a task started, an append used after the
// loop unsorted) or that stops at its first entry. Range over
// slices.Sorted(maps.Keys(m)).
//
// # globalstate
//
// [Globalstate]: a function writes a package-level variable, or registers
// on http.DefaultServeMux, which seeds and parallel Runs share, or a
// simulation body writes and reads a variable it captures (a testify
// suite's field), which the seeds of its Run share. Keep state in a value
// the process owns, or make it in the body, for each seed.
//
// # assertctx
//
// [Assertctx]: an assertion (or chaos.Buggify, Knob, ...) given
// context.Background(), context.TODO() or the test's t.Context(), or a
// context made from one, finds no simulation and does nothing in one.
// Pass the context of the code under test.
//
// # testingt
//
// [Testingt]: a simtest.Run body, or a task in it, that uses the test's
// own *testing.T (t.Cleanup, t.TempDir, t.Context, t.Errorf, require
// given t, ...) reaches the whole test, not the seed. Use the body's
// *simtest.S.
//
// # scope
//
// [Scope]: files simvet could not analyze, and malformed directives.
package simvet

//go:generate go test -run ^TestChecklist$ -update .

// The rules' texts: each analyzer's Doc, the text of simvet help RULE, and
// the source of docs/simvet.md's checklist. The first line is the summary.
const (
	goroutineDoc = `a go statement starts a goroutine the simulation does not schedule

A goroutine started with go runs beside the simulation, not in it: the
scheduler does not choose when it runs, a crash does not kill it, and
when it calls into the simulation the seed fails. context.AfterFunc
starts one too, when its context is done, and so do sync.WaitGroup.Go
and errgroup.Group's Go and TryGo; runtime.SetFinalizer and AddCleanup
run theirs on the runtime's goroutine, when a garbage collection
decides. Start a task instead (a providers.Group in place of a group),
or release a resource explicitly from the task that owns it:

	p.Task.Go(ctx, "name", func(ctx context.Context) error { ...; return nil })
	g, ctx := providers.NewGroup(ctx, p.Task)   // g.Go(name, fn), g.Wait(ctx)

runtime.NumGoroutine is reported too: it counts every goroutine in the
process, the runtime's, the test's and other tests' among them, so a
decision on it differs between runs, processes and GOMAXPROCS settings,
and no seed replays it. Count the tasks you start yourself.

runtime.NumCPU and runtime.GOMAXPROCS are reported too: they read the
machine, so a pool or a shard count sized from them makes a seed found
on a laptop take another path on a CI runner. Size it from a constant
or the workload's configuration.

A suggested fix rewrites go func() { ... }() so when a providers.Providers
value and a context are in scope and the body has no return statement.`

	chanDoc = `native channels block a task outside the simulation

A task that waits on a native channel (a send, a receive, select, range,
or <-ctx.Done()) blocks its goroutine, and the simulation, which runs one
task at a time, waits with it: the watchdog reports it as blocked outside
the simulation. Channel types themselves are reported too, since every
operation on one blocks, and so are io.Pipe and net.Pipe, whose ends
wait on native channels inside. Use the providers' channel, which parks
the task and lets the scheduler run another:

	ch := providers.NewChan[T](p.Task, n)   // ch.Send(ctx, v), ch.Recv(ctx), ch.Close()
	providers.Select(ctx, providers.OnRecv(ch, f), providers.OnSend(out, v, g))

In place of <-ctx.Done(), providers.Wait(ctx, p.Task) waits for ctx's
end, and any provider call given ctx returns ctx.Err() once ctx is done.

A select over two channels or more escapes the seed even when it never
waits: when several of its cases are ready, Go picks one at random, so
the same seed takes another case on another run, with a default or
without. providers.Select draws that pick from the run's stream.

A channel that no task ever waits on (a buffer filled before it is read,
a select of one channel with a default) may stay: put //simvet:allow
chan and the reason on each line reported.`

	syncDoc = `sync.Mutex, RWMutex, WaitGroup and Cond block outside the simulation

A task that waits on a sync lock blocks its goroutine, and with it the
run: if the holder is a task that waits for the scheduler (a sleep, a
provider call made while holding the lock), the run stops, and the
watchdog reports it. Use the providers' primitives, which park the task:

	mu := providers.NewMutex(p.Task)        // mu.Lock(ctx), mu.Unlock()
	wg := providers.NewWaitGroup(p.Task)    // wg.Add, wg.Done, wg.Wait(ctx)
	c := providers.NewCond(p.Task, mu)      // c.Wait(ctx), c.Signal(), c.Broadcast()

A Mutex or RWMutex that is never held across a call that parks makes no
task wait, since one task runs at a time: it may stay, with the reason
on its line:

	mu sync.Mutex //simvet:allow sync never held across a call that parks

Under pauses (Cluster.PauseAfterClockRead, attrition's Pause), a clock
read and a disk write are where a process may stop: a lock held across
one stays held while the process is paused. Its own tasks are safe (the
task the pause stopped goes on first), and the test's invariants wait
until it has, but a check of the test's that takes the lock must skip a
paused process (Cluster.Paused; docs/reboots.md, "Pauses"), or the lock
must be a providers.Mutex.

sync.Once, sync.Map, sync.Pool and sync/atomic do not wait for another
task and are not reported.

testing/synctest's Wait and Test are reported too: a simulation is no
bubble. synctest.Wait panics in a task; in a body, check the tasks' work
with s.Eventually (after s.Quiesce) or sleep past the instant it is due,
and in code under test wait through the providers. synctest.Test in a
simulation runs its function on a fake clock the simulation does not
drive: call the code from the body instead, and keep synctest.Test for
plain tests, outside simtest.Run, where its function literal runs on the
test's side as t.Run's does.`

	wallclockDoc = `the wall clock instead of the simulation's

time.Now, Since, Until, Sleep, After, AfterFunc, NewTimer, NewTicker,
Tick, context.WithTimeout and WithDeadline (and their Cause variants),
and an http.Client's Timeout (set in a literal or assigned) read or wait
on the wall clock: a sleep blocks the run for real (the watchdog reports
it), and a time read differs from seed to seed and from run to run. Use
the Time provider:

	p.Time.Now()   p.Time.Sleep(ctx, d)   p.Time.AfterFunc(d, f)
	p.Time.WithTimeout(ctx, d)   p.Time.WithDeadline(ctx, t)
	tk := providers.NewTicker(p.Time, d)   // tk.Wait(ctx) each round, for a ticker

testify's Eventually, EventuallyWithT and Never (assert's and require's,
and their Assertions' methods) poll on a wall-clock ticker from a
goroutine of their own, while simulated time stands still. In a body,
register the property with the seed instead:

	s.Eventually(name, within, check)   s.Invariant(name, check)   // for a Never

Popular libraries that keep their own time are reported where your code
calls them, naming what goes wrong in a simulation and the way out
(docs/production.md, "Libraries that keep their own time"). simvet
knows these by name, and does not look inside them:

	golang.org/x/time/rate
	    a Limiter's Wait, WaitN, Allow, Reserve, Tokens, SetLimit and
	    SetBurst, and a Reservation's Delay and Cancel; not the forms that
	    take the time (AllowN, ReserveN, TokensAt, DelayFrom, ...)
	github.com/cenkalti/backoff/v4
	    Retry, RetryWithData, RetryNotify, RetryNotifyWithData,
	    RetryNotifyWithTimer and RetryNotifyWithTimerAndData given a nil
	    Timer, NewTicker, NewTickerWithTimer
	github.com/cenkalti/backoff/v5
	    Retry, NewTicker
	github.com/sony/gobreaker, github.com/sony/gobreaker/v2
	    NewCircuitBreaker, NewTwoStepCircuitBreaker, NewDistributedCircuitBreaker
	github.com/hashicorp/golang-lru/v2/expirable
	    NewLRU
	github.com/patrickmn/go-cache
	    New, NewFrom; not given constants of at most 0 (NoExpiration, 0)
	    for both the expiration and the cleanup interval
	github.com/jonboulle/clockwork
	    NewRealClock
	github.com/benbjohnson/clock
	    New
	github.com/robfig/cron/v3
	    New

Suggested fixes, when a providers.Providers value is in scope: Now,
Since, Until, WithTimeout and WithDeadline; Sleep when a context is in
scope too; AfterFunc when its result is unused. A fix that rewrites a
file's last use of an import removes the import.`

	globalrandDoc = `global randomness outside the run's stream

math/rand's and math/rand/v2's package-level functions draw from a
generator that no seed controls, crypto/rand from the operating system,
and hash/maphash's MakeSeed and Hash seed themselves from the runtime: a
seed then no longer replays its run. A generator of one's own is the
same escape when it lives in a package-level variable (every seed and
parallel Run draws from one stream) or its seed reads the clock. Draw
from the Random provider, the run's stream:

	p.Random.IntN(n)   p.Random.Int64N(n)   p.Random.Uint64()   p.Random.Float64()
	rand.New(p.Random)  // math/rand/v2's whole API over the run's stream

Constructors (rand.New, NewPCG, NewChaCha8, ...) are not reported unless
the clock seeds them, nor are a generator's draws unless it is a
package-level variable. A suggested fix rewrites the four calls above,
and math/rand's Intn and Int63n, when a providers.Providers value is in
scope.

A %p verb in a formatting call is reported too: a pointer's address is
the allocator's choice and differs between processes, so a payload, a
name or an error that holds one differs on a replay. Reported where the
text becomes a value (fmt.Sprintf, Errorf, Appendf, any printf-like
call whose result is used) or goes to a writer (Fprintf); a log line
(Printf, log.Printf, t.Logf, a logger's own), which no trace hashes, is
not. Name the value by an id of your own.`

	osnetDoc = `the real operating system and network

os file and process calls (Open, Create, ReadFile, WriteFile, Remove,
Mkdir, Stat, Exit, StartProcess, ...), io/ioutil's, path/filepath's Walk,
WalkDir, Glob, EvalSymlinks and Abs, os/exec, net's Dial, Listen,
lookups, Resolve and Interface functions (and net.Dialer's,
net.ListenConfig's and net.Resolver's methods, called or taken as
values), crypto/tls's Dial, Listen and Dialer reach the real machine,
which the simulation neither sees nor faults. os.Getpid and Hostname
differ from run to run; log.Fatal (and a Logger's Fatal) exits the test
binary. net/http's Get, Post, DefaultClient and DefaultTransport, an
http.Client without a Transport and an http.Transport of one's own
dial for real or read on goroutines of their own, and http.Serve,
ListenAndServe, an http.Server's Serve and httptest's servers serve each
connection on a goroutine of its own. grpc-go's grpc.NewServer, a
grpc.Server's Serve, grpc.NewClient, grpc.Dial and grpc.DialContext
serve, dial and read on goroutines of grpc-go's own, which fail the seed
as stray goroutines at the first connection: run the gRPC code as a
program ([programs.md](programs.md)). Use the providers, and package
simhttp for HTTP:

	p.Storage.Create(name)   p.Storage.Open(name)   p.Storage.Rename(a, b)
	p.Network.Dial(ctx, addr)   p.Network.Listen(ctx, addr)   p.Cluster.Self()
	simhttp.NewClient(p)   &simhttp.Server{Providers: p, Handler: h}

A suggested fix rewrites net.Dial("tcp", addr) and net.Listen("tcp",
addr) when a providers.Providers value and a context are in scope, and
&http.Client{} and new(http.Client) into simhttp.NewClient(p) when a
providers.Providers value is. os.Getenv is not reported: the environment is the same on every run.`

	maporderDoc = `a map's random order reaches the outside

Ranging over a map (or maps.Keys, Values, All) visits entries in an order
the runtime draws for itself, outside the seed. Inside the loop that is
harmless; it is reported when the order leaves it: a send, a write or a
log line, a task started (its name, its place in the ready set), a
clock read (Now: a pause may begin just after one, and the entries
visited after it read a later time; read the clock once before the
loop), any other provider call, even one given nothing of the entry's
(a Cancel or an Unlock wakes tasks in that order, a Sleep or a blocking
Send lets other tasks see the visits' changes in it, a draw gives each
entry what its place picks), but for one that only reads what the loop
leaves alone (a Handle's Name, the Network's Host, a Chan's Len), a go
statement, or an append to a slice that outlives the function or is
used after the loop before it is sorted. It is reported too when the
loop stops at its first entry and uses it (for k := range m { return k },
or a break): the order picks the entry. So is a loop that keeps an entry
in a variable declared outside it and read after it (last = k), or that
stops at the first entry passing a condition (if v.ok { return k }):
when several entries pass, the order picks the one kept. A max or a min
(if v > best { best = v }) is not, unless it keeps something its
comparison does not read (bestKey = k: a tie then goes to the last
visited; compare the key too), nor is a combination no order changes (a
sum, a count, min and max, a set), a check that every entry agrees, an
error kept or returned under a condition or checked at once (but for one
a test's file returns that names the entry: a check's message, which a
replay would give another entry's), or a
search: a condition that compares the entry for equality with a value
looked for (if v == x { return k }, k == want, bytes.Equal), or the key
with a constant, lets one entry through, or equal ones. The value
compared with a constant or nil (v.state == Ready, v != nil) is a
filter: many entries may be in that state.

A sync.Map's Range (given a literal, a function or method of the package,
or a local variable holding a literal), a reflect.MapIter
(Value.MapRange) and reflect.Value's Seq and Seq2 of a map (of
reflect.ValueOf(m), or under a v.Kind() == reflect.Map) visit in the
same order and are checked as a loop is; the callback's return false is
its break. slices.Collect(maps.Keys(m)) (or Values, or slices.AppendSeq)
and reflect's Value.MapKeys are slices in that order: reported when
returned, indexed, ranged over as above, or stored in a variable that
is package-level or used before it is sorted; iter.Pull of a map's
iterator pulls in that order. Range over the sorted keys:

	for _, k := range slices.Sorted(maps.Keys(m)) { v := m[k]; ... }

A suggested fix does this rewrite when the key type is ordered.`

	globalstateDoc = `state that outlives a seed: a package-level variable, or one a body captures

Many simulations run in one test binary (seeds one after another,
parallel tests, -count, fuzz workers), and package-level variables are
shared by all of them: a counter one seed increments changes the next
seed's run, which then replays differently alone. Assignments,
increments, delete, clear and sync/atomic writes to package-level
variables (and their fields and elements) in functions are reported,
and so are http.Handle and HandleFunc, which register on
http.DefaultServeMux (the next seed's registration panics); init
functions are not. Keep the state in a value the process or the
workload owns.

A variable a simtest.Run body captures from outside it (a local of the
test, or a field of a value it holds, such as a testify suite's, set in
SetupTest) is shared by every seed of the Run in the same way. A write
to one in a body is reported when the body also reads it, elsewhere
than in the write (cs.calls++ then if cs.calls == 4): what one seed
left there, the next reads. A sum or a list kept for after the Run
(total += d, ids = append(ids, id)) is not. A field of a testify suite
declared in the package is reported too when the body writes it and a
method of the suite reads it (cs.last checked in TearDownTest, in a
helper, or in the test method after the Run returns): that method finds
what the last seed left, or all of them together. Only the suite's own
methods are looked at, not a function the suite is given to. Make the
state in the body, for each seed:

	simtest.Run(cs.T(), func(s *simtest.S) {
		data := map[string]string{"a": "1"}   // not cs.data, set in SetupTest
	})`

	assertctxDoc = `an assertion given context.Background() checks nothing in a simulation

Package assertions finds the simulation a call belongs to through the
call's context, and outside a simulation every assertion does nothing,
so that assertions stay in the code that ships. Given
context.Background(), context.TODO() or the test's own t.Context() (a
*testing.T's, B's or F's), an assertion finds no
simulation even when a simulation runs it: the property is never
checked, and a Run shows the call at most as never reached, though it
ran. chaos.Buggify, BuggifyWithProb, Knob and KnobRange find their
simulation the same way, and never fire. Pass the context of the code
under test, the task's, the handler's or the request's; a method with
none at hand takes one as its first parameter:

	assertions.Always(ctx, balance >= 0, "balance never negative")

Reported: context.Background(), TODO() or t.Context() written as the argument, a
context derived from one (context.WithCancel, WithValue, WithoutCancel,
WithTimeout, ...), and a local variable only ever assigned one of these;
calls through a local variable holding the function too. A suggested
fix passes ctx in place of the call written at the argument when ctx is
a parameter of type context.Context in scope, never assigned. (In a
program run as a WebAssembly process, which opts out with
//simvet:production, every context reaches the simulation.)`

	testingtDoc = `a simulation body uses the test's *testing.T instead of its S

A simtest.Run body, or a task in it, that closes over the test's own t
(a *testing.T, B or F) reaches the whole test, not the seed: t.Cleanup
registers a function that runs once, after every seed, on worlds that
have ended; t.TempDir is one directory every seed shares; t.Context
carries no simulation; t.Setenv and t.Chdir last for the seeds after;
and t.Errorf, t.Fatal and t.Log (or testify's require given t) report
to the test, so the seed's report cannot name the task, the simulated
time and the line. A FailNow from a task (t.Fatal, require given t)
tears the seed down and stops the test, but the seed's report names
only a runtime.Goexit in the task, not the line that failed.
Use the body's *simtest.S, which is a testing.TB of the seed:

	simtest.Run(t, func(s *simtest.S) {
		s.Cleanup(stop)   require.NoError(s, err)   dir := s.TempDir()
	})

In a testify suite, cs.T() is the test's t too, and so are cs.Require(),
cs.Assert() and the assertions the suite embeds (cs.Equal, cs.NoError),
which fail cs.T(); cs.Run starts a subtest. In a body, give the S to
package require or assert:

	require.NoError(s, err)   assert.Equal(s, want, got)   r := require.New(s)

A method of the suite, in the same package, that the body calls
(cs.load()) and that uses the suite's T, Require, Assert or assertions
in its own body is reported at the call: have it take a testing.TB and
pass it the S. The methods it calls in turn are not looked at. The
suite's Eventually and Never (cs.Eventually, cs.Require().Eventually)
are wallclock's alone: they poll on the wall clock whatever T they are
given, and s.Eventually mends both.

A function literal with a *simtest.S parameter is a body. t.Name() is
not reported (the S's is the same). A suggested fix passes the S in
place of t where the S serves: a method the S has, or an argument of a
type the S satisfies, such as testing.TB.`

	scopeDoc = `what simvet could not analyze, and malformed directives

Rather than pass over what it cannot see, simvet reports it: a .go file
that build constraints leave out (run simvet again with the GOOS, GOARCH
or -tags that select it, or put //simvet:allow scope reason before its
package clause), a cgo import (the C side reaches everything), and a
//simvet: directive that is malformed (no rule, an unknown rule, no
reason) or misplaced.`
)
