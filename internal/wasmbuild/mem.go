package wasmbuild

import "fmt"

// memPath is the runtime's break for wasm, which the build overlays.
const memPath = "src/runtime/mem_wasm.go"

// memHunk makes sbrk use the memory the instance already has before it
// grows it. The host starts a program in an instance that an earlier
// process of the same module ran in (internal/wasmhost), with the memory
// restored from the program's snapshot, the rest of it cleared, and its
// size as large as it grew: without the hunk the runtime, which thinks
// the memory ends where the snapshot's did, would grow it again at each
// start and never use what lies between. In a new instance the memory
// ends at blocMax, and the hunk changes nothing.
var memHunk = hunk{
	fn: "sbrk",
	anchor: `	n = memRound(n)
	if bl+n > blocMax {
`,
	replace: `	n = memRound(n)
	// moonpool: the memory may be larger than blocMax when the host
	// reuses an instance; use it before growing.
	blocMax = max(blocMax, uintptr(currentMemory())*physPageSize)
	if bl+n > blocMax {
`,
}

// patchMem applies memHunk to the runtime's mem_wasm.go.
func patchMem(src []byte, version string) ([]byte, error) {
	out, ok := apply(src, memHunk)
	if !ok {
		return nil, fmt.Errorf("wasmbuild: the memory patch does not fit runtime/mem_wasm.go of %s (function sbrk has changed); build with a Go release it fits, such as GOTOOLCHAIN=%s, or update memHunk in internal/wasmbuild/mem.go for %s", version, knownGo, version)
	}
	return out, nil
}
