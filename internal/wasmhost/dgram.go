package wasmhost

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"

	"github.com/tetratelabs/wazero/api"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// maxDatagram bounds a UDP payload (65,507 bytes over IPv4): the host
// reads every datagram whole, and the program's read takes what fits.
const maxDatagram = 64 << 10

// dgramSock is the part of a sock that is a UDP socket: a datagram
// socket of the simulated network, and the one datagram its reader task
// holds for the program. The network's own queue (chaos.Network's
// DatagramBuffer) is the receive buffer; the host takes one datagram
// ahead of the program, no more, so that a program that does not read
// sees the network drop what overflows, as a full socket buffer does.
type dgramSock struct {
	pc   net.PacketConn
	peer net.Addr // connected: where writes go, the only sender reads hear

	held bool // a datagram waits for the program: got[:gotN], from
	got  []byte
	gotN int
	from net.Addr
	// refused: a connected socket's datagram found no socket at its
	// peer (ICMP port unreachable), and the program's next read or
	// write is told, once.
	refused bool
}

// dgramReader takes the datagrams that arrive, one at a time: it waits
// until the program has read the one it holds. A connected socket hears
// its peer only, as connect(2) makes Linux filter.
func (s *sock) dgramReader(ctx context.Context) error {
	s.got = make([]byte, maxDatagram)
	for {
		for s.held && !s.closing {
			if _, _, err := s.rwake.Recv(ctx); err != nil {
				return nil
			}
		}
		n, from, err := s.pc.ReadFrom(s.got)
		if errors.Is(err, syscall.ECONNREFUSED) {
			s.refused = true
			s.in.notify()
			continue
		}
		if err != nil {
			s.rerr = err
			s.in.notify()
			return nil
		}
		if s.peer != nil && (from == nil || from.String() != s.peer.String()) {
			continue
		}
		s.held, s.gotN, s.from = true, n, from
		s.in.notify()
	}
}

// recvDgram copies the datagram the host holds into bufs and lets it go:
// what does not fit is dropped, as recvmsg(2) drops it.
func (s *sock) recvDgram(bufs [][]byte) (int, net.Addr, errno) {
	switch {
	case s.refused:
		// As Linux reports a socket's error before its queue.
		s.refused = false
		return 0, nil, errCONNREFUSED
	case s.held:
		d, n := s.got[:s.gotN], 0
		for _, b := range bufs {
			c := copy(b, d)
			d, n = d[c:], n+c
		}
		from := s.from
		s.held, s.from = false, nil
		s.rwake.TrySend(struct{}{})
		return n, from, errSUCCESS
	case s.rerr != nil:
		return 0, nil, errnoOf(s.rerr)
	}
	return 0, nil, errAGAIN
}

// sendDgram sends b as one datagram to to. The network's WriteTo never
// waits, so neither does the program's. A datagram over the network's
// maximum size fails with EMSGSIZE, which the program reads as "message
// too long", a thing Linux says of no datagram under 65,507 bytes: the
// timeline gets the network's own sentence, with the size, the limit and
// the setting that raises it.
func (s *sock) sendDgram(b []byte, to net.Addr) (int, errno) {
	if s.refused {
		s.refused = false
		return 0, errCONNREFUSED
	}
	n, err := s.pc.WriteTo(b, to)
	if err != nil {
		if errors.Is(err, syscall.EMSGSIZE) && s.in.rec != nil {
			s.in.rec.Record(sim.Entry{Name: "net", Msg: "net: " + err.Error()})
		}
		return 0, errnoOf(err)
	}
	return n, errSUCCESS
}

// readDgram is fd_read (and sock_recv) of a UDP socket: one datagram,
// scattered over the iovecs.
func (s *sock) readDgram(mem api.Memory, ptr, count uint32) (uint32, errno) {
	bufs, e := gather(mem, ptr, count)
	if e != errSUCCESS {
		return 0, e
	}
	n, _, e := s.recvDgram(bufs)
	return uint32(n), e
}

// writeDgram is fd_write (and sock_send) of a UDP socket: the iovecs make
// one datagram to the socket's peer. An unconnected socket has no peer to
// write to: EDESTADDRREQ, as Linux says.
func (s *sock) writeDgram(mem api.Memory, ptr, count uint32) (uint32, errno) {
	bufs, e := gather(mem, ptr, count)
	if e != errSUCCESS {
		return 0, e
	}
	if s.peer == nil {
		return 0, errDESTADDRREQ
	}
	var b []byte
	if len(bufs) == 1 {
		b = bufs[0]
	} else {
		for _, p := range bufs {
			b = append(b, p...)
		}
	}
	n, e := s.sendDgram(b, s.peer)
	return uint32(n), e
}

// gather returns the buffers of the iovec array at ptr.
func gather(mem api.Memory, ptr, count uint32) ([][]byte, errno) {
	bufs := make([][]byte, 0, count)
	for i := range count {
		off, ok1 := mem.ReadUint32Le(ptr + i*8)
		n, ok2 := mem.ReadUint32Le(ptr + i*8 + 4)
		b, ok3 := mem.Read(off, n)
		if !ok1 || !ok2 || !ok3 {
			return nil, errFAULT
		}
		bufs = append(bufs, b)
	}
	return bufs, errSUCCESS
}

// closeDgram is the program's close of a UDP socket: datagrams sent are
// on their way already; the reader ends on the closed socket.
func (s *sock) closeDgram() {
	if s.closing {
		return
	}
	s.closing = true
	_ = s.pc.Close()
	s.rwake.TrySend(struct{}{})
}

// udpTarget turns the simulated network's "host:port" into the address
// a WriteTo takes: a *net.UDPAddr for an IP literal, as package net's
// sockets want, else the name.
func udpTarget(hostport string) net.Addr {
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return net.UDPAddrFromAddrPort(ap)
	}
	return nameAddr(hostport)
}

// nameAddr is a UDP address by host name, "host:port".
type nameAddr string

func (nameAddr) Network() string  { return "udp" }
func (a nameAddr) String() string { return string(a) }

// peerAddr is the address a connected socket's datagrams come from: a
// loopback address for a peer on the loopback interface (the wildcard
// addresses and localhost are 127.0.0.1, or ::1, as Linux connects them),
// as the network's source addresses give it.
func (in *instance) peerAddr(hostport string) net.Addr {
	host, port, err := net.SplitHostPort(hostport)
	if err == nil {
		switch host {
		case "", "0.0.0.0", "localhost":
			hostport = net.JoinHostPort("127.0.0.1", port)
		case "::":
			hostport = net.JoinHostPort("::1", port)
		}
	}
	return udpTarget(hostport)
}

// The moonpool module's datagram functions, called by the overlay of
// package net.

// sockUDP(laddr, laddrLen, raddr, raddrLen, fdPtr) opens a UDP socket on
// "ip:port" laddr; a raddr that is not empty connects it there.
func sockUDP(in *instance, mem api.Memory, st []uint64) errno {
	la, e := readAddr(in, mem, st)
	if e != errSUCCESS {
		return e
	}
	var peer net.Addr
	if u32(st, 3) > 0 {
		ra, e := readAddr(in, mem, st[2:])
		if e != errSUCCESS {
			return e
		}
		peer = in.peerAddr(ra)
	}
	in.waited()
	pc, err := in.p.Network.ListenPacket(in.wait, la)
	if err != nil {
		return errnoOf(err)
	}
	s := newSock(in)
	s.pc, s.peer = pc, peer
	if cn, ok := pc.(interface{ Connect() }); ok && peer != nil {
		// Its datagrams that find no socket come back as ECONNREFUSED.
		cn.Connect()
	}
	s.tasks = append(s.tasks, in.p.Task.Go(context.WithoutCancel(in.ctx), "sock-read", s.dgramReader))
	fd := in.add(&fdEntry{kind: kindSocket, sock: s})
	return putU32(mem, u32(st, 4), uint32(fd))
}

// udpSock returns the UDP socket of descriptor fd.
func udpSock(in *instance, fd uint32) (*sock, errno) {
	e := in.get(fd)
	if e == nil || e.kind != kindSocket {
		return nil, errBADF
	}
	if e.sock.pc == nil {
		return nil, errNOTSUP
	}
	return e.sock, errSUCCESS
}

// sockRecvFrom(fd, buf, bufLen, nPtr, from, fromLen, fromNPtr) reads one
// datagram and the "ip:port" it came from.
func sockRecvFrom(in *instance, mem api.Memory, st []uint64) errno {
	s, e := udpSock(in, u32(st, 0))
	if e != errSUCCESS {
		return e
	}
	b, ok := mem.Read(u32(st, 1), u32(st, 2))
	if !ok {
		return errFAULT
	}
	n, from, e := s.recvDgram([][]byte{b})
	if e != errSUCCESS {
		return e
	}
	str := in.names.guestAddr(from)
	if uint32(len(str)) > u32(st, 5) {
		return errNAMETOOLONG
	}
	if !mem.WriteString(u32(st, 4), str) {
		return errFAULT
	}
	if putU32(mem, u32(st, 6), uint32(len(str))) != errSUCCESS {
		return errFAULT
	}
	return putU32(mem, u32(st, 3), uint32(n))
}

// sockSendTo(fd, buf, bufLen, to, toLen, nPtr) sends one datagram to
// "ip:port".
func sockSendTo(in *instance, mem api.Memory, st []uint64) errno {
	s, e := udpSock(in, u32(st, 0))
	if e != errSUCCESS {
		return e
	}
	if s.peer != nil {
		return errISCONN
	}
	b, ok := mem.Read(u32(st, 1), u32(st, 2))
	if !ok {
		return errFAULT
	}
	to, e := readAddr(in, mem, st[3:])
	if e != errSUCCESS {
		return e
	}
	n, e := s.sendDgram(b, udpTarget(to))
	if e != errSUCCESS {
		return e
	}
	return putU32(mem, u32(st, 5), uint32(n))
}
