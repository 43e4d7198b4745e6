// Package wasmhost runs a Go program compiled for wasip1 as a simulated
// process: a WebAssembly instance (wazero) whose every contact with the
// outside world goes through a providers.Providers bundle.
//
// It implements the wasi_snapshot_preview1 host module itself, on the
// providers: random_get draws from p.Random; the clocks read p.Time.Now;
// poll_oneoff sleeps on p.Time and waits for sockets through simulated
// tasks; sched_yield yields the task; files live on p.Storage; stdout and
// stderr become timeline lines. A second host module, moonpool, gives what
// WASI preview 1 lacks: listening and dialling TCP sockets (used by the
// overlay of package net that [GuestOverlay] returns), assertions and
// buggify from guest code, and the delivery of a stop signal.
//
// One [Module] is compiled once and instantiated for every boot of every
// process; instances share nothing. Everything an instance does happens on
// the task that called [Module.Run], so the simulation's scheduler orders
// it with the rest of the run and a seed gives one execution.
package wasmhost
