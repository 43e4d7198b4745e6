package simnet

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// UDPAddr is the address of a simulated datagram socket whose host name is
// not an IP literal. Hosts named like IP addresses get *net.UDPAddr
// addresses instead, as package net gives.
type UDPAddr struct {
	Host string
	Port int
}

// Network returns "udp".
func (a *UDPAddr) Network() string { return "udp" }

func (a *UDPAddr) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// udpAddr returns the address of the datagram socket on port of h.
func (h *Host) udpAddr(port int) net.Addr {
	if h.ip != nil {
		return &net.UDPAddr{IP: h.ip, Port: port}
	}
	return &UDPAddr{Host: h.name, Port: port}
}

// ResolveUDP returns the address of addr, "host:port", for WriteTo: the
// simulated host of that name or address, or the loopback for a local
// name, with no DNS query (providers.ResolveUDP). A name no host has
// fails as a DNS lookup of it does; an IP address no host holds is that
// address, as package net looks no address up, and what is sent to it is
// lost.
func (h *Host) ResolveUDP(ctx context.Context, addr string) (net.Addr, error) {
	dst, port, lo, err := h.n.resolveUDPString(h, addr)
	switch {
	case err != nil:
		return nil, err
	case lo != nil:
		return &net.UDPAddr{IP: lo, Port: port}, nil
	case dst == nil:
		host, _, _ := net.SplitHostPort(addr)
		if a, ok := parseLocal(host); ok {
			return &net.UDPAddr{IP: net.IP(a.AsSlice()), Port: port, Zone: a.Zone()}, nil
		}
		return nil, &net.DNSError{Err: "no such host (no simulated host has this name or address)", Name: host, IsNotFound: true}
	}
	return dst.udpAddr(port), nil
}

// A packetConn is a datagram socket on a port of a host: a
// net.PacketConn. Datagrams that arrive wait in its queue, up to the
// network's DatagramBuffer bytes, until ReadFrom takes them.
type packetConn struct {
	n      *Net
	h      *Host
	port   int
	laddr  net.Addr
	bind   binding // the address it is bound to
	queue  fifo[datagram]
	queued int // bytes in queue
	closed bool
	// connected: Connect marked the socket connected, and it hears of
	// its datagrams that find no socket; refused: such a notice came
	// back, and the next ReadFrom or WriteTo tells it.
	connected, refused bool

	readers []providers.WaitToken
	rd, wr  deadline
	wakeRd  func()

	// lastAt is when the last datagram sent in order to each destination
	// socket (host id << 32 | port) arrives: the others may not overtake
	// it.
	lastAt map[uint64]int64
	sent   uint64 // bytes sent, for a determinism check's data hash
	// loFrom is the address its datagrams over loopback come from, when
	// it is bound to every address: 127.0.0.1's and ::1's, made when
	// first needed.
	loFrom [2]net.Addr
}

// loopbackFrom is where c's datagrams to the loopback address lo come
// from: the loopback address of lo's family, at c's port. Each datagram
// shares it, as those sent elsewhere share c's own address.
func (c *packetConn) loopbackFrom(lo net.IP) net.Addr {
	i := 0
	if lo.To4() == nil {
		i = 1
	}
	if c.loFrom[i] == nil {
		c.loFrom[i] = &net.UDPAddr{IP: loopbackSource(lo), Port: c.port}
	}
	return c.loFrom[i]
}

// A datagram is one payload and where it came from.
type datagram struct {
	from net.Addr
	b    []byte
}

var _ net.PacketConn = (*packetConn)(nil)

// ListenPacket opens a datagram socket on addr, "host:port", where host is
// empty, this host's name (or its IP address however written, as
// [Host.Listen] takes it), or a loopback or wildcard address; port 0 picks
// a free ephemeral port. Datagram ports are apart from TCP's, as in an
// operating system.
//
// A socket takes the datagrams sent to the address it is bound to, as on
// Linux; the others are dropped. One on a loopback address (localhost,
// 127.0.0.0/8, ::1) is on the loopback interface alone: its LocalAddr is
// that address, it takes only datagrams its own host sends to that
// address, and it can send to its own host only (EINVAL otherwise). One
// on the host's name takes datagrams to that name, and not those its own
// host sends to a loopback address. One on the empty host or a wildcard
// address takes datagrams to every address of its host. Sockets on
// different addresses share a port, and bind fails with EADDRINUSE as
// [Host.Listen] does: on a port held on the same address, or on every
// address, or by any socket when this one is on every address.
func (h *Host) ListenPacket(ctx context.Context, addr string) (net.PacketConn, error) {
	if err := h.n.w.EnterUnlessEnded("net listen packet", net.ErrClosed); err != nil {
		return nil, udpOpError("listen", nil, nil, err)
	}
	h.open("ListenPacket")
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil, udpOpError("listen", nil, nil, err)
	}
	if !isLocalName(host) && !h.isOwnName(host) {
		var a net.Addr = &UDPAddr{Host: host, Port: port}
		if ip := parseIP(host); ip != nil {
			a = &net.UDPAddr{IP: ip, Port: port}
		}
		return nil, udpOpError("listen", nil, a, sysErr("bind", syscall.EADDRNOTAVAIL))
	}
	b := bindingOf(host)
	at := func(port int) net.Addr {
		if b.lo != nil {
			return &net.UDPAddr{IP: b.lo, Port: port}
		}
		return h.udpAddr(port)
	}
	if err := ctx.Err(); err != nil {
		return nil, udpOpError("listen", nil, at(port), ctxError(err))
	}
	if port == 0 {
		if port = h.ephemeralUDP(); port == 0 {
			return nil, udpOpError("listen", nil, at(0), sysErr("bind", syscall.EADDRINUSE))
		}
	} else if overlapsAny(h.pconns[port], b) {
		return nil, udpOpError("listen", nil, at(port), sysErr("bind", syscall.EADDRINUSE))
	}
	c := &packetConn{n: h.n, h: h, port: port, laddr: at(port), bind: b}
	c.wakeRd = func() { c.n.wakeAll(&c.readers) }
	if h.pconns == nil {
		h.pconns = make(map[int][]*packetConn)
	}
	h.pconns[port] = append(h.pconns[port], c)
	h.pcs = append(h.pcs, c)
	h.n.log("listen packet on %s", c.laddr)
	return c, nil
}

// ephemeralUDP returns the next ephemeral datagram port of h that no
// socket holds.
func (h *Host) ephemeralUDP() int {
	if h.nextUDP == 0 {
		h.nextUDP = firstEphemeral
	}
	for range lastEphemeral - firstEphemeral + 1 {
		p := h.nextUDP
		h.nextUDP++
		if h.nextUDP > lastEphemeral {
			h.nextUDP = firstEphemeral
		}
		if len(h.pconns[p]) == 0 {
			return p
		}
	}
	return 0
}

func (c *packetConn) String() string { return c.laddr.String() }

// where names c for a determinism check's report (sim.World.Wrote).
func (c *packetConn) where() string { return "packet socket " + c.String() }

// LocalAddr returns the socket's address.
func (c *packetConn) LocalAddr() net.Addr { return c.laddr }

func (c *packetConn) opErr(op string, addr net.Addr, err error) error {
	return udpOpError(op, c.laddr, addr, err)
}

// enter is Enter for c's operation op, named what in a report, or the
// error of one made after the simulation ended (conn.enter).
func (c *packetConn) enter(what, op string, addr net.Addr) error {
	if err := c.n.w.EnterUnlessEnded(what, net.ErrClosed); err != nil {
		return c.opErr(op, addr, err)
	}
	return nil
}

// ReadFrom waits for a datagram and copies it into b; see net.PacketConn.
// A datagram longer than b is cut to len(b) bytes, the rest dropped.
func (c *packetConn) ReadFrom(b []byte) (int, net.Addr, error) {
	if err := c.enter("net read", "read", nil); err != nil {
		return 0, nil, err
	}
	n := c.n
	for {
		switch {
		case c.closed:
			return 0, nil, c.opErr("read", nil, net.ErrClosed)
		case c.refused:
			c.refused = false
			return 0, nil, c.opErr("read", nil, sysErr("recvfrom", syscall.ECONNREFUSED))
		case c.rd.expired(n.now()):
			return 0, nil, c.opErr("read", nil, os.ErrDeadlineExceeded)
		}
		if c.queue.len() > 0 {
			d := *c.queue.front()
			c.queue.pop()
			c.queued -= len(d.b)
			k := copy(b, d.b)
			n.putDgramBuf(d.b)
			return k, d.from, nil
		}
		n.wait(&c.readers, "net read datagram")
	}
}

// datagramSizeError is the error of a datagram over the maximum size: it
// names the limit, and matches syscall.EMSGSIZE under errors.Is.
type datagramSizeError struct{ size, max int }

func (e *datagramSizeError) Error() string {
	return fmt.Sprintf("sendto: message too long: a datagram of %d bytes is over the network's maximum of %d (chaos.Network.MaxDatagramSize); split it, or raise the limit", e.size, e.max)
}

func (e *datagramSizeError) Unwrap() error { return os.NewSyscallError("sendto", syscall.EMSGSIZE) }

// WriteTo sends b as one datagram to addr; see net.PacketConn. It never
// waits: the datagram is on its way, or lost, when it returns. It fails
// with EMSGSIZE when b is over the network's MaxDatagramSize, and sends
// nothing then. A datagram to a host or port nobody holds is dropped. A
// datagram to a loopback or wildcard address goes over the loopback
// interface, from a loopback address, or from the socket's own when it is
// bound to the host's name; one from a socket on a loopback address to
// another host fails with EINVAL, as on Linux.
func (c *packetConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if err := c.enter("net write", "write", addr); err != nil {
		return 0, err
	}
	n := c.n
	switch {
	case c.closed:
		return 0, c.opErr("write", addr, net.ErrClosed)
	case c.refused:
		c.refused = false
		return 0, c.opErr("write", addr, sysErr("sendto", syscall.ECONNREFUSED))
	case addr == nil:
		return 0, c.opErr("write", nil, &net.AddrError{Err: "missing address"})
	case c.wr.expired(n.now()):
		return 0, c.opErr("write", addr, os.ErrDeadlineExceeded)
	case len(b) > n.dgramMax:
		return 0, c.opErr("write", addr, &datagramSizeError{len(b), n.dgramMax})
	}
	dst, port, lo, err := n.resolveUDP(c.h, addr)
	if err != nil {
		return 0, c.opErr("write", addr, err)
	}
	if n.w.HashesData() {
		n.w.Wrote(c, c.where, c.sent, b)
	}
	c.sent += uint64(len(b))
	n.tick()
	if dst == nil {
		n.log("datagram %s -> %s dropped: no such host", c, addr)
		return len(b), nil
	}
	if c.bind.lo != nil && dst != c.h {
		return 0, c.opErr("write", addr, sysErr("sendto", syscall.EINVAL))
	}
	c.send(dst, port, b, lo)
	return len(b), nil
}

// resolveUDP returns the host and port of addr, a datagram's destination
// seen from host from, and the loopback address it names, if any; the
// host is nil when there is no such host. The addresses ReadFrom returns
// for other hosts resolve without being printed and parsed: no host is
// named by a loopback or wildcard address.
func (n *Net) resolveUDP(from *Host, addr net.Addr) (*Host, int, net.IP, error) {
	switch a := addr.(type) {
	case *UDPAddr:
		if h := n.byName[a.Host]; h != nil && a.Port >= 0 && a.Port <= 65535 {
			return h, a.Port, nil, nil
		}
	case *net.UDPAddr:
		if ip, ok := netip.AddrFromSlice(a.IP); ok && a.Zone == "" && a.Port >= 0 && a.Port <= 65535 {
			if h := n.byIP[ip.Unmap()]; h != nil {
				return h, a.Port, nil, nil
			}
		}
	}
	return n.resolveUDPString(from, addr.String())
}

// resolveUDPString is resolveUDP for an address as "host:port".
func (n *Net) resolveUDPString(from *Host, addr string) (*Host, int, net.IP, error) {
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil, 0, nil, err
	}
	return n.lookup(from, host), port, dialLoopback(host), nil
}

// send puts a copy of b on its way to port of dst, over the loopback
// interface to loopback address lo when lo is not nil. It draws, unless
// the datagram is exempt or faults are paused: the loss's coin, the
// duplication's coin, then for each copy its latency and the reordering's
// coin and delay.
func (c *packetConn) send(dst *Host, port int, b []byte, lo net.IP) {
	n := c.n
	cfg := &n.cfg
	exempt := n.isExempt(c.port) || n.isExempt(port)
	faults := !exempt && !n.paused
	from := c.laddr
	if lo != nil && c.bind.all() {
		// Over loopback, a socket on every address sends from the
		// loopback; one bound to an address sends from that address.
		from = c.loopbackFrom(lo)
	}
	// to is the destination as the timeline names it, made only for a fault.
	to := func() net.Addr {
		if lo != nil {
			return &net.UDPAddr{IP: lo, Port: port}
		}
		return dst.udpAddr(port)
	}
	if faults && cfg.DatagramLossProb > 0 && n.rng.Bool(cfg.DatagramLossProb) {
		n.event("datagram %s -> %s lost: %d bytes", c, to(), len(b))
		return
	}
	copies := 1
	if faults && cfg.DatagramDupProb > 0 && n.rng.Bool(cfg.DatagramDupProb) {
		copies = 2
		n.event("datagram %s -> %s duplicated: %d bytes", c, to(), len(b))
	}
	key := uint64(dst.id)<<32 | uint64(port)
	for range copies {
		at := n.now() + n.latency(c.h, dst)
		if faults && cfg.DatagramReorderProb > 0 && n.rng.Bool(cfg.DatagramReorderProb) {
			extra := n.uniform(int64(cfg.DatagramReorderDelay.Min), int64(cfg.DatagramReorderDelay.Max))
			at += extra
			n.event("datagram %s -> %s reordered: %d bytes held back %v", c, to(), len(b), time.Duration(extra))
		} else {
			if c.lastAt == nil {
				c.lastAt = make(map[uint64]int64)
			}
			at = max(at, c.lastAt[key])
			c.lastAt[key] = at
		}
		a, ok := takeSpare(&n.arrivals)
		if !ok {
			a = &arrival{n: n}
			a.fn = a.arrive
		}
		a.sender, a.from, a.dst, a.port, a.exempt, a.lo, a.sent = c, from, dst, port, exempt, lo, n.now()
		a.b = append(n.takeDgramBuf(len(b)), b...)
		n.schedule(at, a.fn)
	}
}

// An arrival is a datagram in flight. Once it arrives it goes back to the
// network's spares, with its callback, for the next.
type arrival struct {
	n      *Net
	sender *packetConn
	from   net.Addr
	dst    *Host
	port   int
	b      []byte
	exempt bool
	lo     net.IP
	sent   int64  // when it was sent, for the HTML timeline's arrow
	fn     func() // arrive, made once
}

func (a *arrival) arrive() {
	n, sender, from, dst, port, b, exempt, lo, sent := a.n, a.sender, a.from, a.dst, a.port, a.b, a.exempt, a.lo, a.sent
	*a = arrival{n: n, fn: a.fn}
	n.arrivals = append(n.arrivals, a)
	n.arriveDatagram(sender, from, dst, port, b, exempt, lo, sent)
}

// takeDgramBuf returns an empty buffer for a payload of size bytes: a spare
// one if there is one large enough.
func (n *Net) takeDgramBuf(size int) []byte {
	if b, ok := takeSpare(&n.dgramBufs); ok {
		if cap(b) >= size {
			return b[:0]
		}
	}
	return make([]byte, 0, max(size, 512))
}

// putDgramBuf gives back the buffer of a payload read or dropped.
func (n *Net) putDgramBuf(b []byte) {
	n.dgramBufs = append(n.dgramBufs, b)
}

// arriveDatagram hands a datagram to the socket on port of dst, unless a
// cut or a clog is in its way (it is lost), dst has no power or no socket
// there (a socket on a loopback address is not on the host's own, nor on
// another loopback address, and one on the host's own address is not on
// its loopback: lo is where the datagram was sent, nil for dst's own
// address), or the socket's buffer is full.
//
// A datagram from a connected socket (Connect) that finds dst with power
// and no socket there is answered with ICMP port unreachable.
func (n *Net) arriveDatagram(sender *packetConn, from net.Addr, dst *Host, port int, b []byte, exempt bool, lo net.IP, sent int64) {
	src := sender.h
	n.tick()
	if !exempt {
		if _, cut := n.blocked(src, dst); cut {
			n.event("datagram %s -> %s lost to a partition or clog: %d bytes", from, dst.udpAddr(port), len(b))
			n.observeDatagram(src, dst, from, port, len(b), sent, true)
			n.putDgramBuf(b)
			return
		}
	}
	c := takerOf(dst.pconns[port], lo)
	switch {
	case dst.off || c == nil:
		to := dst.udpAddr(port)
		if lo != nil {
			to = &net.UDPAddr{IP: lo, Port: port} // where it was sent: the loopback
		}
		n.log("datagram %s -> %s dropped: no socket", from, to)
		n.observeDatagram(src, dst, from, port, len(b), sent, true)
		if sender.connected && !dst.off {
			n.unreachable(sender, dst, exempt)
		}
		n.putDgramBuf(b)
		return
	case c.queued+len(b) > n.dgramBuf:
		n.event("datagram %s -> %s dropped: the receive buffer is full", from, c)
		n.observeDatagram(src, dst, from, port, len(b), sent, true)
		n.putDgramBuf(b)
		return
	}
	n.observeDatagram(src, dst, from, port, len(b), sent, false)
	c.queue.push(datagram{from: from, b: b})
	c.queued += len(b)
	n.w.Progress()
	c.wakeRd()
}

// observeDatagram tells the world's observer, when there is one (the
// HTML timeline), that a datagram of size bytes sent at sent from src to
// port of dst arrived now, or was lost on its way.
func (n *Net) observeDatagram(src, dst *Host, from net.Addr, port, size int, sent int64, lost bool) {
	if !n.w.ObservingOps() {
		return
	}
	n.w.Op(sim.Op{Kind: sim.OpMessage, Start: time.Duration(sent), End: time.Duration(n.now()), From: src.name, To: dst.name,
		What: "udp " + from.String() + "->" + dst.udpAddr(port).String(), Bytes: int64(size), Lost: lost})
}

// Connect marks the socket connected, as connect(2) does a UDP socket's
// errors on Linux: when a datagram it sends reaches a host that has power
// and no socket on the datagram's port, that host answers with ICMP port
// unreachable, which comes back after a latency (or is lost to a cut or a
// clog on its way), and the socket's next ReadFrom or WriteTo fails with
// ECONNREFUSED, once; a ReadFrom that waits returns then. An unconnected
// socket hears nothing of it, as on Linux. Connect filters nothing: the
// caller reads from, and writes to, its peer alone. It draws nothing; the
// notices it makes possible draw their latency.
func (c *packetConn) Connect() {
	if c.enter("net connect packet", "connect", nil) != nil {
		return // after the simulation ended: the socket is as good as closed
	}
	c.connected = true
}

// TakeError returns the error that waits for the socket's next ReadFrom
// or WriteTo, ECONNREFUSED from a port unreachable (see Connect), and
// clears it, as getsockopt(SO_ERROR) takes a Linux socket's; nil when
// none waits. It is for a caller that reads ahead of its own reader, and
// holds a datagram while the error comes: Linux reports the error before
// the datagrams queued. It draws nothing.
func (c *packetConn) TakeError() error {
	if err := c.enter("net take error", "read", nil); err != nil {
		return err
	}
	if !c.refused || c.closed {
		return nil
	}
	c.refused = false
	return c.opErr("read", nil, sysErr("recvfrom", syscall.ECONNREFUSED))
}

// unreachable sends sender the answer of dst to a datagram that found no
// socket: ICMP port unreachable, after a latency drawn now.
func (n *Net) unreachable(sender *packetConn, dst *Host, exempt bool) {
	at := n.now() + n.latency(dst, sender.h)
	n.schedule(at, func() {
		n.tick()
		if _, cut := n.blocked(dst, sender.h); cut && !exempt {
			n.log("port unreachable %s -> %s lost to a partition or clog", dst.name, sender)
			return
		}
		if sender.closed || sender.h.off {
			return
		}
		n.log("port unreachable %s -> %s", dst.name, sender)
		sender.refused = true
		n.w.Progress()
		sender.wakeRd()
	})
}

// Close closes the socket: ReadFrom and WriteTo fail with net.ErrClosed,
// and datagrams that arrive for it are dropped.
func (c *packetConn) Close() error {
	if err := c.n.w.EnterUnlessEnded("net close", net.ErrClosed); err != nil {
		return c.opErr("close", nil, err)
	}
	if c.closed {
		return c.opErr("close", nil, net.ErrClosed)
	}
	c.close()
	return nil
}

func (c *packetConn) close() {
	h := c.h
	c.closed = true
	unbind(h.pconns, c.port, c)
	if i := slices.Index(h.pcs, c); i >= 0 {
		h.pcs = slices.Delete(h.pcs, i, i+1)
	}
	for _, d := range c.queue.waiting() {
		c.n.putDgramBuf(d.b)
	}
	c.queue, c.queued = fifo[datagram]{}, 0
	for _, d := range []*deadline{&c.rd, &c.wr} {
		d.stop()
		d.set = false
	}
	c.n.log("close packet socket %s", c.laddr)
	c.wakeRd()
}

// SetDeadline sets both deadlines; see net.PacketConn. t is a time on the
// host's clock ([Host.Time]).
func (c *packetConn) SetDeadline(t time.Time) error {
	if err := c.enter("net set deadline", "set", nil); err != nil {
		return err
	}
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the deadline for ReadFrom; see net.PacketConn.
func (c *packetConn) SetReadDeadline(t time.Time) error {
	if err := c.enter("net set deadline", "set", nil); err != nil {
		return err
	}
	if c.closed {
		return c.opErr("set", nil, net.ErrClosed)
	}
	c.n.setDeadline(&c.rd, c.h, t, c.wakeRd, "SetReadDeadline")
	return nil
}

// SetWriteDeadline sets the deadline for WriteTo; see net.PacketConn. A
// WriteTo never waits, so only a deadline already passed fails it.
func (c *packetConn) SetWriteDeadline(t time.Time) error {
	if err := c.enter("net set deadline", "set", nil); err != nil {
		return err
	}
	if c.closed {
		return c.opErr("set", nil, net.ErrClosed)
	}
	c.n.setDeadline(&c.wr, c.h, t, func() {}, "SetWriteDeadline")
	return nil
}

// closePackets closes every datagram socket of h, as an operating system
// closes a dead process's, and returns how many it closed.
func (h *Host) closePackets() int {
	if len(h.pcs) == 0 {
		return 0
	}
	pcs := slices.Clone(h.pcs)
	for _, c := range pcs {
		c.close()
	}
	return len(pcs)
}

func udpOpError(op string, src, dst net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: src, Addr: dst, Err: err}
}

// Faults exemption.

// Exempt exempts port from every fault, on every host: connections to a
// listener on it, and datagrams from or to a socket on it, pass partitions
// and clogs and see no random close, partial read or write, bit flip,
// connect fault, loss, duplication or reordering, and draw nothing for
// them. They still take their latency, and the host's crash or power loss
// ends them as any other. It is for the harness's own control traffic,
// which should see no chaos, not for code under test. It is recorded in
// the timeline and the trace.
func (n *Net) Exempt(port int) {
	if n.exempt == nil {
		n.exempt = make(map[int]bool)
	}
	n.exempt[port] = true
	n.event("port %d exempt from faults", port)
}

// isExempt reports whether port is exempt from faults.
func (n *Net) isExempt(port int) bool { return len(n.exempt) > 0 && n.exempt[port] }
