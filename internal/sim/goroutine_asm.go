//go:build amd64 || arm64 || wasm

package sim

// curG returns the address of the calling goroutine's runtime descriptor
// (goroutine_$GOARCH.s).
func curG() goroutine
