// Package testenv tells the project's tests and benchmarks two facts of
// the process they run in: the CPU time it has used, and whether it was
// built with the race detector. Its Buffer takes the output that seeds
// run in parallel, or a server's goroutines, write at once, and
// LoopbackAddrs picks the ports of processes a test starts on loopback.
//
// Benchmarks report CPU time beside wall time because the machines they
// run on are shared: the wall time of a run says as much of its neighbours
// as of itself, while the CPU time it used, and its ratio to a floor
// measured in the same run, move far less. Tests of allocation counts skip
// or loosen their bounds under the race detector, which allocates on its
// own, and count with AllocsPerRun, which another goroutine's allocations
// cannot fail.
package testenv
