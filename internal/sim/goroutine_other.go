//go:build !amd64 && !arm64 && !wasm

package sim

import (
	"runtime"
	"strconv"
)

// curG returns the calling goroutine's number, read from the first line
// of its stack trace ("goroutine 18 [running]:").
func curG() goroutine {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = len("goroutine ")
	end := prefix
	for end < len(b) && b[end] >= '0' && b[end] <= '9' {
		end++
	}
	id, _ := strconv.ParseUint(string(b[prefix:end]), 10, 64)
	return goroutine(id)
}
