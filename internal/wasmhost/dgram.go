package wasmhost

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"syscall"

	"github.com/tetratelabs/wazero/api"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simnet"
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

	// The address of the program's last sock_send_to, and the network's
	// address for it: a server that answers one client, or a client that
	// asks one server, makes it once.
	toAP netip.AddrPort
	to   net.Addr
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
		if s.peer != nil && !sameUDPAddr(from, s.peer) {
			continue
		}
		s.held, s.gotN, s.from = true, n, from
		s.in.notify()
	}
}

// sameUDPAddr reports whether the network's datagram addresses a and b
// are one, without printing them.
func sameUDPAddr(a, b net.Addr) bool {
	if a == nil || b == nil {
		return a == b
	}
	switch a := a.(type) {
	case *simnet.UDPAddr:
		if b, ok := b.(*simnet.UDPAddr); ok {
			return *a == *b
		}
	case *net.UDPAddr:
		if b, ok := b.(*net.UDPAddr); ok {
			return a.IP.Equal(b.IP) && a.Port == b.Port && a.Zone == b.Zone
		}
	}
	return a.String() == b.String()
}

// dgramReady returns what a read of the socket gets now: errSUCCESS when
// the host holds a datagram (got[:gotN] from from), which the reader
// then lets go with dgramRead; else the network's error, or EAGAIN. A
// port unreachable that waits comes before the datagram, as Linux
// reports a socket's error before its queue (__skb_recv_udp checks
// sock_error first). The network may hold one that the reader has not
// met, since the reader takes nothing more while it holds a datagram.
func (s *sock) dgramReady() errno {
	if s.held && !s.refused {
		if p, ok := s.pc.(interface{ TakeError() error }); ok {
			if err := p.TakeError(); err != nil {
				return errnoOf(err)
			}
		}
	}
	switch {
	case s.refused:
		s.refused = false
		return errCONNREFUSED
	case s.held:
		return errSUCCESS
	case s.rerr != nil:
		return errnoOf(s.rerr)
	}
	return errAGAIN
}

// dgramRead lets the datagram the host holds go, read, and wakes the
// reader for the next.
func (s *sock) dgramRead() {
	s.held, s.from = false, nil
	s.rwake.TrySend(struct{}{})
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
// scattered over the iovecs; what does not fit is dropped, as recvmsg(2)
// drops it.
func (s *sock) readDgram(mem api.Memory, ptr, count uint32) (uint32, errno) {
	for i := range count {
		if _, ok := iovec(mem, ptr, i); !ok {
			return 0, errFAULT
		}
	}
	if e := s.dgramReady(); e != errSUCCESS {
		return 0, e
	}
	d, n := s.got[:s.gotN], 0
	for i := range count {
		b, _ := iovec(mem, ptr, i)
		c := copy(b, d)
		d, n = d[c:], n+c
	}
	s.dgramRead()
	return uint32(n), errSUCCESS
}

// writeDgram is fd_write (and sock_send) of a UDP socket: the iovecs make
// one datagram to the socket's peer. An unconnected socket has no peer to
// write to: EDESTADDRREQ, as Linux says.
func (s *sock) writeDgram(mem api.Memory, ptr, count uint32) (uint32, errno) {
	var b []byte
	for i := range count {
		p, ok := iovec(mem, ptr, i)
		if !ok {
			return 0, errFAULT
		}
		if count == 1 {
			b = p // the program's memory: the network copies what it sends
		} else {
			b = append(b, p...)
		}
	}
	if s.peer == nil {
		return 0, errDESTADDRREQ
	}
	n, e := s.sendDgram(b, s.peer)
	return uint32(n), e
}

// recv reads into the iovec array at ptr, count buffers: a datagram
// whole, or what the stream holds.
func (s *sock) recv(mem api.Memory, ptr, count uint32) (uint32, errno) {
	if s.pc != nil {
		return s.readDgram(mem, ptr, count)
	}
	return iovecs(mem, ptr, count, s.read)
}

// send writes the iovec array at ptr, count buffers: as one datagram, or
// onto the stream.
func (s *sock) send(mem api.Memory, ptr, count uint32) (uint32, errno) {
	if s.pc != nil {
		return s.writeDgram(mem, ptr, count)
	}
	return iovecs(mem, ptr, count, s.write)
}

// iovec returns buffer i of the iovec array at ptr.
func iovec(mem api.Memory, ptr, i uint32) ([]byte, bool) {
	off, ok1 := mem.ReadUint32Le(ptr + i*8)
	n, ok2 := mem.ReadUint32Le(ptr + i*8 + 4)
	b, ok3 := mem.Read(off, n)
	return b, ok1 && ok2 && ok3
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
// sockets want, else the name's.
func udpTarget(hostport string) net.Addr {
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return net.UDPAddrFromAddrPort(ap)
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nameAddr(hostport)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nameAddr(hostport)
	}
	return &simnet.UDPAddr{Host: host, Port: int(p)}
}

// nameAddr is a UDP address by host name, "host:port", that the network
// reads as text.
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
	s.tasks = append(s.tasks, in.goHelper(context.WithoutCancel(in.ctx), "sock-read", s.dgramReader))
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

// A datagram's address passes between the program and the host as
// binary, neither side printing or parsing it: the IP's 4 bytes (IPv4)
// or 16, then the port's 2, big-endian.
const maxAddrLen = 16 + 2

// putAddrPort writes ap to b in the binary form, and returns its length.
func putAddrPort(b *[maxAddrLen]byte, ap netip.AddrPort) int {
	ip := ap.Addr().Unmap()
	var n int
	if ip.Is4() {
		a := ip.As4()
		n = copy(b[:], a[:])
	} else {
		a := ip.As16()
		n = copy(b[:], a[:])
	}
	binary.BigEndian.PutUint16(b[n:], ap.Port())
	return n + 2
}

// addrPort reads an address in the binary form.
func addrPort(b []byte) (netip.AddrPort, bool) {
	var ip netip.Addr
	switch len(b) {
	case 4 + 2:
		ip = netip.AddrFrom4([4]byte(b))
	case 16 + 2:
		ip = netip.AddrFrom16([16]byte(b)).Unmap()
	default:
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[len(b)-2:])), true
}

// sockRecvFrom(fd, buf, bufLen, nPtr, from, fromLen, fromNPtr) reads one
// datagram and the address it came from, in the binary form; a from
// buffer too small for it is ENAMETOOLONG, and the datagram waits for
// the next read.
func sockRecvFrom(in *instance, mem api.Memory, st []uint64) errno {
	s, e := udpSock(in, u32(st, 0))
	if e != errSUCCESS {
		return e
	}
	b, ok := mem.Read(u32(st, 1), u32(st, 2))
	if !ok {
		return errFAULT
	}
	if e := s.dgramReady(); e != errSUCCESS {
		return e
	}
	var from [maxAddrLen]byte
	fromN := 0
	if ap, ok := in.names.guestAddrPort(s.from); ok {
		fromN = putAddrPort(&from, ap)
	}
	if uint32(fromN) > u32(st, 5) {
		return errNAMETOOLONG
	}
	dst, ok := mem.Read(u32(st, 4), uint32(fromN)) // not Write, through which from would escape
	if !ok {
		return errFAULT
	}
	copy(dst, from[:fromN])
	n := copy(b, s.got[:s.gotN])
	if putU32(mem, u32(st, 6), uint32(fromN)) != errSUCCESS || putU32(mem, u32(st, 3), uint32(n)) != errSUCCESS {
		return errFAULT
	}
	s.dgramRead()
	return errSUCCESS
}

// sockSendTo(fd, buf, bufLen, to, toLen, nPtr) sends one datagram to the
// address to, in the binary form.
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
	a, ok := mem.Read(u32(st, 3), u32(st, 4))
	if !ok {
		return errFAULT
	}
	ap, ok := addrPort(a)
	if !ok {
		return errINVAL
	}
	if s.to == nil || ap != s.toAP {
		s.toAP, s.to = ap, in.names.udpAddr(ap)
	}
	n, e := s.sendDgram(b, s.to)
	if e != errSUCCESS {
		return e
	}
	return putU32(mem, u32(st, 5), uint32(n))
}
