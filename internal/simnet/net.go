package simnet

import (
	"fmt"
	"iter"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/rng"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// Net is the simulated network of one world: its hosts, their listeners and
// connections, and the faults in force. Like the world, it is used from one
// task at a time and needs no locking.
type Net struct {
	w       *sim.World
	park    sim.Parker
	rng     *rng.Stream
	clock   providers.Time // the world's own clock
	cfg     chaos.Network
	sendBuf int
	backlog int
	// The datagram limits: the largest payload, a socket's buffer.
	dgramMax int
	dgramBuf int
	exempt   map[int]bool // ports exempt from faults (Exempt)

	hosts  []*Host // in creation order; a host's id is its index
	byName map[string]*Host
	byIP   map[netip.Addr]*Host // hosts named by their IP, as package net prints it

	// Cuts made through the manual API: ordered host pairs, and isolated
	// hosts. manual counts both, so that the common case skips the map.
	cuts   map[uint64]bool
	manual int
	// The random partition in force, if any, and when the next one starts
	// (-1 until drawn).
	random        *partition
	nextPartition int64
	clogs         map[uint64]int64 // ordered host pair → clogged until
	slows         map[uint64]int64 // ordered host pair → a slow link's extra latency, ns
	// Deliveries and connects held by a cut or a clog, in the order they
	// were held; Heal retries them at once. Entries whose hold ended are
	// dropped now and then (heldCap).
	held    []*hold
	heldCap int
	// Pipes whose acknowledgements a cut holds (pipe.ack), for Heal and
	// the end of a random partition to let go; entries let go otherwise
	// are dropped now and then (acksCap).
	acks    []*pipe
	acksCap int
	// Ends whose keep-alive probes a fault leaves unanswered
	// (watchKeepAlive), for Heal, the end of a random partition and
	// PowerOn to look at again; entries let go otherwise are dropped
	// now and then (probingCap).
	probing    []*conn
	probingCap int
	packets    []*packet // spares (Net.packet)
	// Spares of datagrams in flight (packetConn.send) and of their
	// payloads, which go back when the datagram is read or dropped.
	arrivals  []*arrival
	dgramBufs [][]byte
	bufs      [][]byte // spare ring buffers of closed connections (pipe.grow)
	segs      [][]seg  // spare segment queues of closed connections (pipe.push)

	closeQuietUntil int64 // random closes are in cooldown until then
	// idleUntil: tick has nothing to do before then. Zero makes it look;
	// whatever changes the partitions, the pause or the configuration
	// outside tick sets it so.
	idleUntil int64
	paused    bool // no fault is drawn (Pause)
	nextConn  uint64
}

// partition is a random partition: side[id] tells which group a host is in.
type partition struct {
	side   []bool // true: the first group
	oneWay bool   // only the first group's packets to the second are cut
	until  int64
}

// New returns the network of w with the faults of cfg, or an error naming
// each bad setting of cfg. It draws nothing from the run's stream: draws
// happen as the network is used, in the order documented in the package
// comment.
func New(w *sim.World, cfg chaos.Network) (*Net, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("simnet: bad network configuration: %w", err)
	}
	n := &Net{
		w:             w,
		park:          w.Parker(),
		rng:           w.Rand(),
		clock:         w.Providers().Time,
		byName:        make(map[string]*Host),
		nextPartition: -1,
	}
	n.setConfig(cfg)
	w.StillNote(n.stillNote)
	w.OnBranch(n.branched)
	return n, nil
}

// branched forgets the start of the next random partition, drawn ahead,
// so that the next look draws it again from the branch's source: an
// exploration that branches after the draw can bring the partition sooner
// or later. The wait before a partition is exponential, so one drawn
// afresh from any moment is as likely as the rest of the one drawn
// before; a partition in force keeps its end.
func (n *Net) branched() {
	n.nextPartition = -1
	n.idleUntil = 0
}

// stillNote is the network's word on a run whose clock stood still at
// one instant: with no latency, data crosses in no simulated time.
func (n *Net) stillNote() string {
	if l := n.cfg.Latency; l.Fast.Max > 0 || l.SlowProb > 0 || n.cfg.MaxPairLatency > 0 {
		return ""
	}
	return "The network has no latency (chaos.Network's Latency and MaxPairLatency are zero, as in chaos.Network{}): " +
		"data crosses it in no simulated time, so a loop that waits for time to pass while data flows never sees it pass. " +
		"Give the network latency: chaos.NoNetworkFaults(), or set Latency."
}

func (n *Net) setConfig(cfg chaos.Network) {
	n.cfg = cfg
	n.idleUntil = 0
	n.sendBuf = orDefault(cfg.SendBuffer, chaos.DefaultSendBuffer)
	n.backlog = orDefault(cfg.Backlog, chaos.DefaultBacklog)
	n.dgramMax = orDefault(cfg.MaxDatagramSize, chaos.DefaultMaxDatagramSize)
	n.dgramBuf = orDefault(cfg.DatagramBuffer, chaos.DefaultDatagramBuffer)
}

// orDefault returns v, or def when v is zero.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Host returns the host called name, making it on first use; name is an IP
// literal ("10.0.0.1") or a DNS-like name, not "localhost" or a loopback or
// wildcard address. A new host's clock gets a skew and a drift drawn from
// the configuration, and its sleeps may be delayed (see [Host.Time]).
func (n *Net) Host(name string) *Host { return n.host(name, false, nil) }

// HostOnClockOf is [Net.Host] for a host that is to read of's clock
// ([Host.ShareClock]): if it makes the host, the timeline's line of the
// clock the host draws says the draw goes unused. It draws as Host does,
// and the trace hashes the line as Host's, so traces are as they were.
func (n *Net) HostOnClockOf(name string, of *Host) *Host { return n.host(name, false, of) }

// SteadyHost is [Net.Host] for a host whose clock is the simulation's own:
// no skew, no drift, no delayed sleeps. The test driver is one, so that the
// deadlines it computes from simulated time mean what they say. It panics if
// name is already a host with a drifting clock.
func (n *Net) SteadyHost(name string) *Host { return n.host(name, true, nil) }

// SetLabel has the timeline's lines of random partitions name h as label
// rather than by its name: a report names the test driver "driver", not
// by its host's address. The trace hashes the lines with the name, so
// the traces stay as they were. A line of a fault made by hand names the
// hosts as its caller did.
func (h *Host) SetLabel(label string) { h.label = label }

// shown is what the timeline's lines of random partitions call h.
func (h *Host) shown() string {
	if h.label != "" {
		return h.label
	}
	return h.name
}

// Hosts returns the names of the hosts made so far, in the order they
// were made.
func (n *Net) Hosts() []string {
	names := make([]string, len(n.hosts))
	for i, h := range n.hosts {
		names[i] = h.name
	}
	return names
}

// HostConns is what the connections a host dialled came to in a run:
// those hold its ephemeral ports, and a connection counts once, on the
// host that dialled it (an accepted end holds no port).
type HostConns struct {
	Host string
	// Open counts the connections the host dialled that are open now at
	// both ends: one whose peer closed, its close still on its way, is
	// not counted.
	Open int
	Peak int // the most it dialled held open at once
	// OutOfPorts is when the host's dials first found no ephemeral port
	// free, and PortsHeld how many its open connections held then; -1
	// and 0 if that never happened.
	OutOfPorts time.Duration
	PortsHeld  int
}

// Conns returns, for each host made so far in the order they were made,
// the connections it dialled that are open, their high-water mark, and
// when it ran out of ephemeral ports: connections a program never closes
// show here, though no fault does.
func (n *Net) Conns() []HostConns {
	cs := make([]HostConns, len(n.hosts))
	for i, h := range n.hosts {
		open := 0
		for _, c := range h.conns {
			if c.dialPort != 0 && !c.closed && (c.peer == nil || !c.peer.closed) {
				open++
			}
		}
		cs[i] = HostConns{Host: h.name, Open: open, Peak: h.peakDialled, OutOfPorts: time.Duration(h.portsOutAt), PortsHeld: h.portsHeld}
	}
	return cs
}

// Config returns the configuration the network acts on now.
func (n *Net) Config() chaos.Network { return n.cfg }

func (n *Net) host(name string, steady bool, clockOf *Host) *Host {
	if h, ok := n.byName[name]; ok {
		if steady && !h.steady {
			panic(fmt.Sprintf("simnet: SteadyHost(%q): the host already exists with a drifting clock; make it with SteadyHost first", name))
		}
		return h
	}
	if !validHostName(name) {
		panic(fmt.Sprintf("simnet: %q cannot name a host; use an IP literal such as \"10.0.0.1\" or a name of letters, digits, '-', '.' and '_' (not localhost or a loopback or wildcard address)", name))
	}
	h := &Host{
		n:          n,
		name:       name,
		id:         len(n.hosts),
		ip:         parseIP(name),
		steady:     steady,
		listeners:  make(map[int][]*listener),
		nextPort:   firstEphemeral,
		portsOutAt: -1,
	}
	n.hosts = append(n.hosts, h)
	n.byName[name] = h
	if h.ip != nil && h.ip.String() == name {
		if n.byIP == nil {
			n.byIP = make(map[netip.Addr]*Host)
		}
		a, _ := netip.AddrFromSlice(h.ip)
		n.byIP[a.Unmap()] = h
	}
	if !steady {
		h.drawClock(clockOf)
	}
	return h
}

// lookup resolves the host part of an address dialled from h.
func (n *Net) lookup(from *Host, name string) *Host {
	if isLocalName(name) {
		return from
	}
	if h := n.byName[name]; h != nil {
		return h
	}
	// A host named by an IP address is at that address however it is
	// written, as mapped into IPv6 ([::ffff:10.0.0.2]): package net
	// connects to that on an IPv4 socket.
	if a, ok := parseLocal(name); ok {
		return n.byIP[a]
	}
	return nil
}

// now is the simulated time in nanoseconds since the start of the run.
func (n *Net) now() int64 { return int64(n.w.Now()) }

// after calls fn at simulated time at.
func (n *Net) after(at int64, fn func()) func() bool {
	return n.w.After(time.Duration(at-n.now()), fn)
}

// takeSpare takes the last of spares, if there is one.
func takeSpare[T any](spares *[]T) (T, bool) {
	var zero T
	k := len(*spares)
	if k == 0 {
		return zero, false
	}
	t := (*spares)[k-1]
	(*spares)[k-1] = zero
	*spares = (*spares)[:k-1]
	return t, true
}

// schedule calls fn at simulated time at; it cannot be cancelled, and
// allocates nothing in steady state.
func (n *Net) schedule(at int64, fn func()) {
	n.w.Schedule(time.Duration(at-n.now()), fn)
}

// event records a fault in the run's timeline and trace hash.
func (n *Net) event(format string, args ...any) {
	n.w.Event(n.w.CurrentTask(), "net: "+fmt.Sprintf(format, args...))
}

// ownEvent is event for a fault the network starts or ends on its own
// schedule, a random partition: it is stamped with no task, since the task
// whose operation happened to notice that the time had come did not cause
// it. The trace hashes only the message, so the traces are as they were.
func (n *Net) ownEvent(format string, args ...any) {
	n.w.Event("", "net: "+fmt.Sprintf(format, args...))
}

// hostEvent records what became of a host's sockets as its process
// ended, told from pattern: "@" stands for how it ended, "#" for the next
// of counts, and "*" for the plural's "s" of the thing the last "#"
// counted ("# listener* closed"). The trace hashes the event as it read
// before it was told so exactly: every way of ending as the crash it was
// once told as (the sockets end alike), every count with its "s", so
// that the traces stay as they were (sim.World.EventKeyed). Both texts
// are made in one buffer, one string for the two.
func (n *Net) hostEvent(h *Host, how, pattern string, counts ...int) {
	var buf [256]byte
	b := buf[:0]
	k := 0
	for _, exact := range [2]bool{false, true} {
		b = append(b, "net: host "...)
		b = append(b, h.name...)
		b = append(b, ' ')
		i, last := 0, 0
		for j := 0; j < len(pattern); j++ {
			switch c := pattern[j]; {
			case c == '@' && exact:
				b = append(b, how...)
			case c == '@':
				b = append(b, "crashed"...)
			case c == '#':
				last = counts[i]
				b = strconv.AppendInt(b, int64(last), 10)
				i++
			case c == '*':
				if last != 1 || !exact {
					b = append(b, 's')
				}
			default:
				b = append(b, c)
			}
		}
		if !exact {
			k = len(b)
		}
	}
	s := string(b)
	n.w.EventKeyed(n.w.CurrentTask(), s[:k], s[k:])
}

// PeerLostPower ends the line of a connection given up on (its data
// unacknowledged, its keep-alive probes unanswered) whose peer's end
// vanished with its host's power: the give-up echoes the power loss, and
// is no fault of the network's own.
const PeerLostPower = "; its peer's host had lost power"

// giveUpEvent records that c gave up on its connection, as format says;
// when the peer's end vanished with its host's power, the line says so.
// The trace hashes the line without it, so the traces are as they were.
func (n *Net) giveUpEvent(c *conn, format string, args ...any) {
	key := "net: " + fmt.Sprintf(format, args...)
	msg := key
	if c.peer != nil && c.peer.gone {
		msg += PeerLostPower
	}
	n.w.EventKeyed(n.w.CurrentTask(), key, msg)
}

// log records a happening of the network in the timeline only.
func (n *Net) log(format string, args ...any) {
	n.w.Log("net: " + fmt.Sprintf(format, args...))
}

// Manual faults. Each is recorded in the timeline and the trace.

// Partition cuts every host of a from every host of b, both ways, until
// [Net.Heal]. Traffic across the cut waits; connects across it hang.
func (n *Net) Partition(a, b []string) {
	n.cut(a, b, true)
	n.event("partition %s | %s", names(a), names(b))
	n.watchKeepAlives(0)
}

// PartitionOneWay cuts the packets from every host of from to every host of
// to, until [Net.Heal]; the other direction still flows. A connect needs
// both directions, so connects between the groups hang either way.
func (n *Net) PartitionOneWay(from, to []string) {
	n.cut(from, to, false)
	n.event("partition one way %s -> %s", names(from), names(to))
	n.watchKeepAlives(0)
}

func (n *Net) cut(a, b []string, both bool) {
	if n.cuts == nil {
		n.cuts = make(map[uint64]bool)
	}
	for hx, hy := range n.pairs(a, b) {
		n.addCut(pairKey(hx, hy))
		if both {
			n.addCut(pairKey(hy, hx))
		}
	}
}

// pairs yields each host of a with each host of b, made if need be, but
// for a host with itself.
func (n *Net) pairs(a, b []string) iter.Seq2[*Host, *Host] {
	return func(yield func(*Host, *Host) bool) {
		for _, x := range a {
			hx := n.Host(x)
			for _, y := range b {
				if hy := n.Host(y); hx != hy && !yield(hx, hy) {
					return
				}
			}
		}
	}
}

func (n *Net) addCut(k uint64) {
	if !n.cuts[k] {
		n.cuts[k] = true
		n.manual++
	}
}

// Isolate cuts host from every other host, those made later included, until
// [Net.Heal].
func (n *Net) Isolate(host string) {
	h := n.Host(host)
	if !h.isolated {
		h.isolated = true
		n.manual++
	}
	n.event("isolate %s", host)
	n.watchKeepAlives(0)
}

// Clog holds the packets from host from to host to for d: they arrive when
// the clog ends, in order. A clog already longer is kept.
func (n *Net) Clog(from, to string, d time.Duration) {
	n.clog(n.Host(from), n.Host(to), int64(d))
}

func (n *Net) clog(from, to *Host, d int64) {
	if n.clogs == nil {
		n.clogs = make(map[uint64]int64)
	}
	until := satAdd(n.now(), d)
	k := pairKey(from, to)
	if until > n.clogs[k] {
		n.clogs[k] = until
	}
	n.event("clog %s -> %s for %v", from.name, to.name, time.Duration(d))
}

// Slow adds extra to the latency of every packet from host from to host
// to, until [Net.Heal]: a slow link, a congested route or a downstream
// that answers late, where [Net.Clog] holds the packets and lets them go
// at once. The last extra set for a pair replaces the one before; 0 takes
// it away. A connection's data still arrives in order.
func (n *Net) Slow(from, to string, extra time.Duration) {
	src, dst := n.Host(from), n.Host(to)
	if n.slows == nil {
		n.slows = make(map[uint64]int64)
	}
	k := pairKey(src, dst)
	if extra <= 0 {
		if _, ok := n.slows[k]; ok {
			delete(n.slows, k)
			n.event("slow link %s -> %s ends", src.name, dst.name)
		}
		return
	}
	n.slows[k] = int64(extra)
	n.event("slow link %s -> %s: %v more latency", src.name, dst.name, extra)
}

// Heal ends every partition, isolation, clog and slow link, manual or
// random, and lets the traffic they held go on at once. It ends the hang of the connects
// that a connect fault hangs too: each goes on at its dialler's next
// retransmission of the SYN, as a connect a partition held does. Random
// partitions go on being drawn.
func (n *Net) Heal() {
	for _, h := range n.hosts {
		h.isolated = false
	}
	clear(n.cuts)
	n.manual = 0
	n.random = nil
	n.idleUntil = 0
	clear(n.clogs)
	clear(n.slows)
	n.event("heal")
	n.settleAcks()
	n.settleKeepAlives(n.now())
	n.retryHeld(true)
}

// HealBetween ends the manual partitions, clogs and slow links between
// every host of a and every host of b, both ways, and lets the traffic
// they held go on at once. Faults between other pairs, isolated hosts,
// random partitions and connects a connect fault hangs stay, until Heal.
func (n *Net) HealBetween(a, b []string) {
	for hx, hy := range n.pairs(a, b) {
		for _, k := range [2]uint64{pairKey(hx, hy), pairKey(hy, hx)} {
			if n.cuts[k] {
				delete(n.cuts, k)
				n.manual--
			}
			delete(n.clogs, k)
			delete(n.slows, k)
		}
	}
	n.event("heal %s | %s", names(a), names(b))
	n.settleAcks()
	n.settleKeepAlives(n.now())
	n.retryHeld(false)
}

// Quiesce heals the network and turns every fault off from now on, keeping
// the latency's fast mode, the latency between zones and data centers, and
// the buffer sizes ([chaos.Network.NoFaults]);
// host clocks keep the skew and drift they were made with. A workload calls
// it before checking that the system recovers.
func (n *Net) Quiesce() {
	n.setConfig(n.cfg.NoFaults())
	n.Heal()
	n.event("quiesce: faults off")
}

// Pause stops drawing faults, or starts again: while paused, no random
// partition starts, no clog, close, partial transfer, bit flip, connect
// failure or delayed sleep happens, and nothing is drawn for them.
// Latency, partitions and clogs already under way, and manual faults, are
// unchanged.
func (n *Net) Pause(paused bool) {
	if n.paused == paused {
		return
	}
	n.paused = paused
	n.idleUntil = 0
	if paused {
		n.event("faults paused")
	} else {
		n.event("faults resumed")
	}
}

// retryHeld retries the traffic held, which holds again what is still
// blocked; hung, whether the connects a connect fault hangs go on too
// (Heal) or stay held (HealBetween).
func (n *Net) retryHeld(hung bool) {
	held := n.held
	n.held = nil
	for _, h := range held {
		if h.done {
			continue
		}
		if h.hung != nil && !hung {
			n.held = append(n.held, h)
			continue
		}
		h.done = true
		if h.cancel != nil {
			h.cancel()
		}
		h.retry()
	}
}

// A hold is traffic waiting for a cut or a clog to end, or a connect
// that a connect fault hangs until Heal.
type hold struct {
	retry  func()
	cancel func() bool // the retry at the hold's known end, if it has one
	done   bool
	hung   *dial // the connect hung by a fault: the hold is gone once it is over
}

// holdUntil holds traffic whose next step is retry: until a known time,
// when until > 0 (a random partition, a clog), or until Heal.
func (n *Net) holdUntil(until int64, retry func()) *hold {
	h := &hold{retry: retry}
	if until > 0 {
		h.cancel = n.after(until, func() {
			if !h.done {
				h.done = true
				retry()
			}
		})
	}
	n.held = appendPruning(n.held, &n.heldCap, h, func(h *hold) bool { return h.done || h.hung != nil && h.hung.over() })
	return h
}

// appendPruning appends x to list, after dropping the entries that gone
// reports if the list has doubled since that was last done (and holds at
// least 64): a list of entries that end by themselves, and are dropped
// only now and then, stays within twice its live ones, at an amortised
// O(1) an append.
func appendPruning[T any](list []T, prunedAt *int, x T, gone func(T) bool) []T {
	if len(list) >= max(*prunedAt, 64) {
		list = slices.DeleteFunc(list, gone)
		*prunedAt = 2 * len(list)
	}
	return append(list, x)
}

// blocked reports whether packets from src to dst cannot pass now, and
// until when: a positive time for a random partition or a clog, zero for a
// manual cut, which lasts until Heal.
func (n *Net) blocked(src, dst *Host) (until int64, ok bool) {
	if until, ok := n.partitioned(src, dst); ok {
		return until, true
	}
	if len(n.clogs) > 0 && src != dst {
		k := pairKey(src, dst)
		if until, ok := n.clogs[k]; ok {
			if until > n.now() {
				return until, true
			}
			delete(n.clogs, k)
		}
	}
	return 0, false
}

// partitioned is blocked for partitions alone, random or manual: the
// packets they cut are lost, where a clog only delays them.
func (n *Net) partitioned(src, dst *Host) (until int64, ok bool) {
	if src == dst {
		return 0, false
	}
	if n.manual > 0 && (src.isolated || dst.isolated || n.cuts[pairKey(src, dst)]) {
		return 0, true
	}
	if r := n.random; r != nil && r.cuts(src, dst) {
		return r.until, true
	}
	return 0, false
}

func (p *partition) cuts(src, dst *Host) bool {
	a, b := p.in(src), p.in(dst)
	if a == b {
		return false
	}
	return !p.oneWay || a
}

func (p *partition) in(h *Host) bool { return h.id < len(p.side) && p.side[h.id] }

// packet runs step of dial d when a packet sent from src to dst now
// arrives, after a latency drawn now (before anything else), or later if
// the link is cut or clogged then and the packet is not exempt from
// faults: a connect, an answer to one.
func (n *Net) packet(src, dst *Host, exempt bool, d *dial, step dialStep) {
	at := n.now() + n.latency(src, dst)
	p, ok := takeSpare(&n.packets)
	if !ok {
		p = &packet{n: n}
		p.tryFn = p.try
	}
	p.src, p.dst, p.exempt, p.dial, p.step = src, dst, exempt, d, step
	n.schedule(at, p.tryFn)
}

// A packet is one of Net.packet in flight. Once it arrives it goes back to
// the network's spares, with its callback, for the next: a dial sends two,
// and what a packet does is a step of its dial, not a callback of its own.
type packet struct {
	n        *Net
	src, dst *Host
	exempt   bool
	dial     *dial
	step     dialStep
	tryFn    func() // try, made once
	// cut: a partition held it, and lost it: it goes on at the dialler's
	// next retransmission of the SYN after the cut ends.
	cut bool
}

// try delivers p, unless a cut or a clog holds it.
func (p *packet) try() {
	n := p.n
	n.tick()
	if p.cut {
		p.cut = false
		// At the give-up's instant, its timer, armed first, fires first.
		now := n.now()
		if at := synAt(p.dial.start, now); at > now {
			n.schedule(at, p.tryFn)
			return
		}
	}
	if until, ok := n.blocked(p.src, p.dst); ok && !p.exempt {
		_, p.cut = n.partitioned(p.src, p.dst)
		n.holdUntil(until, p.tryFn)
		p.dial.holdConnect()
		return
	}
	d, step := p.dial, p.step
	p.src, p.dst, p.dial, p.step = nil, nil, nil, 0
	n.packets = append(n.packets, p)
	d.do(step)
}

// pairKey is the key of the ordered pair (a, b).
func pairKey(a, b *Host) uint64 { return uint64(a.id)<<32 | uint64(b.id) }

func names(hosts []string) string { return "{" + strings.Join(hosts, " ") + "}" }

// Random partitions are drawn lazily, when the network is used (an
// operation or a delivery), so that an idle network schedules nothing and a
// deadlock is still reported as one.

// tick starts and ends random partitions due by now. Every operation and
// delivery calls it; it returns at once before the next time it has work
// (idleUntil).
func (n *Net) tick() {
	if now := n.now(); now >= n.idleUntil {
		n.tickAt(now)
	}
}

// tickAt is tick's work, which ends by setting idleUntil.
func (n *Net) tickAt(now int64) {
	defer n.setIdle()
	if n.random == nil && n.cfg.PartitionInterval <= 0 {
		return
	}
	if r := n.random; r != nil && now >= r.until {
		n.random = nil
		n.ownEvent("random partition healed")
		if len(n.acks) > 0 {
			n.settleAcks()
		}
		if len(n.probing) > 0 {
			n.settleKeepAlives(r.until)
		}
	}
	if n.cfg.PartitionInterval <= 0 || n.random != nil || n.paused {
		return
	}
	if n.nextPartition < 0 {
		n.nextPartition = now + n.expDraw(int64(n.cfg.PartitionInterval))
	}
	if now < n.nextPartition {
		return
	}
	n.startPartition(now)
	end := now
	if n.random != nil {
		end = n.random.until
	}
	n.nextPartition = end + n.expDraw(int64(n.cfg.PartitionInterval))
}

// setIdle sets idleUntil to the next time tick has work, as things stand:
// the end of the random partition in force, or the start of the next.
func (n *Net) setIdle() {
	switch {
	case n.random != nil:
		n.idleUntil = n.random.until
	case n.cfg.PartitionInterval <= 0 || n.paused:
		n.idleUntil = math.MaxInt64
	default:
		n.idleUntil = n.nextPartition
	}
}

// startPartition draws a random partition of the hosts: its shape, its
// members (a shuffle of the hosts in creation order, or one of the zones
// in the order their first hosts were made), whether it is one way, and
// its length. The timeline names each side's hosts in creation order. The fourth shape, a zone alone, is drawn from only where
// the hosts are in two zones or more, so that a network without zones
// draws as it always did.
func (n *Net) startPartition(now int64) {
	hs := slices.Clone(n.hosts)
	if len(hs) < 2 {
		return
	}
	n.w.FaultBegins(sim.Fault{Kind: "partition", At: n.rng.Draws()})
	var zones []string
	for _, h := range hs {
		if h.zone != "" && !slices.Contains(zones, h.zone) {
			zones = append(zones, h.zone)
		}
	}
	shapes := 3
	if len(zones) > 1 {
		shapes = 4
	}
	k, shuffle, what := 1, true, "random partition"
	switch n.rng.IntN(shapes) {
	case 0: // random halves
		k = len(hs) / 2
	case 1: // a random-size group
		k = 1 + n.rng.IntN(len(hs)-1)
	case 2: // one host alone
	default: // one zone alone: its hosts, then the rest, in creation order
		cut := zones[n.rng.IntN(len(zones))]
		hs = slices.DeleteFunc(hs, func(h *Host) bool { return h.zone != cut })
		k, shuffle, what = len(hs), false, "random partition of zone "+cut+":"
		for _, h := range n.hosts {
			if h.zone != cut {
				hs = append(hs, h)
			}
		}
	}
	if shuffle {
		for i := len(hs) - 1; i > 0; i-- {
			j := n.rng.IntN(i + 1)
			hs[i], hs[j] = hs[j], hs[i]
		}
	}
	oneWay := n.rng.Bool(n.cfg.PartitionOneWayProb)
	d := n.uniform(int64(n.cfg.PartitionDuration.Min), int64(n.cfg.PartitionDuration.Max))
	p := &partition{side: make([]bool, len(n.hosts)), oneWay: oneWay, until: now + d}
	var a, b []string
	for i, h := range hs {
		if i < k {
			p.side[h.id] = true
			a = append(a, h.name)
		} else {
			b = append(b, h.name)
		}
	}
	n.random = p
	n.watchKeepAlives(p.until)
	sep := "|"
	if oneWay {
		sep = "->"
	}
	// The line names each side's hosts in the order they were made, to
	// be read; the trace hashes it as it was, in the order drawn.
	var sa, sb []string
	for _, h := range n.hosts {
		if p.side[h.id] {
			sa = append(sa, h.shown())
		} else {
			sb = append(sb, h.shown())
		}
	}
	key := fmt.Sprintf("net: %s %s %s %s for %v", what, names(a), sep, names(b), time.Duration(d))
	n.w.EventKeyed("", key, fmt.Sprintf("net: %s %s %s %s for %v", what, names(sa), sep, names(sb), time.Duration(d)))
	if n.w.HearsFaults() {
		n.w.FaultStrikes(names(sa) + " " + sep + " " + names(sb))
	}
}

// Draws. Each is one value of the run's stream unless it says otherwise.

// uniform draws in [lo, hi]; nothing when lo >= hi.
func (n *Net) uniform(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + n.rng.Int64N(hi-lo+1)
}

// expDraw draws an exponential delay of the given mean.
func (n *Net) expDraw(mean int64) int64 {
	u := 1 - n.rng.Float64() // in (0, 1]
	d := -float64(float64(mean) * ln(u))
	if d >= math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return int64(d)
}
