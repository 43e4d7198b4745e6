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
// The patch anchors on the exact text of the two functions. It fits Go 1.25
// and Go 1.26; for a release it does not fit, Build fails and names the
// release and the fix rather than guess. A toolchain that GOTOOLCHAIN
// downloaded lives in the module cache, where the go command refuses
// overlays; Build says so and how to install it elsewhere.
package wasmbuild
