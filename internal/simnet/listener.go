package simnet

import (
	"net"
	"os"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// A listener is a net.Listener on a port of a host. Connects that arrive
// wait in its queue, up to the backlog, until Accept takes them.
type listener struct {
	h       *Host
	port    int
	addr    net.Addr
	queue   []*conn
	closed  bool
	waiters []providers.WaitToken
	dl      deadline
	wakeFn  func()
}

var _ net.Listener = (*listener)(nil)

// Accept waits for the next connection; see net.Listener.
func (l *listener) Accept() (net.Conn, error) {
	l.h.n.w.Enter("net accept")
	n := l.h.n
	for {
		switch {
		case l.closed:
			return nil, opError("accept", nil, l.addr, net.ErrClosed)
		case l.dl.expired(n.now()):
			return nil, opError("accept", nil, l.addr, os.ErrDeadlineExceeded)
		}
		if len(l.queue) > 0 {
			// Moved up, not resliced: the queue keeps its room for the
			// next connects.
			c := l.queue[0]
			k := copy(l.queue, l.queue[1:])
			l.queue[k] = nil
			l.queue = l.queue[:k]
			return c, nil
		}
		n.wait(&l.waiters, "net accept")
	}
}

// Close stops listening: Accept fails with net.ErrClosed, connects are
// refused, and connections not yet accepted are reset.
func (l *listener) Close() error {
	l.h.n.w.Enter("net close")
	if l.closed {
		return opError("close", nil, l.addr, net.ErrClosed)
	}
	l.close(false)
	return nil
}

// close stops listening. The connections not yet accepted are reset, or,
// when the host lost its power, vanish.
func (l *listener) close(vanish bool) {
	h := l.h
	l.closed = true
	delete(h.listeners, l.port)
	for i, x := range h.lns {
		if x == l {
			h.lns = append(h.lns[:i], h.lns[i+1:]...)
			break
		}
	}
	for _, c := range l.queue {
		if vanish {
			c.vanish()
		} else {
			c.kill()
		}
	}
	l.queue = nil
	l.dl.stop()
	h.n.w.Log("net: close listener " + addrString(l.addr))
	l.wake()
}

func (l *listener) wake() { l.h.n.wakeAll(&l.waiters) }

// Addr returns the listener's address, with the host's name.
func (l *listener) Addr() net.Addr { return l.addr }

// SetDeadline sets the deadline for Accept, as *net.TCPListener's: a time
// on the host's clock; the zero time clears it.
func (l *listener) SetDeadline(t time.Time) error {
	l.h.n.w.Enter("net set deadline")
	if l.closed {
		return opError("set", nil, l.addr, net.ErrClosed)
	}
	l.h.n.setDeadline(&l.dl, l.h, t, l.wakeFn)
	return nil
}
