package wasmhost

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/moonpool-go/moonpool/providers"
)

// Buffer limits of a socket: how much the host reads ahead of the program,
// and how much the program may write before a write would block.
const (
	readAhead = 64 << 10
	writeBuf  = 64 << 10
	backlog   = 128
)

// A sock is the host side of one of the program's sockets: a TCP
// listener, a connection, or a connection being dialled, or a UDP socket
// (dgram.go). Simulation tasks do the blocking work (accept, read, write,
// dial) and fill or drain buffers; the program's calls never block, and
// poll_oneoff waits for the buffers to change. All of it runs on the
// simulation's tasks, one at a time.
type sock struct {
	in *instance

	ln      net.Listener
	pending []net.Conn // accepted, waiting for sock_accept
	lnErr   error

	conn    net.Conn
	dialing bool
	dialErr error
	dialer  providers.Handle

	rbuf   []byte // rbuf[roff:] is read ahead, not yet read by the program
	roff   int
	rerr   error // io.EOF or the read's failure
	rwake  *providers.Chan[struct{}]
	wbuf   []byte
	wspare []byte // the buffer the writer task last sent, for wbuf's next turn
	werr   error
	// failTold: a read or write of the program has reported the
	// connection's failure (rerr or werr); later writes fail with EPIPE,
	// as Linux reports a socket's error once.
	failTold bool
	wshut    bool // shutdown for writing: flush, then CloseWrite
	closing  bool // closed by the program: flush, then Close
	linger0  bool // SetLinger(0): close drops what is unsent and resets
	// keepAliveOff: the connection's keep-alive probes are off, as a new
	// socket's are on Linux, until the program turns them on. The
	// program sets its times and count one call at a time, and each
	// call passes this on with them (sockSetKeepAlive).
	keepAliveOff bool
	wwake        *providers.Chan[struct{}]

	tasks []providers.Handle

	dgramSock
}

func newSock(in *instance) *sock {
	return &sock{
		in:           in,
		rwake:        providers.NewChan[struct{}](in.p.Task, 1),
		wwake:        providers.NewChan[struct{}](in.p.Task, 1),
		keepAliveOff: true,
	}
}

// ready reports whether a read (or a write) would not return EAGAIN.
func (s *sock) ready(write bool) bool {
	switch {
	case s.pc != nil:
		return write || s.held || s.refused || s.rerr != nil
	case s.ln != nil:
		return !write && (len(s.pending) > 0 || s.lnErr != nil)
	case s.dialing:
		return false
	case s.conn == nil:
		return true // a failed dial
	case write:
		return len(s.wbuf) < writeBuf || s.werr != nil || (s.rerr != nil && s.rerr != io.EOF)
	default:
		return len(s.rbuf) > s.roff || s.rerr != nil
	}
}

func (s *sock) read(b []byte) (int, errno) {
	switch {
	case s.conn == nil:
		return 0, errNOTCONN
	case len(s.rbuf) > s.roff:
		n := copy(b, s.rbuf[s.roff:])
		s.roff += n
		if s.roff == len(s.rbuf) {
			s.rbuf, s.roff = s.rbuf[:0], 0 // read all: fill from the start again
		}
		s.rwake.TrySend(struct{}{})
		return n, errSUCCESS
	case s.rerr == io.EOF:
		return 0, errSUCCESS
	case s.rerr != nil:
		if s.failTold {
			// Told already, to a read or a write: as on Linux, later
			// reads see the end of the stream.
			return 0, errSUCCESS
		}
		s.failTold = true
		return 0, errnoOf(s.rerr)
	}
	return 0, errAGAIN
}

func (s *sock) write(b []byte) (int, errno) {
	if s.conn == nil {
		return 0, errNOTCONN
	}
	if e := s.failed(); e != errSUCCESS {
		return 0, e
	}
	switch {
	case s.wshut:
		return 0, errPIPE
	case len(s.wbuf) >= writeBuf:
		return 0, errAGAIN
	}
	n := min(len(b), writeBuf-len(s.wbuf))
	s.wbuf = append(s.wbuf, b[:n]...)
	s.wwake.TrySend(struct{}{})
	return n, errSUCCESS
}

// failed returns the error of a write on a connection that failed, or
// errSUCCESS. As on Linux, a failure such as a reset from the peer is
// reported once, to the first read or write of the program that meets it,
// and later writes fail with EPIPE. The host's reader and writer meet a
// failure before the program does, so the socket keeps whether the
// program was told; and a reset that has arrived fails a write even
// while no task of the host has read it yet.
func (s *sock) failed() errno {
	err := s.werr
	if s.rerr != nil && s.rerr != io.EOF {
		err = s.rerr
	}
	if err == nil {
		if _, err = s.conn.Write(nil); err == nil {
			return errSUCCESS
		}
	}
	if s.failTold {
		return errPIPE
	}
	s.failTold = true
	return errnoOf(err)
}

// start runs the reader and writer tasks of a connected socket.
func (s *sock) start() {
	in := s.in
	ctx := context.WithoutCancel(in.ctx)
	s.tasks = append(s.tasks,
		in.goHelper(ctx, "sock-read", s.reader),
		in.goHelper(ctx, "sock-write", s.writer))
}

func (s *sock) reader(ctx context.Context) error {
	buf := make([]byte, 16<<10)
	for {
		for len(s.rbuf)-s.roff >= readAhead && s.conn != nil {
			if _, _, err := s.rwake.Recv(ctx); err != nil {
				return nil
			}
		}
		n, err := s.conn.Read(buf)
		if s.roff > 0 && cap(s.rbuf)-len(s.rbuf) < n {
			// Move the unread bytes to the front rather than grow.
			s.rbuf = s.rbuf[:copy(s.rbuf, s.rbuf[s.roff:])]
			s.roff = 0
		}
		s.rbuf = append(s.rbuf, buf[:n]...)
		if err != nil {
			s.rerr = err
			s.in.notify()
			return nil
		}
		s.in.notify()
	}
}

func (s *sock) writer(ctx context.Context) error {
	for {
		for len(s.wbuf) == 0 {
			if s.closing {
				return s.conn.Close()
			}
			if s.wshut {
				if cw, ok := s.conn.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
				}
				return nil
			}
			if _, _, err := s.wwake.Recv(ctx); err != nil {
				return nil
			}
		}
		// The two buffers take turns: a Write does not keep its bytes.
		chunk := s.wbuf
		s.wbuf = s.wspare[:0]
		_, err := s.conn.Write(chunk)
		s.wspare = chunk
		if err != nil {
			s.werr = err
			s.in.notify()
			if s.closing {
				s.conn.Close()
			}
			return nil
		}
		s.in.notify()
	}
}

// close is the program's fd_close: written data still goes out, then the
// connection closes.
func (s *sock) close() {
	switch {
	case s.pc != nil:
		s.closeDgram()
	case s.ln != nil:
		s.ln.Close()
		for _, c := range s.pending {
			// Never accepted: Linux resets them as the listener closes.
			if l, ok := c.(interface{ SetLinger(int) error }); ok {
				_ = l.SetLinger(0)
			}
			c.Close()
		}
		s.pending = nil
	case s.dialing:
		s.dialer.Cancel()
	case s.conn != nil:
		if s.linger0 || len(s.rbuf) > s.roff {
			// SetLinger(0), or bytes arrived that the program never
			// read: Linux resets the connection, and the network would
			// too, were they not read ahead into the host.
			if l, ok := s.conn.(interface{ SetLinger(int) error }); ok {
				_ = l.SetLinger(0)
			}
		}
		if s.linger0 {
			// A reset sends nothing more: what the program wrote and
			// the host holds is dropped, as Linux drops its send queue.
			s.wbuf = s.wbuf[:0]
		}
		s.closing = true
		s.rwake.TrySend(struct{}{})
		s.wwake.TrySend(struct{}{})
		if len(s.tasks) == 0 {
			s.conn.Close()
		}
	}
}

// drop lets go of the socket when the program has ended: as when a
// process exits, data written still goes out and the connection closes.
func (s *sock) drop() {
	if s.in.panicked != nil {
		return // killed: the simulation takes the host's sockets down
	}
	s.close()
}

// The moonpool module's socket functions, called by the overlay of
// package net.

// readAddr reads the "ip:port" that a socket call's first two arguments
// point at, and resolves it on the simulated network.
func readAddr(in *instance, mem api.Memory, st []uint64) (string, errno) {
	addr, ok := mem.Read(u32(st, 0), u32(st, 1))
	if !ok {
		return "", errFAULT
	}
	if in.p.Network == nil {
		return "", errNOSYS
	}
	a, err := in.names.netAddr(string(addr))
	if err != nil {
		return "", errINVAL
	}
	return a, errSUCCESS
}

// sockListen(addr, addrLen, fdPtr) listens on "ip:port".
func sockListen(in *instance, mem api.Memory, st []uint64) errno {
	a, e := readAddr(in, mem, st)
	if e != errSUCCESS {
		return e
	}
	in.waited()
	ln, err := in.p.Network.Listen(in.wait, a)
	if err != nil {
		return errnoOf(err)
	}
	s := newSock(in)
	s.ln = ln
	in.goHelper(context.WithoutCancel(in.ctx), "sock-accept", func(ctx context.Context) error {
		for {
			for len(s.pending) >= backlog {
				if _, _, err := s.rwake.Recv(ctx); err != nil {
					return nil
				}
			}
			c, err := ln.Accept()
			if err != nil {
				s.lnErr = err
				in.notify()
				return nil
			}
			probesOff(c)
			s.pending = append(s.pending, c)
			in.notify()
		}
	})
	fd := in.add(&fdEntry{kind: kindSocket, sock: s})
	return putU32(mem, u32(st, 2), uint32(fd))
}

// sockDial(addr, addrLen, timeout, fdPtr) starts dialling "ip:port"; the
// socket becomes writable when the dial ends, and sock_dial_result tells
// how. A negative timeout is none.
func sockDial(in *instance, mem api.Memory, st []uint64) errno {
	a, e := readAddr(in, mem, st)
	if e != errSUCCESS {
		return e
	}
	timeout := time.Duration(int64(st[2]))
	s := newSock(in)
	s.dialing = true
	s.dialer = in.goHelper(context.WithoutCancel(in.ctx), "sock-dial", func(ctx context.Context) error {
		if timeout >= 0 {
			// The kernel's read of the clock, not the program's: a
			// time-out would be a point where an armed pause begins.
			var cancel context.CancelFunc
			ctx, cancel = in.p.Time.WithDeadline(ctx, in.kernelNow().Add(timeout))
			defer cancel()
		}
		c, err := in.p.Network.Dial(ctx, a)
		s.dialing = false
		switch {
		case err != nil:
			s.dialErr = err
		case s.closing:
			c.Close()
		default:
			probesOff(c)
			s.conn = c
			s.start()
		}
		in.notify()
		return nil
	})
	fd := in.add(&fdEntry{kind: kindSocket, sock: s})
	return putU32(mem, u32(st, 3), uint32(fd))
}

// sockDialResult(fd) reports a dial's outcome: EINPROGRESS while it goes
// on, ECANCELED when the program's deadline ended it (the program words
// that as package net does, "i/o timeout"), ETIMEDOUT when the connect
// itself timed out.
func sockDialResult(in *instance, mem api.Memory, st []uint64) errno {
	e := in.get(u32(st, 0))
	if e == nil || e.kind != kindSocket {
		return errBADF
	}
	s := e.sock
	switch {
	case s.dialing:
		return errINPROGRESS
	case s.dialErr != nil:
		if errors.Is(s.dialErr, context.DeadlineExceeded) || errors.Is(s.dialErr, os.ErrDeadlineExceeded) {
			// The deadline ended it, in either shape of a dial's
			// timeout: not a connect that timed out.
			return errCANCELED
		}
		var ne net.Error
		if errors.As(s.dialErr, &ne) && ne.Timeout() {
			return errTIMEDOUT
		}
		return errnoOf(s.dialErr)
	}
	return errSUCCESS
}

// sockAddr(fd, remote, buf, bufLen, nPtr) writes a socket's local (or
// remote) "ip:port".
func sockAddr(in *instance, mem api.Memory, st []uint64) errno {
	e := in.get(u32(st, 0))
	if e == nil || e.kind != kindSocket {
		return errBADF
	}
	s := e.sock
	var a net.Addr
	switch {
	case s.pc != nil && u32(st, 1) == 0:
		a = s.pc.LocalAddr()
	case s.pc != nil:
		a = s.peer
	case s.ln != nil && u32(st, 1) == 0:
		a = s.ln.Addr()
	case s.conn != nil && u32(st, 1) == 0:
		a = s.conn.LocalAddr()
	case s.conn != nil:
		a = s.conn.RemoteAddr()
	}
	str := in.names.guestAddr(a)
	if uint32(len(str)) > u32(st, 3) {
		return errNAMETOOLONG
	}
	if !mem.WriteString(u32(st, 2), str) {
		return errFAULT
	}
	return putU32(mem, u32(st, 4), uint32(len(str)))
}

func sockAccept(in *instance, mem api.Memory, st []uint64) errno {
	e := in.get(u32(st, 0))
	if e == nil || e.kind != kindSocket {
		return errBADF
	}
	s := e.sock
	if s.ln == nil {
		return errINVAL
	}
	if len(s.pending) == 0 {
		if s.lnErr != nil {
			return errnoOf(s.lnErr)
		}
		return errAGAIN
	}
	c := s.pending[0]
	s.pending = s.pending[1:]
	s.rwake.TrySend(struct{}{})
	ns := newSock(in)
	ns.conn = c
	ns.start()
	fd := in.add(&fdEntry{kind: kindSocket, sock: ns})
	return putU32(mem, u32(st, 2), uint32(fd))
}

func sockRecv(in *instance, mem api.Memory, st []uint64) errno {
	e := in.get(u32(st, 0))
	if e == nil || e.kind != kindSocket {
		return errBADF
	}
	n, err := e.sock.recv(mem, u32(st, 1), u32(st, 2))
	if err != errSUCCESS {
		return err
	}
	if putU32(mem, u32(st, 4), n) != errSUCCESS {
		return errFAULT
	}
	return putU32(mem, u32(st, 5), 0)
}

func sockSend(in *instance, mem api.Memory, st []uint64) errno {
	e := in.get(u32(st, 0))
	if e == nil || e.kind != kindSocket {
		return errBADF
	}
	n, err := e.sock.send(mem, u32(st, 1), u32(st, 2))
	if err != errSUCCESS {
		return err
	}
	return putU32(mem, u32(st, 4), n)
}

// sockSetLinger(fd, sec) is SO_LINGER of a TCP socket: with 0, the
// program's close resets the connection (ECONNRESET at the peer) and
// drops what was written and not yet sent; other values keep the
// graceful close (a close never blocks the program here). The other
// options of a socket are no-ops in the overlay.
func sockSetLinger(in *instance, mem api.Memory, st []uint64) errno {
	e := in.get(u32(st, 0))
	if e == nil || e.kind != kindSocket {
		return errBADF
	}
	// A UDP socket takes it and has nothing to reset, as on Linux.
	e.sock.linger0 = e.sock.pc == nil && int32(u32(st, 1)) == 0
	return errSUCCESS
}

// sockSetKeepAlive(fd, opt, val) is a TCP socket's keep-alive settings,
// as package net sets them on every connection it dials or accepts: opt
// 0 turns the probes on or off (SO_KEEPALIVE), 1 sets the idle time
// (TCP_KEEPIDLE) and 2 the interval (TCP_KEEPINTVL), in nanoseconds, 3
// the count (TCP_KEEPCNT); zero is Go's default, a negative value changes
// nothing. The simulated connection probes as they say. A socket that is
// not a connection takes them and does nothing, as Linux's does.
func sockSetKeepAlive(in *instance, mem api.Memory, st []uint64) errno {
	e := in.get(u32(st, 0))
	if e == nil || e.kind != kindSocket {
		return errBADF
	}
	s := e.sock
	v := int64(st[2])
	cfg := net.KeepAliveConfig{Idle: -1, Interval: -1, Count: -1}
	switch u32(st, 1) {
	case 0:
		s.keepAliveOff = v == 0
	case 1:
		cfg.Idle = time.Duration(v)
	case 2:
		cfg.Interval = time.Duration(v)
	case 3:
		cfg.Count = int(max(min(v, math.MaxInt32), -1))
	default:
		return errINVAL
	}
	cfg.Enable = !s.keepAliveOff
	if k, ok := s.conn.(interface {
		SetKeepAliveConfig(net.KeepAliveConfig) error
	}); ok {
		// It fails only on a connection the host closed: Linux sets
		// an option of a socket whose connection ended, to no effect.
		_ = k.SetKeepAliveConfig(cfg)
	}
	return errSUCCESS
}

// probesOff turns off the keep-alive probes of a connection the host
// made for the program, as Linux's new sockets have none: package net
// turns them on for each connection it dials or accepts, unless its
// Dialer's or ListenConfig's KeepAlive is negative (sockSetKeepAlive).
func probesOff(c net.Conn) {
	if k, ok := c.(interface{ SetKeepAlive(bool) error }); ok {
		_ = k.SetKeepAlive(false)
	}
}

// sockShutdown: WASI's RD is 1, WR is 2.
func sockShutdown(in *instance, mem api.Memory, st []uint64) errno {
	e := in.get(u32(st, 0))
	if e == nil || e.kind != kindSocket {
		return errBADF
	}
	s := e.sock
	if s.conn == nil {
		return errNOTCONN
	}
	how := u32(st, 1)
	if how&2 != 0 && !s.wshut {
		s.wshut = true
		s.wwake.TrySend(struct{}{})
	}
	if how&1 != 0 {
		if cr, ok := s.conn.(interface{ CloseRead() error }); ok {
			cr.CloseRead()
		}
	}
	return errSUCCESS
}
