package wasmbuild

import (
	"bytes"
	"fmt"
)

// atomicPath is the runtime's atomics for wasm, which the build overlays.
const atomicPath = "src/internal/runtime/atomic/atomic_wasm.go"

// inlineAtomics lets the compiler inline the runtime's atomics on wasm.
// Without threads each is a plain load, store or add, but every one is
// marked //go:noinline, so the scheduler, the timers, channels and locks
// pay a call for each: a tenth of the CPU of a program's sleep. The
// functions that take or store an unsafe.Pointer keep the mark, since
// whether a pointer store gets a write barrier depends on where it is
// compiled. It fails if the file holds no such mark, which means the
// release's atomics changed.
func inlineAtomics(src []byte, version string) ([]byte, error) {
	const mark = "//go:noinline\n"
	lines := bytes.SplitAfter(src, []byte("\n"))
	out := make([]byte, 0, len(src))
	dropped := 0
	for i, l := range lines {
		if string(l) == mark && !takesPointer(lines[i+1:]) {
			dropped++
			continue
		}
		out = append(out, l...)
	}
	if dropped == 0 {
		return nil, fmt.Errorf("wasmbuild: %s of %s has no //go:noinline atomics to inline; build with a Go release the overlay fits, such as GOTOOLCHAIN=%s, or update inlineAtomics in internal/wasmbuild/atomic.go for %s", atomicPath, version, knownGo, version)
	}
	return out, nil
}

// takesPointer reports whether the function declared in the first line
// of rest that starts with "func " has an unsafe.Pointer in its
// signature.
func takesPointer(rest [][]byte) bool {
	for _, l := range rest {
		if bytes.HasPrefix(l, []byte("func ")) {
			return bytes.Contains(l, []byte("unsafe.Pointer"))
		}
	}
	return true
}
