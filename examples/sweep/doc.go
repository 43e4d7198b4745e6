// Package sweep is the body of the sweep command, which runs the
// payments example's simulation outside go test with [simtest.Simulate]
// and prints its report: a simulation in a program of its own, for a
// nightly sweep of many seeds or a script that counts failures.
//
//	go run ./examples/sweep/cmd/sweep -seeds=1000 -all -results=out.jsonl rare
//
// The command takes its own flags only; simtest's -sim* flags belong to
// test binaries and are not linked in.
package sweep
