// Package raftkv is a replicated key-value store on hashicorp/raft, the
// example of Moonpool for Go that brings a real program into a
// simulation: the program (cmd/raftkv, package server) is production code
// that knows nothing of simulations, with raft's own TCP transport, its log
// and snapshots on its own disk ([store]) and an HTTP API on net/http. The
// simulation runs three of them as WebAssembly processes, on simulated
// hosts, network, disks and clocks.
//
// This package holds the [Client], written against Moonpool's providers,
// and the tests: a native run of three nodes on loopback, and the
// simulation, where a workload of clients, native tasks of the test,
// reads and writes over the simulated network while the nodes crash,
// reboot and lose their links, and porcupine checks that every history is
// linearizable.
package raftkv
