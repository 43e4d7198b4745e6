package simnet

import (
	"context"
	"errors"
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

// Ephemeral ports, as IANA suggests: for port 0 listens and for the local
// end of dialled connections.
const (
	firstEphemeral = 49152
	lastEphemeral  = 65535
	ephemeralCount = lastEphemeral - firstEphemeral + 1
)

// EphemeralPorts is how many ports a host dials from: a host whose open
// connections hold them all cannot dial.
const EphemeralPorts = ephemeralCount

// Host is one machine of the simulated network. It is the
// [providers.Network] of the process, or test driver, that runs there, and
// [Host.Time] is its clock.
type Host struct {
	n        *Net
	name     string
	id       int
	ip       net.IP // nil when the name is not an IP literal
	steady   bool
	isolated bool
	label    string // SetLabel's; "" for its name
	zone     string // SetLocality's; "" for none
	dc       string // SetLocality's; "" for none

	// listeners holds, by port, the listeners on it: one on every
	// address, or one on each address bound there (bind keeps their
	// addresses apart: binding.overlaps).
	listeners map[int][]*listener
	lns       []*listener // the same, in creation order, for crashes
	conns     []*conn     // open connection ends, for crashes
	off       bool        // the host lost its power and is not back
	ghosts    []*conn     // ends that vanished with the power, until it is back
	syns      []*dial     // connects that reached it while off, retried when on
	nextPort  int
	// dialPortsUsed counts the ephemeral ports that the dialling ends of
	// open connections hold, and dialPorts, once the ports have wrapped
	// around (markDialPorts), has a bit set for each: a dial skips them,
	// and a host with none left cannot dial.
	dialPorts     *[ephemeralCount / 64]uint64
	dialPortsUsed int
	// dialTexts holds, by the address dialled, what a dial's park and
	// its refusal's log line say: a client dials the same few addresses
	// again and again.
	dialTexts map[string]*dialText
	// spareDial is a refused dial, for the next.
	spareDial *dial
	// opening, if set, is called as a task opens a socket on the host
	// (OnOpen).
	opening func(op string)
	// peakDialled is the most connections the host dialled that it held
	// open at once, each holding an ephemeral port (an accepted end holds
	// none); portsOutAt is when its dials first found no ephemeral port
	// free (-1 before), and portsHeld how many its open connections held
	// then.
	peakDialled int
	portsOutAt  int64
	portsHeld   int

	pconns  map[int][]*packetConn // datagram sockets by port, as listeners
	pcs     []*packetConn         // the same, in creation order, for crashes
	nextUDP int
	// pairLat holds, by the id of each later host, one more than the
	// stable extra latency to it, or zero until the pair first talks
	// (Net.pairLatency).
	pairLat []int64

	// The clock: local = sim + skew + sim×drift/1e9.
	skew  int64 // nanoseconds
	drift int64 // parts per billion
	clock providers.Time
}

var _ providers.Network = (*Host)(nil)

// Host returns the host's name: the address others dial, without a port.
func (h *Host) Host() string { return h.name }

func (h *Host) String() string { return h.name }

// SetLocality places h in a zone (an availability zone, a rack) of a data
// center: where the hosts are in two zones or more, a random partition may
// cut one zone off from the rest (chaos.Network.PartitionInterval), and
// packets to hosts in other zones and data centers take
// chaos.Network.ZoneLatency and DataCenterLatency longer. Zone names are
// unique across data centers. "" takes h out of any.
func (h *Host) SetLocality(dataCenter, zone string) { h.dc, h.zone = dataCenter, zone }

// Resolves reports whether a dial from h to name, a host without a port,
// would find its host: a local name, or a host made so far. A program's
// resolver asks it, so that a name no host has fails at its lookup, as
// "no such host" does in production. It changes nothing and draws nothing.
func (h *Host) Resolves(name string) bool { return h.n.lookup(h, name) != nil }

func parseIP(name string) net.IP {
	ip := net.ParseIP(name)
	if ip4 := ip.To4(); ip4 != nil {
		return ip4
	}
	return ip
}

// ephemeral returns the next ephemeral port of h that no listener and no
// open connection's dialling end holds, or 0 when there is none.
func (h *Host) ephemeral() int {
	if h.dialPortsUsed == ephemeralCount {
		return 0
	}
	for range ephemeralCount {
		p := h.nextPort
		h.nextPort++
		if h.nextPort > lastEphemeral {
			h.nextPort = firstEphemeral
			h.markDialPorts()
		}
		if len(h.listeners[p]) == 0 && (h.dialPorts == nil || !h.dialPortHeld(p)) {
			return p
		}
	}
	return 0
}

// markDialPorts starts the record of the ports held by dialled
// connections, when the ports first wrap around: until then every such
// port lies behind nextPort, and most hosts never make the record.
func (h *Host) markDialPorts() {
	if h.dialPorts != nil {
		return
	}
	h.dialPorts = new([ephemeralCount / 64]uint64)
	for _, c := range h.conns {
		if c.dialPort != 0 {
			i := int(c.dialPort) - firstEphemeral
			h.dialPorts[i/64] |= 1 << (i % 64)
		}
	}
}

// dialPortHeld reports whether the dialling end of an open connection
// holds ephemeral port p.
func (h *Host) dialPortHeld(p int) bool {
	if h.dialPorts == nil {
		for _, c := range h.conns {
			if int(c.dialPort) == p {
				return true
			}
		}
		return false
	}
	i := p - firstEphemeral
	return h.dialPorts[i/64]&(1<<(i%64)) != 0
}

// holdDialPort marks ephemeral port p held, or free, by a dialling end.
func (h *Host) holdDialPort(p int, held bool) {
	if held {
		h.dialPortsUsed++
		h.peakDialled = max(h.peakDialled, h.dialPortsUsed)
	} else {
		h.dialPortsUsed--
	}
	if h.dialPorts == nil {
		return
	}
	i := p - firstEphemeral
	if held {
		h.dialPorts[i/64] |= 1 << (i % 64)
	} else {
		h.dialPorts[i/64] &^= 1 << (i % 64)
	}
}

// Listen announces on addr, "host:port", where host is empty, this host's
// name (for a host named by an IP address, that address however written,
// as [::ffff:10.0.0.2] for 10.0.0.2), or a loopback or wildcard address;
// port 0 picks a free ephemeral port.
//
// A listener takes the connects to the address it is bound to, as on
// Linux; the others are refused (ECONNREFUSED). One on a loopback address
// (localhost, 127.0.0.0/8, ::1) is on the loopback interface alone: its
// Addr is that address, and it takes only connects from its own host to
// that address. One on the host's name takes connects to that name, from
// any host, and not its own host's to a loopback address. One on the
// empty host or a wildcard address takes connects to every address of its
// host. The last two carry the host's name in their Addr, so that others
// can dial it.
//
// Listeners on different addresses share a port, as on Linux: one on
// 127.0.0.1 and one on the host's name are two listeners, and a connect
// goes to the one on the address it was sent to. It fails with EADDRINUSE
// when a listener on the same address, or on every address, holds the
// port, or a listener on any address does and this one is on every
// address (there is no SO_REUSEPORT), or a connection this host dialled
// holds it on the same address, or on any when this one is on every
// address.
func (h *Host) Listen(ctx context.Context, addr string) (net.Listener, error) {
	// After the simulation ended, in a test's cleanup, as a closed one.
	if err := h.n.w.EnterUnlessEnded("net listen", net.ErrClosed); err != nil {
		return nil, opError("listen", nil, nil, err)
	}
	h.open("Listen")
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil, opError("listen", nil, nil, err)
	}
	if !isLocalName(host) && !h.isOwnName(host) {
		var a net.Addr = &Addr{Host: host, Port: port}
		if ip := parseIP(host); ip != nil {
			a = &net.TCPAddr{IP: ip, Port: port}
		}
		return nil, opError("listen", nil, a, sysErr("bind", syscall.EADDRNOTAVAIL))
	}
	b := bindingOf(host)
	at := func(port int) net.Addr {
		if b.lo != nil {
			return &net.TCPAddr{IP: b.lo, Port: port}
		}
		return h.addr(port)
	}
	if err := ctx.Err(); err != nil {
		return nil, opError("listen", nil, at(port), ctxError(err))
	}
	if port == 0 {
		if port = h.ephemeral(); port == 0 {
			return nil, opError("listen", nil, at(0), sysErr("bind", syscall.EADDRINUSE))
		}
	} else if overlapsAny(h.listeners[port], b) || h.dialPortOverlaps(port, b) {
		return nil, opError("listen", nil, at(port), sysErr("bind", syscall.EADDRINUSE))
	}
	l := &listener{h: h, port: port, addr: at(port), bind: b}
	l.wakeFn = l.wake
	h.listeners[port] = append(h.listeners[port], l)
	h.lns = append(h.lns, l)
	h.n.w.Log("net: listen on " + addrString(l.addr))
	return l, nil
}

// A boundSocket is a listener or a datagram socket: bound to an address
// of a port, beside the others of its kind on that port, which it never
// overlaps.
type boundSocket interface {
	comparable
	binding() binding
}

func (l *listener) binding() binding   { return l.bind }
func (c *packetConn) binding() binding { return c.bind }

// overlapsAny reports whether one of socks holds an address that b
// overlaps.
func overlapsAny[S boundSocket](socks []S, b binding) bool {
	for _, s := range socks {
		if s.binding().overlaps(b) {
			return true
		}
	}
	return false
}

// takerOf returns the one of socks that takes what is sent to the
// loopback address to (nil: to the host's own address), or the zero S:
// the most specific there is, as they do not overlap.
func takerOf[S boundSocket](socks []S, to net.IP) S {
	for _, s := range socks {
		if s.binding().takes(to) {
			return s
		}
	}
	var none S
	return none
}

// unbind takes s out of the sockets on port in m.
func unbind[S boundSocket](m map[int][]S, port int, s S) {
	if rest := slices.DeleteFunc(m[port], func(x S) bool { return x == s }); len(rest) > 0 {
		m[port] = rest
	} else {
		delete(m, port)
	}
}

// dialPortOverlaps reports whether the dialling end of an open connection
// of h holds port on an address that b overlaps. As on Linux, where the
// connection's socket is bound to the address it was dialled from and
// has no SO_REUSEADDR, a listener cannot have that address's port, nor
// every address's, and can have another address's.
func (h *Host) dialPortOverlaps(port int, b binding) bool {
	if port < firstEphemeral || !h.dialPortHeld(port) {
		return false
	}
	for _, c := range h.conns {
		if int(c.dialPort) == port && c.binding().overlaps(b) {
			return true
		}
	}
	return false
}

// ConnectTimeout is how long a connect that gets no answer waits before
// it fails with ETIMEDOUT, as Linux's does: the first SYN, then
// tcp_syn_retries (6) plus tcp_syn_linear_timeouts (4) retransmissions,
// five 1 s apart and the rest backing off from 2 s to 64 s, and 64 s more
// for the last. That is Linux 6.5 and later with the default settings;
// before 6.5, without the linear retransmissions, it was 127 s.
const ConnectTimeout = 131 * time.Second

// A dial is one connect in progress.
type dial struct {
	h      *Host
	dst    *Host
	port   int
	raddr  net.Addr
	lo     net.IP // the loopback address dialled, or nil for the host's own
	tok    providers.WaitToken
	exempt bool // the port is exempt from faults
	done   bool
	gaveUp bool // the dialler's context ended first, or the connect timed out
	// timedOut: the connect went unanswered for ConnectTimeout.
	timedOut bool
	// start is when the connect began; ctx is the dialler's, while it
	// waits; timer, armed once the connect is held (holdConnect), ends
	// it at start+ConnectTimeout.
	start    int64
	ctx      context.Context
	timer    *sim.Timer
	conn     *conn
	accepted *conn // the dialler's end, once the listener took the connect
	refused  bool
	// onLoopback is the address of the listener that held the port on
	// the loopback alone of the host a refused connect was sent to: the
	// refusal's log line names it, the usual cause of the refusal.
	onLoopback net.Addr
	noPort     bool      // the dialling host had no ephemeral port free
	space      addrSpace // raddr's
}

// The steps of a dial that a packet carries (Net.packet): a dial
// sends two packets, and its steps need no callback of their own.
type dialStep uint8

const (
	stepArrive    dialStep = iota + 1 // the connect reaches the listening host
	stepBounce                        // a connect fault: it comes back refused
	stepRefuse                        // the refusal reaches the dialler
	stepConnected                     // the acceptance reaches the dialler
)

// do runs step of d.
func (d *dial) do(step dialStep) {
	switch step {
	case stepArrive:
		d.arrive()
	case stepBounce:
		d.h.n.packet(d.dst, d.h, false, d, stepRefuse)
	case stepRefuse:
		d.refuse()
	case stepConnected:
		c := d.accepted
		d.accepted = nil
		if d.gaveUp {
			// Nobody will use the connection: the dialler's host
			// answers with a reset, as in dial.finish.
			d.abandon(c)
			return
		}
		d.conn = c
		d.finish()
	}
}

// Dial connects to addr, "host:port". The host is a host of the network
// (one named by an IP address also by that address however written, as
// [::ffff:10.0.0.2] for 10.0.0.2), or empty, localhost or a loopback or
// wildcard address for this host. The connect takes a round trip: the dial
// returns when the answer comes back; the peer's Accept can return the
// connection half a round trip earlier.
//
// A dial to a loopback or wildcard address goes over the loopback
// interface, as on Linux: both ends of its connection report loopback
// addresses (127.0.0.1, or ::1 for an IPv6 one), and it reaches a listener
// on that loopback address, which a dial to the host's name does not, and
// not one on the host's name.
//
// A connect that finds the listener's backlog full waits, as on Linux,
// until an Accept makes room.
//
// It fails with ECONNREFUSED when nobody listens on the port, with
// EADDRNOTAVAIL when every ephemeral port of this host holds an open
// connection, with a *net.DNSError for a name no host has, with
// ETIMEDOUT, as Linux's connect does, when no answer comes back within
// [ConnectTimeout] (a partition, a clog, a host without power, a connect
// fault that hangs, a backlog that stays full, or an IP address no host
// holds, which is not looked up), and with a timeout or cancellation error
// when ctx ends first (a timeout in either of package net's shapes: see
// dial.ctxError).
func (h *Host) Dial(ctx context.Context, addr string) (net.Conn, error) {
	if err := h.n.w.EnterUnlessEnded("net dial", net.ErrClosed); err != nil {
		return nil, opError("dial", nil, nil, err)
	}
	h.open("Dial")
	n := h.n
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil, opError("dial", nil, nil, err)
	}
	dst := n.lookup(h, host)
	if dst == nil {
		if a, ok := parseLocal(host); ok {
			return h.dialNowhere(ctx, addr, a, port)
		}
		return nil, opError("dial", nil, nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true})
	}
	d := h.spareDial
	if d != nil {
		h.spareDial = nil
		*d = dial{h: h, dst: dst, port: port, exempt: n.isExempt(port), start: n.now(), ctx: ctx}
	} else {
		d = &dial{h: h, dst: dst, port: port, exempt: n.isExempt(port), start: n.now(), ctx: ctx}
	}
	defer d.stopGiveUp()
	if d.lo = dialLoopback(host); d.lo != nil {
		d.space.tcp = net.TCPAddr{IP: d.lo, Port: port}
		d.raddr = &d.space.tcp
	} else {
		d.raddr = dst.addrIn(port, &d.space)
	}
	if err := d.refusedAtOnce(ctx); err != nil {
		return nil, err
	}
	n.tick()
	var fail, hang bool
	if !d.exempt {
		fail, hang = n.connectFault()
	}
	switch {
	case hang:
		n.event("connect %s -> %s hangs", h.name, d.raddr)
		d.holdConnect()
		// Every SYN is lost while the fault lasts, as to a partition
		// that holds this connect alone: Heal ends it, and the next
		// retransmission goes through.
		n.holdUntil(0, d.healed).hung = d
	case fail:
		n.event("connect %s -> %s refused", h.name, d.raddr)
		n.packet(h, dst, false, d, stepBounce)
	default:
		n.packet(h, dst, d.exempt, d, stepArrive)
	}
	if err := d.await(ctx, addr); err != nil {
		return nil, err
	}
	if d.noPort {
		h.spareDial = d
		return nil, noPortError(d.raddr)
	}
	if d.refused {
		t := h.dialText(addr, d.raddr)
		if d.onLoopback != nil {
			n.w.Log(t.refused + ": " + d.dst.name + " listens on " + addrString(d.onLoopback) +
				" alone, which only its own host reaches; listen on \":" + strconv.Itoa(d.port) + "\" or the host's address to take connects from others")
		} else {
			n.w.Log(t.refused)
		}
		// Nothing holds a refused dial any more (its packets have
		// arrived, and its error is the address's): the host's next
		// dial takes it.
		h.spareDial = d
		return nil, t.refusal(d.raddr)
	}
	n.w.Log(d.conn.connectedText())
	return d.conn, nil
}

// dialNowhere is Dial to a, an IP address no host holds. Package net
// looks no IP address up: its connect goes out, and nobody answers it. So
// the dial waits, as a connect that hangs does, until ctx ends or the
// connect times out with ETIMEDOUT after [ConnectTimeout]. It draws
// nothing.
func (h *Host) dialNowhere(ctx context.Context, addr string, a netip.Addr, port int) (net.Conn, error) {
	n := h.n
	d := &dial{h: h, port: port, start: n.now(), ctx: ctx}
	defer d.stopGiveUp()
	d.space.tcp = net.TCPAddr{IP: net.IP(a.AsSlice()), Port: port, Zone: a.Zone()}
	d.raddr = &d.space.tcp
	if err := d.refusedAtOnce(ctx); err != nil {
		return nil, err
	}
	n.log("connect %s -> %s goes unanswered: no host has that address", h.name, d.raddr)
	d.holdConnect()
	return nil, d.await(ctx, addr) // never done: only the context or the give-up ends it
}

// refusedAtOnce is the error of dial d before its connect goes out: ctx
// has ended, or every ephemeral port of the host holds a connection. It
// is nil when the connect may go.
func (d *dial) refusedAtOnce(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return opError("dial", nil, d.raddr, ctxError(err))
	}
	if d.h.dialPortsUsed == ephemeralCount {
		d.h.outOfPorts()
		return noPortError(d.raddr)
	}
	return nil
}

// outOfPorts tells the timeline, the first time h's dials find no
// ephemeral port free, how many its open connections hold and what
// usually holds them: every dial fails with EADDRNOTAVAIL from then on,
// and a client that retries leaves no other mark of it. It is a log
// line: the trace stays as it was.
func (h *Host) outOfPorts() {
	if h.portsOutAt >= 0 {
		return
	}
	h.portsOutAt, h.portsHeld = h.n.now(), h.dialPortsUsed
	h.n.log("host %s has no free ephemeral port: %d of them held by connections it dialled that are still open, and its dials fail with EADDRNOTAVAIL until some close; "+
		"connections never closed (dropped without Close) are the usual cause", h.name, h.dialPortsUsed)
}

// await waits until d's connect is done, refused or answered, and is nil
// then; it fails with ctx's error, in package net's shapes (ctxError), when
// ctx ends first, and with ETIMEDOUT when the connect gives up after
// [ConnectTimeout]. addr names the dial on the timeline.
func (d *dial) await(ctx context.Context, addr string) error {
	n := d.h.n
	for !d.done {
		d.tok = n.park.WaitToken()
		if err := n.park.Park(ctx, d.tok, d.h.dialText(addr, d.raddr).wait); err != nil && !d.done {
			d.gaveUp = true
			return opError("dial", nil, d.raddr, d.ctxError(ctx, err))
		}
		if d.timedOut {
			return opError("dial", nil, d.raddr, sysErr("connect", syscall.ETIMEDOUT))
		}
	}
	return nil
}

// ctxError is the error of d, whose connect was on the wire when ctx
// ended with err. Package net's connect waits on the socket's write
// deadline, set to the context's, and on the context's end, and which of
// the two ends the wait first is a race: the poller's deadline gives
// os.ErrDeadlineExceeded, the context net's own "i/o timeout", which
// matches context.DeadlineExceeded. Only Timeout() is true of both. The
// dial takes one or the other from a hash of the run's seed, its host and
// its start and deadline: a seed replays its choice, and nothing is drawn
// from the run's stream.
func (d *dial) ctxError(ctx context.Context, err error) error {
	if !errors.Is(err, context.DeadlineExceeded) {
		return ctxError(err)
	}
	dl, _ := sim.WorldDeadline(ctx)
	x := d.h.n.w.Seed() ^ uint64(d.h.id)<<48 ^ uint64(d.start)*0x9e3779b97f4a7c15 ^ uint64(dl.UnixNano())
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	if (x^x>>31)&1 == 0 {
		return os.ErrDeadlineExceeded
	}
	return ctxError(err)
}

// noPortError is the error of a dial to raddr from a host whose every
// ephemeral port holds an open connection, as package net words it.
func noPortError(raddr net.Addr) error {
	return opError("dial", nil, raddr, sysErr("connect", syscall.EADDRNOTAVAIL))
}

// dialText is what a dial of addr, at raddr, says.
type dialText struct {
	wait    string // the park's
	refused string // the log's line when it is refused
	// refusedErr is the error of a refused dial, made when first needed:
	// a client dials a replica that is down again and again. Its address
	// lives in space.
	refusedErr error
	space      addrSpace
}

// refusal returns the error of a refused dial to raddr.
func (t *dialText) refusal(raddr net.Addr) error {
	if t.refusedErr == nil {
		var a net.Addr
		switch r := raddr.(type) {
		case *net.TCPAddr:
			t.space.tcp = *r
			a = &t.space.tcp
		case *Addr:
			t.space.name = *r
			a = &t.space.name
		}
		t.refusedErr = opError("dial", nil, a, sysErr("connect", syscall.ECONNREFUSED))
	}
	return t.refusedErr
}

// dialText returns what a dial from h to addr, at raddr, says, made once
// for each of the first few addresses h dials.
func (h *Host) dialText(addr string, raddr net.Addr) *dialText {
	if t := h.dialTexts[addr]; t != nil {
		return t
	}
	t := &dialText{wait: "net dial " + addr, refused: "net: connect " + h.name + " -> " + addrString(raddr) + " refused"}
	if h.dialTexts == nil {
		h.dialTexts = make(map[string]*dialText)
	}
	if len(h.dialTexts) < maxDialTexts {
		h.dialTexts[addr] = t
	}
	return t
}

// maxDialTexts bounds the addresses whose dialText a host keeps.
const maxDialTexts = 64

// arrive runs when the connect reaches the listening host.
func (d *dial) arrive() {
	n, dst := d.h.n, d.dst
	if d.gaveUp {
		return
	}
	if dst.off {
		// A host without power answers nothing: the dial hangs, and its
		// connect is sent again when the host is back (TCP retransmits).
		dst.syns = append(dst.syns, d)
		d.holdConnect()
		return
	}
	l := takerOf(dst.listeners[d.port], d.lo)
	if l == nil || l.closed {
		// No listener on the address dialled: a listener on a loopback
		// address is not on the host's own, nor one on the host's own
		// address on its loopback.
		if d.lo == nil {
			for _, l := range dst.listeners[d.port] {
				if l.bind.lo != nil && !l.closed {
					d.onLoopback = l.addr
				}
			}
		}
		n.packet(dst, d.h, d.exempt, d, stepRefuse)
		return
	}
	if len(l.queue) >= n.backlog {
		// Linux drops a SYN that finds the accept queue full
		// (tcp_abort_on_overflow is 0): the dialler retransmits until
		// there is room or its connect times out.
		n.log("connect %s -> %s waits: the backlog is full", d.h.name, d.raddr)
		l.hold(d)
		return
	}
	lport := d.h.ephemeral()
	if lport == 0 {
		// Every port of the dialler is taken (by connects that arrived
		// since it dialled): its connect cannot be made.
		d.noPort = true
		d.h.outOfPorts()
		n.packet(dst, d.h, d.exempt, d, stepRefuse)
		return
	}
	c, s := n.newConn(d.h, dst, lport, d.port, d.raddr, d.lo)
	l.queue = append(l.queue, s)
	n.wakeAll(&l.waiters)
	d.accepted = c
	n.packet(dst, d.h, d.exempt, d, stepConnected)
}

// holdConnect is called when the connect of d, or its answer, is held (by
// a cut, a clog, a host without power or a hanging connect fault): it
// arms the give-up at start+ConnectTimeout, unless the dialler's context
// ends by then anyway. The timer is quiet (sim.World.ArmQuiet): a connect
// answered in time leaves the run's trace as it was. The context's end is
// the world's, in simulated time: its deadline may be on the dialling
// host's clock, the world's, or another host's.
func (d *dial) holdConnect() {
	// Over includes a Dial that returned, unwinding a dialler killed
	// while its connect was on the wire: nobody is left to give up.
	if d.over() || d.timer != nil {
		return
	}
	at := d.start + int64(ConnectTimeout)
	if dl, ok := sim.WorldDeadline(d.ctx); ok && sim.SinceEpoch(dl) <= at {
		return
	}
	n := d.h.n
	d.timer = new(sim.Timer)
	n.w.ArmQuiet(d.timer, time.Duration(at-n.now()), d.timeOut)
}

// resend sends d's connect again at the dialler's next retransmission of
// its SYN, unless the dial is over by then: a full backlog made room, its
// listener closed, or its host came back.
func (d *dial) resend() {
	n := d.h.n
	n.schedule(synAt(d.start, n.now()), func() {
		if !d.over() {
			n.packet(d.h, d.dst, d.exempt, d, stepArrive)
		}
	})
}

// healed sends d's connect, hung by a connect fault that Heal ended, at
// its dialler's next retransmission of the SYN.
func (d *dial) healed() {
	if !d.over() {
		d.resend()
	}
}

// synAt is the first retransmission at t or later of a SYN first sent at
// start, as Linux sends them (see ConnectTimeout): 1, 2, 3, 4, 5, 7, 11,
// 19, 35 and 67 s after it; past the last, the give-up at
// start+ConnectTimeout. A listener's answer lost to a partition comes
// back at the same times: the SYN sent again draws it again.
func synAt(start, t int64) int64 {
	at, rto := start, int64(time.Second)
	for k := 1; at < t; k++ {
		if k == 11 {
			return start + int64(ConnectTimeout)
		}
		if k > 5 {
			rto *= 2
		}
		at += rto
	}
	return at
}

// timeOut ends a connect that went unanswered for ConnectTimeout.
func (d *dial) timeOut() {
	if d.done || d.gaveUp {
		return
	}
	d.gaveUp, d.timedOut = true, true
	n := d.h.n
	n.event("connect %s -> %s timed out after %v", d.h.name, d.raddr, ConnectTimeout)
	n.park.Wake(d.tok)
}

// stopGiveUp disarms the give-up when Dial returns, however it does (a
// dialling task killed in a crash unwinds through it): a timer left to
// fire would change the trace of a run that never needed it.
func (d *dial) stopGiveUp() {
	if d.timer != nil {
		d.timer.Stop()
	}
	d.ctx = nil
}

// over reports whether nobody waits for d's answer any more: it was
// answered, its dialler gave up, or Dial returned without it (a dialler
// killed in a crash, whose socket went with it: its connect is not sent
// again).
func (d *dial) over() bool { return d.done || d.gaveUp || d.ctx == nil }

func (d *dial) refuse() {
	if d.gaveUp {
		return
	}
	d.refused = !d.noPort
	d.finish()
}

func (d *dial) finish() {
	d.done = true
	if !d.h.n.park.Wake(d.tok) && d.conn != nil {
		// The dialling task is gone (killed, as in a crash): nobody will
		// use the connection, and its host answers the peer with a reset.
		d.abandon(d.conn)
	}
}

// abandon ends c, which nobody will use: with a reset, or in silence when
// its host has no power.
func (d *dial) abandon(c *conn) {
	if d.h.off {
		c.vanish()
	} else {
		c.kill()
	}
}

// Time returns the host's clock: the simulation's, offset by the host's
// skew and running at its drift, whose sleeps and timers may take longer
// than asked (chaos.Network's SleepDelayProb). A steady host's clock is the
// simulation's own. Give it, with the host, to the code that runs there:
// connection deadlines on this host are times on this clock.
// OnOpen has f called as a task opens a socket on the host (Listen, Dial,
// ListenPacket), with the operation's name, before anything is opened:
// simtest fails a process that opens one on the test driver's host.
func (h *Host) OnOpen(f func(op string)) { h.opening = f }

func (h *Host) open(op string) {
	if h.opening != nil {
		h.opening(op)
	}
}

func (h *Host) Time() providers.Time {
	if h.clock == nil {
		if h.steady {
			h.clock = h.n.clock
		} else {
			h.clock = &hostClock{h: h, base: h.n.clock}
		}
	}
	return h.clock
}

// Crash ends the host's sockets as an operating system ends those of a
// process that died: each connection is closed as Close would, with a FIN
// (the peer reads what was sent, then EOF) when this end had read all that
// arrived, and with a reset (ECONNRESET) when data arrived here unread;
// data that arrives later is answered with a reset. Its listeners close,
// resetting connections not yet accepted. The host's ports are free again
// afterwards.
func (h *Host) Crash() { h.Exit("crashed") }

// Exit ends the host's sockets as [Host.Crash] does, for a process that
// ended another way: an operating system closes a process's sockets alike
// whether it crashed, was killed or returned. how says which for the
// timeline ("crashed", "stopped gracefully", "killed").
func (h *Host) Exit(how string) {
	n := h.n
	open, lns := len(h.conns), len(h.lns)
	resets := open
	for _, l := range slices.Clone(h.lns) {
		l.close(false) // resets the connections not accepted
	}
	conns := h.conns
	h.conns = nil
	resets -= len(conns)
	for _, c := range conns {
		c.hidx = -1 // off the list already, so close's unlink does nothing
		if c.close() {
			resets++
		}
	}
	if h.conns == nil {
		// The next boot's connections fill the same array.
		clear(conns)
		h.conns = conns[:0]
	}
	n.hostEvent(h, how, "@: # connection* closed, # of them reset; # listener* closed", open, resets, lns)
	if pcs := h.closePackets(); pcs > 0 {
		n.hostEvent(h, how, "@: # datagram socket* closed", pcs)
	}
}

// PowerOff cuts the host's power: its connections and listeners vanish
// without a word to the peers, which learn of it only from their own
// timeouts and keep-alive probes, or from a reset when they next send or
// probe after [Host.PowerOn]. While it is off, what is sent to it is not
// acknowledged (it stays in the sender's buffer, and the sender gives up
// on it after [RetransmitTimeout]) and connects to it wait, failing with
// ETIMEDOUT after [ConnectTimeout].
func (h *Host) PowerOff() {
	n := h.n
	h.off = true
	n.hostEvent(h, "", "lost power: # connection* and # listener* vanished", len(h.conns), len(h.lns))
	for _, l := range slices.Clone(h.lns) {
		l.close(true)
	}
	conns := h.conns
	h.conns = nil
	for _, c := range conns {
		c.hidx = -1
		c.vanish()
	}
	for _, c := range conns {
		n.watchKeepAlive(c.peer, 0)
	}
	if pcs := h.closePackets(); pcs > 0 {
		n.hostEvent(h, "", "lost power: # datagram socket* closed", pcs)
	}
}

// PowerOn brings the host back after [Host.PowerOff]. Its old connections
// have no socket any more: a peer still waiting for the acknowledgement
// of data or a FIN gets a reset when its next retransmission arrives;
// the others get theirs at their next keep-alive probe, or when they
// next send if their probes are off, and a peer that gave up or was
// reset gets nothing. Connects that are still waiting are sent again at
// their diallers' next retransmissions of the SYN, and refused or
// accepted as any other. It does nothing to a host that has power.
func (h *Host) PowerOn() {
	if !h.off {
		return
	}
	h.off = false
	ghosts, syns := h.ghosts, h.syns
	h.ghosts, h.syns = nil, nil
	h.n.event("host %s powered on", h.name)
	for _, c := range ghosts {
		// A peer waits for an acknowledgement while its give-up is
		// armed; one that gave up, or was reset, sends nothing more.
		// A closed one is an orphan with nobody to tell: its own
		// give-up (OrphanTimeout) ends it as the reset would, unseen.
		if c.peer.retxArmed && !c.peer.closed {
			c.resetAtRetransmit()
		}
	}
	for _, d := range syns {
		d.resend()
	}
	h.n.settleKeepAlives(h.n.now())
}

// resetAtRetransmit answers the peer's next retransmission of what it
// waits to have acknowledged with a reset, as a host that lost c's socket
// does, if the peer still waits then and the host still has power.
func (c *conn) resetAtRetransmit() {
	n, p := c.n, c.peer
	since, ok := p.out.unackedSince()
	if !ok {
		return
	}
	n.schedule(retransmitAt(since, n.now()), func() {
		if p.retxArmed && !p.closed && !c.h.off {
			c.noSocket()
		}
	})
}
