// Package wasmbuild builds a Go main package for GOOS=wasip1 GOARCH=wasm so
// that a simulation can run it as a process.
//
// [Build] runs the go command with an overlay (go build -overlay): the
// caller's extra files, such as a network that talks to the simulation's
// host, and a patch of the runtime's scheduler that makes the order of
// runnable goroutines depend on the instance's random source. GOROOT on
// disk is never changed. The result is kept in a cache under
// os.UserCacheDir()/moonpool/wasm, so building the same inputs again is
// cheap and returns the same path.
package wasmbuild
