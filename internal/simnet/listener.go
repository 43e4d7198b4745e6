package simnet

import (
	"net"
	"os"
	"slices"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// A listener is a net.Listener on a port of a host. Connects that arrive
// wait in its queue, up to the backlog, until Accept takes them; those that
// find the queue full are dropped, as Linux drops their SYN, and wait in
// syns for the room an Accept makes.
type listener struct {
	h      *Host
	port   int
	addr   net.Addr
	bind   binding // the address it is bound to
	queue  []*conn
	closed bool
	// syns holds the connects that found the queue full, oldest first:
	// each Accept sends the first again (the dialler's retransmission,
	// which now finds room), and Close sends them all.
	syns    []*dial
	waiters []providers.WaitToken
	dl      deadline
	wakeFn  func()
}

var _ net.Listener = (*listener)(nil)

// Accept waits for the next connection; see net.Listener.
func (l *listener) Accept() (net.Conn, error) {
	if err := l.h.n.w.EnterUnlessEnded("net accept", net.ErrClosed); err != nil {
		return nil, opError("accept", nil, l.addr, err)
	}
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
			l.retry(1)
			return c, nil
		}
		n.wait(&l.waiters, "net accept")
	}
}

// Close stops listening: Accept fails with net.ErrClosed, connects are
// refused (those waiting on a full backlog too), and connections not yet
// accepted are reset.
func (l *listener) Close() error {
	if err := l.h.n.w.EnterUnlessEnded("net close", net.ErrClosed); err != nil {
		return opError("close", nil, l.addr, err)
	}
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
	unbind(h.listeners, l.port, l)
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
	// The dialler retransmits, and its SYN finds the port closed, a new
	// listener on it, or a host without power.
	l.retry(len(l.syns))
	l.syns = nil
	l.dl.stop()
	h.n.w.Log("net: close listener " + addrString(l.addr))
	l.wake()
}

// hold keeps d, a connect that found the queue full, until an Accept
// makes room or the listener closes, dropping those whose dialler gave up.
func (l *listener) hold(d *dial) {
	l.syns = slices.DeleteFunc(l.syns, (*dial).over)
	l.syns = append(l.syns, d)
	d.holdConnect()
}

// retry sends again, from their diallers, at their next retransmissions
// of the SYN, up to k of the held connects whose diallers still wait.
func (l *listener) retry(k int) {
	i := 0
	for ; i < len(l.syns) && k > 0; i++ {
		if d := l.syns[i]; !d.over() {
			d.resend()
			k--
		}
	}
	l.syns = slices.Delete(l.syns, 0, i)
}

func (l *listener) wake() { l.h.n.wakeAll(&l.waiters) }

// Addr returns the listener's address: its loopback address, or the
// host's name.
func (l *listener) Addr() net.Addr { return l.addr }

// SetDeadline sets the deadline for Accept, as *net.TCPListener's: a time
// on the host's clock; the zero time clears it.
func (l *listener) SetDeadline(t time.Time) error {
	if err := l.h.n.w.EnterUnlessEnded("net set deadline", net.ErrClosed); err != nil {
		return opError("set", nil, l.addr, err)
	}
	if l.closed {
		return opError("set", nil, l.addr, net.ErrClosed)
	}
	l.h.n.setDeadline(&l.dl, l.h, t, l.wakeFn, "the listener's SetDeadline")
	return nil
}
