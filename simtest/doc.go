// Package simtest runs tests of distributed systems as deterministic
// simulations, inside go test.
//
// A test hands [Run] a body, and Run runs it once per seed, each time in a
// fresh simulated world:
//
//	func TestPayments(t *testing.T) {
//		simtest.Run(t, func(s *simtest.S) {
//			p := s.Providers()
//			h := s.Go("worker", func(ctx context.Context) error {
//				return p.Time.Sleep(ctx, time.Second)
//			})
//			require.NoError(s, h.Join(s.Context()))
//		})
//	}
//
// The body is the test driver. It starts tasks, sleeps, checks; code under
// test gets its [providers.Providers] from the driver and must start and
// block only through them. When the body returns, the seed ends and every
// task still alive is killed, as goroutines are when main returns.
//
// # One seed decides everything
//
// A seed decides every choice of a run: which ready task runs next, every
// number drawn from the Random provider, every fault. Simulated time moves
// only when no task can run, straight to the next timer, so an hour of
// timeouts takes microseconds. The same seed gives the same execution, event
// for event, on any machine, under any GOMAXPROCS, with or without -race;
// each seed's report line carries a trace hash that checks it.
//
// A failing seed prints the command that replays it, with the test's own
// flags that were set (here -planted, which plants the example's bug):
//
//	go test -run '^TestPayments$' ./examples/payments -simseed=6679787058979195393 -planted
//
// (The package comes before -simseed because go test stops reading package
// names at the first flag it does not know.)
//
// # Seeds
//
// Run runs [DefaultSeeds] seeds ([DefaultShortSeeds] under -short), derived
// from a base seed that is a hash of the test's name, so every plain go test
// runs the same seeds. The flags change that:
//
//	-simseed=N   replay only seed N
//	-simseeds=N  run N seeds
//	-simfresh    draw a fresh base seed (logged) for every Run
//	-simcheck    run every seed twice and fail if the traces differ
//	-simv        log every seed's log lines, not only a failing seed's
//
// and so do the options: [Seeds], [BaseSeed], [FreshSeeds], [Replay],
// [CheckDeterminism], [Verbose]. Flags win over options. Run stops at the
// first failing seed.
//
// # Failing a seed
//
// [S] is a testing.TB whose failures belong to the seed: testify's assert
// and require work with it, from any task. Errorf marks the seed failed and
// goes on; Fatalf and FailNow end it at once. A panic in any task fails the
// seed with the task's name and stack. Calling FailNow on the test's own
// testing.T from a task also works: the world is torn down, then the test
// stops.
//
// The failure report gives the replay line, what failed, in which task and
// at what simulated time, the errors and log lines of the seed, and the
// last entries of its timeline.
//
// # Guards
//
// No test hangs. A task that does not come back to the scheduler for the
// real time of the [Watchdog] is reported with its name, the simulated time
// and trace it got to, and its stack: as blocked outside the simulation when
// its goroutine waits (a raw channel, sync.Mutex, time.Sleep, real I/O), as
// busy when it keeps running (a loop that never calls the simulation, a
// long computation). A check that is meant to take long runs inside
// [S.Slow]. The seed is then given up: its tasks never run again, even
// should the blocked one come back. A killed task that recovers its kill is
// reported at once, with the line that recovered it. A deadlock — no
// task can run and no timer is pending while the body has not returned —
// lists every task and where it waits. [TimeBudget] bounds simulated time
// and [MaxStepsPerInstant] catches tasks that spin without letting time
// move, or that let it crawl (more steps and events in 100 ms of simulated
// time than the same bound), naming what fired most. docs/debugging.md
// says what each report means.
//
// # Fuzzing
//
// [Fuzz] runs the same body under go test -fuzz. A fuzz input is a
// decision stream: a base seed, then one byte for each early decision of
// the run (which task runs next, each number drawn, each fault), so that
// the fuzzer's one-byte changes change one decision each. The assertions'
// progress (a Sometimes first true, a watermark improved) and new
// interleavings of the tasks reach the fuzzer as code coverage, so it
// keeps the inputs that came closer to trouble:
//
//	func FuzzBank(f *testing.F) {
//		simtest.Fuzz(f, workload)
//	}
//
//	go test -run '^$' -fuzz '^FuzzBank$' ./examples/shardmove
//
// A failing input prints the fuzzer's replay line, go test keeps it under
// testdata/fuzz, and every later go test runs it. [FuzzSeeds] turns a seed
// that a Run found failing into a corpus entry. docs/fuzzing.md is the
// chapter.
//
// # Isolation
//
// A Run keeps all its state to itself; Runs in parallel tests of one
// binary (t.Parallel, -count, -cpu) do not interfere. The only state shared
// by the package is its command-line flags, set once when the test binary
// starts. Within a Run, the seeds' worlds hand their idle task goroutines
// on to the next seed's world, so that starting a task rarely starts a
// goroutine; the Run stops them when it ends.
package simtest
