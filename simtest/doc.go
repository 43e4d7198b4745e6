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
// for event, on any machine, under any GOMAXPROCS, with or without -race
// (as long as the code under test decides nothing by what escapes the
// simulation: a sync.Pool, which -race empties at random, or a map's
// order; docs/pitfalls.md); each seed's report line carries a trace hash
// that checks its steps. Under go
// test -v (or -simv) Run logs that line for every seed as it ends; without
// it, the report counts the seeds and shows the first and last three.
// Under -v alone, and go test -json, which implies it, a Run logs the
// first 1,000 seeds' lines, says that it leaves out the rest, and ends its
// report with the last three: -simv logs every one, -simv=false none, and
// -simresults keeps every seed in a file.
//
// Built with Go 1.26 or later, a Run in a test that is not parallel pins
// crypto/rand to each seed (testing/cryptotest) for the rest of the test;
// elsewhere crypto/rand stays outside the seed, and a divergence found by
// -simcheck says so (docs/debugging.md).
//
// A failing seed prints the command that replays it, with the test's own
// flags that were set (here -planted, which plants the example's bug):
//
//	go test -run '^TestPayments$' ./examples/payments -simseed=6679787058979195393 -planted
//
// The package comes before -simseed because go test stops reading package
// names at the first flag it does not know: every -sim flag and every flag
// of the test's own goes after the packages (go test -simseeds=5 ./pkg
// gives ./pkg to the test binary of the current directory's package, and
// fails: the test says why, or go test says [setup failed] where the
// directory has no package). A wrapper
// that puts its flags before the packages, as gotestsum does with
// --packages, takes them after -args, where go test passes them on
// unread, with go test's own flags before it:
//
//	gotestsum --packages ./pkg -- -run '^TestPayments$' -args -simv=false -planted
//
// MOONPOOL_FLAGS (below) gives the -sim flags without the command line.
//
// # Seeds
//
// Run runs [DefaultSeeds] seeds ([DefaultShortSeeds] under -short), derived
// from a base seed that is a hash of the test's name, so every plain go test
// runs the same seeds. The flags change that:
//
//	-simseed=N        replay only seed N (or N,M,...: only those seeds)
//	-simseeds=N       run N seeds
//	-simscale=K       run K times each Run's own count (its Seeds, or the
//	                  default; a Fuzz target's seed corpus too): a nightly
//	                  job's ten times a pull request's
//	-simbase=N        derive the seeds from base seed N and the test's name
//	-simfresh         draw a fresh base seed (logged) for every Run
//	-simcheck         run every seed twice and fail if the two runs differ
//	-simverify        run a failing seed's replay line in a fresh process and
//	                  say whether it fails there the same way (see [VerifyReplay])
//	-simv             log every seed's line and log lines, not only a failing
//	                  seed's (-simv=false: no seed's line, even under -v)
//	-simkeep=false    keep no failing seed under testdata/simtest
//	-simkeep=true     with -simseed, keep the replayed seed if it fails
//	-simstrictkept    fail the test when a kept seed or exploration recipe,
//	                  or a fuzz input whose trace is kept, run under the
//	                  flags it failed under, passes on another execution
//	                  than the one that failed (it is logged under -v
//	                  otherwise; one kept under other flags is only noted)
//	-simall           run every seed, past failing ones (go test's -failfast
//	                  stops between tests, not between a Run's seeds)
//	-simallowgaps     log coverage gaps instead of failing (see [AllowGaps])
//	-simworkers=N     run N seeds at once (the same seeds and report, which names the workers)
//	-simshard=I/N     run shard I of N of the seeds (see [Shard])
//	-simfor=D         run seeds until D of wall time is spent (see [RunFor])
//	-simplateau=N     run seeds until N in a row reach no new coverage
//	-simslow=D        name the seeds that take over D of real time (default 10s)
//	-simwatchdog=D    fail a seed whose task has not come back for D of real time
//	                  (default 10s; 0 turns it off, as a debugger attached does)
//	-simmaxwall=D     fail a seed whose simulated time stands still for D of
//	                  real time while tasks run and one waits for it to move
//	                  (default 1m, 10m under -race; 0 for none; see
//	                  [MaxWallPerInstant])
//	-simresults=FILE  write a line of JSON for every seed
//	-simcover=FILE    write the assertion coverage profile
//	-simjson=FILE     write the report, with its assertion table, as JSON
//	-simtimeline=FILE write the last seed's whole timeline as JSON lines
//	-simhtml=FILE     draw the last seed's timeline as an HTML page
//	-simtimelinemax=N keep N entries of the timeline, device operations
//	                  among them, those nearest the end or the first
//	                  failure (default 100000; 0 keeps all; see [TimelineMax])
//	-simfocus=P,Q     a failed seed's window shows the entries of these
//	                  processes alone (see [WindowFocus])
//	                  (without them, under Go 1.26's go test -artifacts,
//	                  a failing seed's go to the test's artifact directory)
//	                  (each FILE's missing directories are made before the
//	                  first seed; a FILE ending in / is a directory, a file
//	                  per test under the package's directory in the module,
//	                  the form for go test ./..., whose packages' test
//	                  binaries would all write one FILE)
//	-simrecipe=R      replay only the exploration timeline R (see [Explore])
//	-simexplore       explore from the seeds (see [Explore])
//	-simfaultmarks    with -simexplore: branch progress after an injected
//	                  fault also where it began (explore.Config.FaultMarks)
//	-simtimelines=N   an exploration's budget of timelines
//
// and so do the options: [Seeds], [BaseSeed], [FreshSeeds], [Replay],
// [CheckDeterminism], [Verbose], [KeepFailures], [KeepGoing], [Workers],
// [Shard], [RunFor], [UntilPlateau], [SlowSeed], [ResultsFile],
// [CoverProfile], [JSONReport], [TimelineFile], [TimelineHTML],
// [ReplayRecipe] and [Explore]. Flags win over options. Two that choose
// the seeds differently are an error, not one silently dropped: -simseed
// with -simseeds, -simbase or -simfresh; [Replay] or [ReplayRecipe] with
// [Seeds] or [FreshSeeds]. One exception to flags winning: a [Replay] or
// [ReplayRecipe] option names its Run's seeds, so the flags that choose
// the seeds of every Run of a go test (-simseeds or MOONPOOL_SEEDS,
// -simfresh, -simfor, -simplateau, -simshard) do not apply to that Run,
// which logs a line naming them (-simseed and -simrecipe still win over
// the option). A flag given twice counts its last value, and
// so does [Seeds].
//
// The environment variable MOONPOOL_FLAGS gives the flags to every test
// binary of a go test, as the command line writes them, separated by
// spaces and without quotes:
//
//	MOONPOOL_FLAGS="-simv=false -simseeds=50" go test ./...
//
// gives them to the packages whose tests use simtest, where go test ./...
// -simv=false fails every package that does not, on a flag it does not
// define. A flag on the command line wins over the variable's, and a bad
// value fails the test with an error that names the variable; a value
// that another wins over, or that a replay does not take (below), is not
// read, and fails nothing.
// MOONPOOL_SEEDS=N and MOONPOOL_SHARD=I/N are short for its -simseeds=N
// and -simshard=I/N, which MOONPOOL_FLAGS wins over. A replay (-simseed,
// -simrecipe on the command line) takes from the environment none of the
// flags that choose a sequence's seeds (-simseeds, -simscale, -simbase,
// -simfresh, -simfor, -simplateau, -simshard), so its line runs as printed. go test
// caches a test's result under the environment variables it read, these
// among them, so a cached result never stands for other settings (a -sim
// flag on the command line makes go test cache nothing). The flags are
// registered only in test binaries: a
// command that imports simtest takes none of them. Run stops at the
// first failing seed; under -simall ([KeepGoing]) it runs them all and
// its summary lists the failing seeds and the failure rate, and
// -simresults ([ResultsFile]) writes each seed's outcome as a line of
// JSON (seed, trace, outcome, simulated time, steps, events, faults
// seen by kind, first failure) for CI and sweeps. A Run that replays a
// seed keeps nothing unless -simkeep=true is given ("Kept seeds" below).
// While a Run of go test's seeds is under way, an interrupt (SIGINT or
// SIGTERM: a Ctrl-C, a cancelled CI job) stops every Run between two
// seeds, each reporting what its seeds found, and the test binary ends by
// the same signal a second after the last of them returns; a second
// signal ends it at once (docs/sweeps.md).
//
// # Sweeps
//
// A sweep runs many seeds on many machines and merges them into one
// report. -simshard=I/N ([Shard]) makes a Run take shard I of N of its
// seeds, so N processes run the seeds of one, none twice; -simbase=N
// gives them one new sequence. -simfor ([RunFor]) runs seeds until a wall
// time is spent, -simplateau ([UntilPlateau]) until the assertions'
// coverage stops growing, each saying so in the report. Each shard's
// -simresults file ends with a summary line, and [MergeResults]
// (cmd/moonpool-merge) merges the files into the report one process would
// have logged: the same seeds, trace hash and assertion table, and every
// failing seed with its replay line. docs/sweeps.md is the chapter, with a
// GitHub Actions workflow and a Kubernetes Indexed Job to copy.
//
// # Failing a seed
//
// [S] is a testing.TB whose failures belong to the seed: testify's assert
// and require work with it, from any task. Its methods split as
// synctest's bubble does:
//
//   - The seed's: Error, Errorf, Fatal, Fatalf, Fail, FailNow, Failed, Log,
//     Logf, Skip, Skipf, SkipNow, Skipped (a skip ends the seed and skips
//     the test; a skip of the test's own t inside the body is a
//     configuration error, which fails the test), Helper (a helper's
//     frames are skipped in the seed's report, from any task), Cleanup
//     (run in the driver's task when the body returns; outside the
//     simulation, before the Run goes on, for a seed the [Watchdog] gave
//     up), Context (the driver's, cancelled when the body returns,
//     before the cleanups run, as testing.T's) and Output (a writer whose
//     lines go to the seed's log, as Log's do).
//   - The test's, through the testing.TB Run was given: Name,
//     ArtifactDir and Attr. They are not part of the seed: the artifact
//     directory outlives it.
//   - TempDir, Setenv and Chdir go to the test's too, but what they make
//     or change is undone when the seed ends (the directory removed), so
//     that no seed runs in what an earlier one set and a Run of many
//     seeds does not keep every seed's files; as testing.T refuses Setenv
//     and Chdir in a parallel test, a Run that runs seeds at once
//     ([Workers]) refuses them, as a configuration error that stops the
//     Run and keeps no seed. A temporary directory's path differs from
//     run to run, as a test's does: a run that puts it in what it sends or
//     writes in the simulation is not the same twice.
//
// The test's testing.TB is not a field of S: there is no s.TB to fail the
// test around the seed. Errorf marks the seed failed and
// goes on; Fatalf and FailNow end it at once. A panic in any task fails the
// seed with the task's name and stack. Calling FailNow on the test's own
// testing.T from a task also works: the world is torn down, then the test
// stops; t.Errorf from a task fails the seed that was running (its S's
// Failed says so from then on), but its report can only say that the
// test's T failed. An S used after its seed
// ended fails the test, naming the seed.
//
// The failure report gives the replay line, what failed, in which task and
// at what simulated time, the errors and log lines of the seed (of a log
// longer than 200 lines, its first and last 100; -simv logs them all), the last
// faults before the window that follows, and its
// timeline around the first failure: the entries that led to it and a
// few after, with lines that repeat folded into one and a count ("x 37"),
// and tasks that started and finished at one instant with nothing between
// (timers that fired) left out.
// A seed that failed only as it ended (a panic, a deadlock) shows its
// last entries. A first failure whose error (a workload's Check's, one
// given to [S.Error] or [S.Fatal], or wrapped by [S.Errorf]'s %w) has a
// method At() time.Time naming an earlier time of the seed's clock, as
// a *history.Error does, shows the timeline around that time instead (an
// error that also has a method CheckedAt() time.Time names a time on a
// clock of its own, as long before the failure as At is before
// CheckedAt: a history on a host's skewed clock),
// when the window around the failure does not reach it: the Run runs
// that seed once more, after its seeds, to show it, and says so if the
// seed then takes another path. That run, like the determinism check's
// second, tells the test nothing through its S (log lines, [S.Attr],
// late reports); a line the body logs through the test's own T comes
// again. -simtimeline ([TimelineFile]) writes the timeline, up to
// -simtimelinemax ([TimelineMax]) entries and device operations;
// -simhtml ([TimelineHTML]) draws it as one HTML page, with its messages
// and disk operations, 20,000 of each at most (package [timelinehtml]).
// During the seed, [S.Watch] follows entries of some names and
// [S.Timeline] answers for the timeline so far: a snapshot, counts by
// name and process, the entries since a [Mark].
//
// # Clusters
//
// [S.Boot] declares the processes of the system under test
// ([Processes]), placed on machines, zones and data centers by a
// [Topology]; [Cluster.Run] takes workloads ([S.Workloads] makes them by
// count) through setup, chaos, quiesce and check, with the fault
// schedules of [Cluster.Inject] beside them; a workload runs for the
// chaos phase by looping on [ChaosContext]. A group of several builds
// declares them as [Processes.Releases], and a reboot given [Into] boots
// a process into another: an upgrade, or a rollback ([Processes.ReleaseOf]
// starts a cluster mixed, and [Cluster.WaitReady] keeps a rolling step
// from taking a second process down); a later release boots on an earlier
// one's disks, kept under testdata, through [Disk.Save] and [Disk.Load].
// docs/processes.md,
// docs/reboots.md and docs/topology.md are the chapters.
//
// # Liveness
//
// [S.Eventually] registers a property that must come to hold within a
// window once the faults stop (at [Cluster.Run]'s quiesce, or
// [S.Quiesce]): a backlog that drains, a follower that catches up. Its
// check runs after every step while the window is open; a window that
// closes with the check still failing fails the seed, with the last error
// the check returned. docs/assertions.md has the retry-storm example.
//
// A mistake in the test's set-up rather than in the system under test (a
// bad [Processes] declaration, a MaxDead above the number of processes, a
// [Cluster.RebootUnit] of a unit the cluster lacks, a graceful reboot
// with a zero [Grace], an [Into] a release the group lacks, a negative
// phase) is a
// configuration error: the Run stops at the seed that meets it and says
// so, and does not keep that seed. A declaration is checked at its
// largest count, so that the first seed meets its mistakes.
//
// # Kept seeds
//
// A failing seed of a test is kept in a file under the package's
// testdata/simtest, in a directory for each level of the test's name, and
// runs first on every later Run of it, while its bug is being fixed. The
// names are escaped so that every test has its own
// directory under testdata/simtest: letters, digits, '_' and '-' stay,
// and any other byte is '%' and its hex code: TestKV/a.b is kept in
// testdata/simtest/TestKV/a%2Eb. The file's name is the seed, in decimal;
// its lines, all comments, say why the seed failed, in the failure's own
// words, how to replay it, and the trace of the run that failed. Only the
// name counts: an empty file named by a seed keeps it too. A file in the
// directory whose name is not a seed is named in a warning, and does not
// run. A directory of a test renamed or deleted is left behind, and what
// it keeps never runs: the first Run of a process that reads its kept
// seeds names, once, each directory of testdata/simtest that is no Test or
// Fuzz function's of the package's _test.go files, with the fix (rename it
// to the test's new name, or delete it), in its log, never failing the
// test. A Run keeps its first failing seed as soon as it fails, so that a
// Run cut off later (a Ctrl-C, an out-of-memory kill, under -simall) has
// kept it. A replay (-simseed) keeps nothing, unless -simkeep=true is
// given: the way to keep a seed a nightly sweep found with -simkeep=false.
//
// A kept seed is a reproduction of an open bug, not a lasting regression
// test: it replays the execution that failed only as long as the code
// along its path, the test's flags and the environment the test reads
// stay as they were (its file records the flags, not the environment).
// When its run's trace is not the one its file records, the Run says so:
// the seed now runs another execution, and its passing proves little.
// Commit kept seeds to share a bug's reproduction (a branch that fixes
// it, a colleague, the CI of that branch); once the bug is fixed, delete
// the file, and keep the bug's lasting test as an assertion in the code
// or a targeted test. A directory of kept seeds
// that cannot be read fails the test, naming it and why. [KeepFailures]
// and -simkeep=false turn keeping off. The note that a kept seed passed
// on another execution is logged, and go test shows a passing test's log
// only under -v: -simstrictkept, in CI, makes it fail the test.
//
// # Guards
//
// No test hangs. A task that does not come back to the scheduler for the
// real time of the [Watchdog] is reported with its name, the simulated time
// and trace it got to, and its stack: as blocked outside the simulation when
// its goroutine waits (a raw channel, sync.Mutex, time.Sleep, real I/O), as
// busy when it keeps running (a loop that never calls the simulation, a
// long computation). A check that is meant to take long runs inside
// [S.Slow]. The seed is then given up: should the blocked task come
// back, it runs only up to its next call into the simulation or its S,
// where it unwinds, and the seed's other tasks unwind. A killed task that recovers its kill is
// reported at once, with the line that recovered it. A deadlock — no
// task can run and no timer is pending while the body has not returned —
// lists every task and where it waits. [TimeBudget] bounds simulated time,
// [Phases].Finish how long Cluster.Run waits in quiet for a workload whose
// Run goes on past its chaos phase (a loop on ctx.Err(), which that phase
// does not end, where [ChaosContext]'s does), naming the workload, and [MaxStepsPerInstant] catches tasks that spin without letting time
// move, or that let it crawl (more steps and events in 100 ms of simulated
// time than the same bound), naming what fired most. A seed still running
// when go test's -timeout comes near is stopped between two steps and
// fails as out of wall time, with its replay line and every task's stack,
// rather than left to the timeout's dump of goroutines; so does, sooner, a
// seed whose simulated time stood still for [MaxWallPerInstant] of wall
// time while its tasks ran and one waited for it to move (over a network
// with no latency, tasks that keep data moving hold the clock still, and
// a sleeper never wakes). docs/debugging.md
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
// testdata/fuzz, and every later go test runs it; Fuzz keeps the trace of
// its failing run beside the kept seeds (testdata/simtest/FuzzBank/input-
// and the input's name), so that a later run of the input that passes on
// another execution says so, as a kept seed's does. [FuzzSeeds] turns a
// seed that a Run found failing into a corpus entry. docs/fuzzing.md is
// the chapter.
//
// # Outside go test
//
// [Simulate] runs a body over seeds as Run does, in the shape of
// testing.Benchmark: it takes the body and options, ignores the command
// line, keeps no seed, and returns a [Result] (seeds, passed, failed, the
// first failing seed and the [Replay] option that runs it, each seed's
// [SeedResult], the report text). Commands, sweeps and comparisons use
// it; examples/sweep is a command built on it.
//
// # Isolation
//
// A Run keeps all its state to itself; Runs in parallel tests of one binary
// (t.Parallel, -count, -cpu) do not interfere. The only state shared by the
// package is its command-line flags and the directory the test binary
// started in (replay lines name the package from it), both read once when
// the test binary starts. Within a Run, the seeds' worlds hand their idle
// task goroutines on to the next seed's world, so that starting a task
// rarely starts a goroutine; the Run stops them when it ends. Under
// [Workers], a Run's own seeds run at once: a body must share no state
// between its seeds. simvet's globalstate rule finds a package variable
// that a body writes before running; -simcheck, when it runs on more than
// one worker, finds such state as a seed whose second run differs from
// its first; and a failing seed that passes when run again alone is told
// as one that failed beside other seeds.
package simtest
