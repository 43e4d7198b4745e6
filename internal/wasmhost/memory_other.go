//go:build !(linux && (amd64 || arm64 || riscv64 || ppc64le || s390x || loong64 || mips64 || mips64le || ppc64))

package wasmhost

// Address space cannot be reserved here: memories are Go slices, grown
// by copying.

func reserve(size uint64) []byte { return nil }
func open(b []byte) bool         { return false }
func discard(b []byte) bool      { return false }
func unmap(b []byte)             {}
