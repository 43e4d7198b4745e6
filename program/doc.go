// Package program runs a real Go program, a main package written with no
// simulation in mind, as a simulated process: the second way into a
// simulation, for code that is not written against package providers.
//
// [Build] compiles the package for GOOS=wasip1 GOARCH=wasm with a few
// overlay files, and compiles the WebAssembly once; [Program.Process]
// gives a value whose Run method is a simulated process (it satisfies
// simtest.Process). Each boot instantiates the program afresh, on the
// process's own simulated host:
//
//	prog, err := program.Build(ctx, program.Config{Package: "example.com/kv/cmd/kvd"})
//	...
//	kvd := prog.Process(program.Args(func(self providers.Peer) []string {
//		return []string{"-listen", ":7000", "-data", "/data"}
//	}))
//	c := s.Boot(simtest.Processes{Name: "kv", Count: 3, New: func() simtest.Process { return kvd }})
//
// # What the program sees
//
// Everything outside the program comes from the simulation, so that one
// seed gives one execution:
//
//   - randomness (the runtime's, math/rand's, crypto/rand's) is drawn from
//     the run's random stream;
//   - time.Now reads the host's simulated clock, with its skew and drift;
//     it starts at 2024-01-01 UTC, so a test's TLS certificates must be
//     valid from before then; sleeps, timers and time.After wait on it;
//   - goroutines run one at a time in an order the seed decides;
//   - net.Listen, net.Dial and everything built on them (net/http, gRPC,
//     a raft transport) use TCP on the simulated network, with its
//     latencies, partitions and faults; host names resolve to the
//     simulated hosts, and any other name fails at its lookup with "no
//     such host", as a name DNS does not know; net.Interfaces lists a
//     loopback and an eth0 that holds the host's own address;
//   - UDP sockets (net.ListenPacket, net.ListenUDP, net.DialUDP) send and
//     receive datagrams on the simulated network, which loses,
//     duplicates and reorders some, and loses those that meet a
//     partition;
//   - files (os.ReadFile, os.OpenFile, File.Sync, os.Rename, os.MkdirAll,
//     os.ReadDir, os.Remove) live on the process's simulated disk, rooted
//     at "/", with its faults and its losses at a crash; /tmp is a tmpfs
//     of the process's own, in memory, empty at each start;
//   - standard output and standard error go to the run's timeline, a
//     line at a time, with the process's name and the simulated time;
//     lines of log/slog's TextHandler and JSONHandler become records
//     with their message, level and attributes;
//   - os.Hostname is the simulated host's name;
//   - package assertions and chaos.Buggify, called in the program, record
//     into the run as from native code.
//
// # Starting
//
// The program is built as a reactor, whose package initializers run once
// per set of arguments and environment, off the simulation, with a fixed
// random stream and clock; each process then starts from a snapshot of the
// memory they leave, which saves most of a start's CPU, and draws the
// runtime's random state from its own source as main begins. So what an
// initializer draws is the same in every process of those arguments, and
// everything from main on is the process's own. A program whose
// initializers reach the world (files, sockets, output, the wall clock)
// starts cold, with no error; [Config.ColdStart] asks for cold starts.
//
// # Stopping
//
// A crash drops the instance where it stands: its goroutines and memory
// are gone at once and nothing deferred runs. A graceful stop (the
// process's context ends) sends the program SIGTERM, which it receives
// with os/signal.Notify as in production; if it has not exited when the
// grace period ends, it is killed. A program that does not listen for
// SIGTERM ends at once, as SIGTERM's default action ends a process; one
// that ignores it (signal.Ignore) runs on until the grace period ends,
// and is killed. A program that exits with a non-zero status returns an
// [ExitError], which fails the seed and quotes the last lines of its
// standard error (a few KiB at most), or the panic and the stack of the
// goroutine it ends in (every line is in the run's timeline); a fatal error of the Go runtime, such as a malformed GOMEMLIMIT,
// is status 2, as for a native binary. [RestartOnExit] names the statuses
// after which a supervisor would start the program again: an exit with one
// of them is a crash and a boot, as for a process that returns
// providers.ErrRestart.
//
// # Limits
//
// A program runs on one simulated CPU with no preemption: a goroutine
// that loops without blocking never lets the others run, and is stopped
// with [ErrSpinning] and every goroutine's stack after a budget of host
// calls; one that calls none is stopped after five seconds of real time
// when the program is built with [Config.StopSpins]. Packages that need
// cgo do not build; os/exec and Unix sockets do not reach outside the
// program. See the chapter "Simulating programs you did not write" in
// docs/programs.md.
package program
