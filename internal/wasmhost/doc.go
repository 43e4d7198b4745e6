// Package wasmhost runs a Go program compiled for wasip1 as a simulated
// process: a WebAssembly instance (wazero) whose every contact with the
// outside world goes through a providers.Providers bundle.
//
// It implements the wasi_snapshot_preview1 host module itself, on the
// providers: random_get draws from p.Random; the clocks read p.Time.Now;
// poll_oneoff sleeps on p.Time and waits for sockets; sched_yield yields
// the task; files live on p.Storage, mounted at "/", and on a tmpfs of the
// instance's own at "/tmp" (tmpfs.go); stdout and stderr become timeline
// lines (log/slog records become records). A second host
// module, moonpool, gives what WASI preview 1 lacks: listening, dialling,
// UDP sockets and name lookup for the overlay of package net that
// [GuestOverlay] returns, signals for its overlay of os/signal, the host name,
// assertions and buggify from guest code, and memory-mapped files for its
// overlay of package syscall (mmap.go).
//
// One [Module] is compiled once and instantiated for every boot of every
// process; instances share nothing but the mappings of their machine's
// files. A program built as a reactor, with
// [MainFiles] and -buildmode=c-shared, has its package initializers run
// once per arguments and environment, off the simulation, and each
// instance starts from a snapshot of the memory and globals they leave
// (see snapshot.go); Config.ColdStart runs them in the instance instead. The program's code runs only on the
// task that called [Module.Run]; the blocking work behind its sockets runs
// in tasks of the same process, which fill and drain buffers so that the
// program's own calls never block. The simulation's scheduler orders all
// of it with the rest of the run, so a seed gives one execution.
package wasmhost
