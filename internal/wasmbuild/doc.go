// Package wasmbuild builds a Go main package for GOOS=wasip1 GOARCH=wasm so
// that a simulation can run it as a process.
//
// [Build] runs the go command with CGO_ENABLED=0 and an overlay (go build
// -overlay): the caller's extra files, such as a network that talks to the
// simulation's host, and a patch of the runtime's scheduler. GOROOT on disk
// is never changed. The result is kept in a cache under
// os.UserCacheDir()/moonpool/wasm, so building the same inputs again is
// cheap and returns the same path.
//
// # The scheduler patch
//
// A wasip1 program has one P and no sysmon, and the runtime randomizes its
// scheduler only under -race, so goroutines that are runnable at the same
// time run first in, first out whatever the random source: a seed cannot
// reach their order. Build patches a copy of runtime/proc.go with two hunks,
// both guarded by GOARCH == "wasm": runqget swaps the head of the run queue
// with a random element (cheaprandn, which the host's random source seeds),
// and Gosched puts the yielding goroutine on the local run queue rather than
// the global one. Over 50 seeds, eight goroutines that yield three times
// each run in 50 orders with the patch and in one without it; a seed run
// twice gives the same order.
//
// Four more hunks skip what one P on one thread never needs: when nothing
// is runnable, findRunnable waits for the network and the next timer in
// one poll_oneoff, keeping its P, rather than polling, spinning, stealing
// and handing the P to the idle list; wakep returns at once; casgstatus
// does not read the clock, a host call, for latency metrics. The overlay
// also lets the runtime's atomics inline on wasm, where they are plain
// loads and stores.
//
// # The cache
//
// A module is cached under a key that hashes the Go release and GOROOT, the
// go settings that change a build (GOFLAGS, GOEXPERIMENT, GOWASM, GODEBUG),
// the tags, the overlay's contents, and the files of every package in the
// build as go list -deps finds them (standard packages and packages from the
// module cache are named by release and module version instead of being
// read). Building an unchanged package again runs go env and go list and
// nothing else: about 0.1 s for a 5.6 MB module. A module is written under
// a temporary name and renamed, so tests and processes building at the same
// time see either no module or a whole one; modules unused for five days are
// removed.
//
// # What stops a build
//
// Build checks the package with go list before building and names the
// first package that stops it and the chain of imports that brings it in:
// a package that needs cgo ("cgo is not available under WebAssembly"), a
// package with no files for GOOS=wasip1 (code for a particular operating
// system, such as golang.org/x/sys/unix), a package that does not compile
// for wasip1 (say, a syscall that wasip1 lacks), a package that is not
// main, and GOFLAGS asking for -race. Each error is one sentence that names
// the fix, followed by the compiler's words where there are any.
//
// Some packages build but fail at run time: os/exec compiles for wasip1 and
// returns an error from every Start, since a WebAssembly program cannot
// start processes.
//
// # Go releases
//
// The patch anchors on the exact text of the two functions. It fits Go 1.25
// and Go 1.26; for a release it does not fit, Build fails and names the
// release and the fix rather than guess. A toolchain that GOTOOLCHAIN
// downloaded lives in the module cache, where the go command refuses
// overlays; Build says so and how to install it elsewhere.
package wasmbuild
