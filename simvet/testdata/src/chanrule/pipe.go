package chanrule

import (
	"io"
	"net"
)

// The standard library's in-memory pipes are native channels inside: a
// Read waits on one until the other end writes.
func Pipes() {
	r, w := io.Pipe() // want `chan: io.Pipe's ends block on native channels outside the simulation; use providers.NewChan`
	_, _ = r, w
	a, b := net.Pipe() // want `chan: net.Pipe's ends block on native channels outside the simulation`
	_, _ = a, b
}

// Readers and writers that do not wait are fine.
func Copy(dst io.Writer, src io.Reader) (int64, error) {
	return io.Copy(dst, io.LimitReader(src, 10))
}
