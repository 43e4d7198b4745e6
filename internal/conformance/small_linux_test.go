//go:build linux

package conformance_test

import (
	"fmt"
	"net"
	"syscall"
)

// realListenSmall returns a function that listens on a free loopback port
// with a backlog of 1, for which Linux keeps two connections waiting for
// Accept (one more than the backlog).
func realListenSmall() func() (net.Listener, int, error) {
	return func() (net.Listener, int, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, 0, err
		}
		rc, err := l.(*net.TCPListener).SyscallConn()
		if err != nil {
			l.Close()
			return nil, 0, err
		}
		// A second listen(2) on a listening socket sets its backlog.
		var lerr error
		if err := rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), 1) }); err != nil {
			lerr = err
		}
		if lerr != nil {
			l.Close()
			return nil, 0, fmt.Errorf("setting the backlog of a loopback listener to 1 failed: %w", lerr)
		}
		return l, 2, nil
	}
}
