// Package wasip1exec runs a program built for GOOS=wasip1 GOARCH=wasm
// deterministically under wazero; cmd/moonpool-wasip1-exec is its command,
// made to be go test's -exec program:
//
//	GOOS=wasip1 GOARCH=wasm go test -exec=moonpool-wasip1-exec ./pkg
//	GOOS=wasip1 GOARCH=wasm go test -exec="moonpool-wasip1-exec -seed=7" ./pkg
//
// Everything the program could draw from the machine comes from the seed
// instead: the random bytes of WASI random_get (the runtime's own seed, map
// order, select, math/rand, crypto/rand) come from a ChaCha8 stream keyed by
// the seed, and both clocks are virtual. The clocks start at a fixed
// instant, move 1 µs at each read (so that a loop waiting on time.Since
// ends) and jump forward when the program sleeps with nothing to run, so a
// test that sleeps a minute takes no wall time. A program run twice with one
// seed prints the same output and exits the same way.
//
// The program sees its arguments, the environment of the command (with PWD
// set to the working directory, where Go's wasip1 runtime starts), and the
// host's file system mounted at / unless -mount says otherwise. Its exit code
// is the command's; a program that fails has its seed printed to standard
// error so the run can be repeated.
//
// The command keeps wazero's compiled code under
// os.UserCacheDir()/moonpool/wazero, so that a test binary run again starts
// at once. Each new test binary adds tens of megabytes there, so the
// command keeps the directory under 2 GiB, removing the modules written
// longest ago first; it looks at most once a minute.
//
// What stays out: one CPU and no preemption (a goroutine that spins without
// blocking stops the others), no processes (os/exec returns errors), no
// network beyond the in-process fake of Go's net package on wasip1, and go
// test -fuzz, -race and -cover with atomic counters are refused by the go
// command for wasip1. The order of goroutines that are runnable at once
// depends on the seed only when the test was built with the runtime patch
// of internal/wasmbuild, which the command's -print-overlay flag writes for
// go test's -overlay flag:
//
//	GOOS=wasip1 GOARCH=wasm go test -overlay=$(moonpool-wasip1-exec -print-overlay) \
//		-exec=moonpool-wasip1-exec ./pkg
package wasip1exec
