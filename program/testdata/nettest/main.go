// Command nettest runs golang.org/x/net/nettest's TestConn, the
// conformance suite of net.Conn, over TCP on 127.0.0.1: as a simulated
// program, over the simulated network.
package main

import (
	"net"
	"os"
	"regexp"
	"testing"

	"golang.org/x/net/nettest"
)

// pipe is a connected pair over loopback TCP, as nettest.MakePipe wants.
func pipe() (c1, c2 net.Conn, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, err
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	c1, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		l.Close()
		return nil, nil, nil, err
	}
	c2 = <-accepted
	return c1, c2, func() { c1.Close(); c2.Close(); l.Close() }, nil
}

func main() {
	os.Args = []string{os.Args[0], "-test.v"}
	testing.Main(func(pat, str string) (bool, error) { return regexp.MatchString(pat, str) },
		[]testing.InternalTest{{Name: "TestConn", F: func(t *testing.T) { nettest.TestConn(t, pipe) }}}, nil, nil)
}
