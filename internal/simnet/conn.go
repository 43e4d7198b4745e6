package simnet

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// A conn is one end of a simulated connection: a net.Conn. Its peer is the
// other end; in carries the bytes the peer writes, out the bytes this end
// writes.
type conn struct {
	n     *Net
	h     *Host
	id    uint64
	laddr net.Addr
	raddr net.Addr
	in    *pipe
	out   *pipe
	peer  *conn
	// retx is the give-up on unacknowledged data, armed (retxArmed)
	// while this end waits for the peer to acknowledge data or a FIN
	// (pipe.rearm); retxFn is its callback. Both are made when first
	// needed. While retxArmed, the end retransmits, as far as the peer
	// can tell.
	retx     *sim.Timer
	retxFn   func()
	closedAt int64 // when Close (or the end of its process) closed it

	// The flags come together, where they pack into as few words as
	// they can: a connection's two ends and pipes are one allocation.
	closed bool

	// reset: this end sent or received a reset; the connection is dead.
	reset bool
	// resetUntold: a reset came from a peer that had not closed, and no
	// call has reported it yet. As on Linux, the first call after it, a
	// Read or a Write, fails with ECONNRESET; later Reads return io.EOF
	// and later Writes fail with EPIPE.
	resetUntold bool
	// timedOut: the end gave up on data the peer never acknowledged
	// (RetransmitTimeout); what it tells once is ETIMEDOUT, not
	// ECONNRESET.
	timedOut bool
	// owesReset: the end gave up without a word to the peer (giveUp),
	// and no socket holds the connection any more: the first segment
	// that reaches it is answered with a reset.
	owesReset bool
	retxArmed bool // see retx
	rdShut    bool // CloseRead
	// gone: the end vanished with its host's power (Host.PowerOff): it
	// answers nothing while the host is off, and a reset once it is on.
	gone    bool
	linger0 bool // SetLinger(0): Close resets
	exempt  bool // the listener's port is exempt from faults (Net.Exempt)
	// dialPort is the ephemeral port of a dialling end, held until the
	// end is closed (Host.ephemeral); 0 for an accepted end.
	dialPort uint16
	hidx     int32 // index in h.conns, -1 once closed

	// ka is the end's keep-alive settings and probing, made when first
	// needed: nil is Go's defaults, with no probe going unanswered.
	ka *keepAlive

	rd, wr deadline
	// wakeRd and wakeWr are the callbacks of the deadlines' timers, made
	// when a deadline is first set (most connections have none, or one).
	wakeRd, wakeWr func()
	name           string // String's, made once
	closeLine      string // the log's line for a close, which holds name
}

var _ net.Conn = (*conn)(nil)

// A pipe is one direction of a connection: the bytes its source wrote that
// its destination has not read, in flight or arrived, in a ring buffer
// addressed by absolute offsets: read <= delivered <= written. The
// source's send buffer holds what it wrote and has not seen taken:
// taken <= read (see freeRoom).
type pipe struct {
	n        *Net
	src, dst *conn
	buf      []byte // ring; its length is zero or a power of two
	wrOff    uint64
	dlOff    uint64
	rdOff    uint64
	takenOff uint64
	segs     fifo[seg]
	lastAt   int64 // arrival time of the last segment: arrivals are FIFO
	// stuckSince, ackSince, ackUntil, ackLostSince and roomRetx go with
	// the flags below that name them.
	stuckSince   int64
	ackSince     int64
	ackUntil     int64
	ackLostSince int64
	roomRetx     func() bool

	// The flags come together, where they pack into as few words as
	// they can (see conn).
	//
	// roomHeld: the destination took data while the way back was cut
	// or clogged; its room returns to the source when that ends.
	// roomTold: a writer waited for that room, and the timeline says so.
	roomHeld bool
	roomTold bool
	pending  bool // a delivery event is scheduled
	held     bool // a cut or clog holds it (see Net.holdUntil)
	// heldByCut: what holds it is a partition, which loses what it
	// cuts: when it ends, the data goes on at the source's next
	// retransmission. A clog only delays.
	heldByCut bool
	finSent   bool // the source shut down writing
	eof       bool // the source's FIN arrived: read to the end, then EOF
	// blackhole: a silent random close; nothing is delivered any more.
	blackhole bool
	// stuckSet: a segment waits on a cut or clog, was swallowed by a
	// silent close or went to a host without power (stuck), and is not
	// acknowledged; stuckSince is when the oldest such was sent.
	stuckSet bool
	// ackHeld: data or a FIN arrived while the way back was cut, so the
	// source has had no acknowledgement of it; ackSince is when the
	// oldest such was sent, ackUntil when the cuts that held the
	// acknowledgement end (math.MaxInt64 for a manual cut: at Heal).
	ackHeld bool
	// ackLost: data arrived while a partition cut the way back, so its
	// acknowledgement was lost; ackLostSince is when the oldest such was
	// sent. The room that acknowledgement frees comes back at the
	// source's next retransmission after the cut ends (roomRetx, the
	// pending call), or with the first segment the other way.
	ackLost bool

	readers, writers []providers.WaitToken
	// waitRoom is where readers and writers start, one waiter each, in
	// the connection's allocation: a connection's reader waits on most.
	waitRoom  [2]providers.WaitToken
	deliverFn func() // deliver, made once
	retryFn   func() // see retry
	roomFn    func() // roomBack, made when first needed
}

type segKind uint8

const (
	segData segKind = iota
	segFin
	segRst
)

// A seg is a packet in flight: data up to offset end, or a FIN or reset
// after the data before it.
type seg struct {
	end  uint64
	at   int64
	sent int64 // when it was put on the wire, for pictures of the run (sim.Op)
	kind segKind
}

// A fifo is a queue that reuses its slice: segments in flight, datagrams
// waiting to be read. A push that finds the slice full moves what waits
// down, once the popped front is at least half of it, rather than grow
// it: a queue never emptied does not grow by everything that passed
// through it, and a push stays amortised O(1).
type fifo[T any] struct {
	s    []T
	head int
}

func (q *fifo[T]) len() int     { return len(q.s) - q.head }
func (q *fifo[T]) front() *T    { return &q.s[q.head] }
func (q *fifo[T]) waiting() []T { return q.s[q.head:] }

func (q *fifo[T]) push(x T) {
	if len(q.s) == cap(q.s) && q.head > 0 && q.head*2 >= len(q.s) {
		k := copy(q.s, q.s[q.head:])
		clear(q.s[k:])
		q.s, q.head = q.s[:k], 0
	}
	q.s = append(q.s, x)
}

func (q *fifo[T]) pop() {
	var zero T
	q.s[q.head] = zero // what it refers to is let go
	q.head++
	if q.head == len(q.s) {
		q.s, q.head = q.s[:0], 0
	}
}

// deadline is a read or write deadline in simulated time.
type deadline struct {
	at    int64
	set   bool
	timer sim.Timer // armed while the deadline is ahead
}

func (d *deadline) expired(now int64) bool { return d.set && now >= d.at }

// stop cancels d's timer, if one is armed. It leaves d set: a deadline that
// passed still fails the operations that check it.
func (d *deadline) stop() { d.timer.Stop() }

// newConn makes the two ends of a connection from ephemeral port lport of
// a (dialling) to port of b, whose address is to, as the dial has it; lo
// is the loopback address dialled, or nil when the dial went to b's name.
func (n *Net) newConn(a, b *Host, lport, port int, to net.Addr, lo net.IP) (client, server *conn) {
	n.nextConn++
	// The ends, their pipes and the dialler's address live and die
	// together: one allocation.
	all := &struct {
		client, server conn
		ab, ba         pipe
		laddr          addrSpace
	}{}
	client, server = &all.client, &all.server
	var laddr net.Addr
	if lo != nil {
		all.laddr.tcp = net.TCPAddr{IP: loopbackSource(lo), Port: lport}
		laddr = &all.laddr.tcp
	} else {
		laddr = a.addrIn(lport, &all.laddr)
	}
	*client = conn{n: n, h: a, id: n.nextConn, laddr: laddr, raddr: to, dialPort: uint16(lport)}
	a.holdDialPort(lport, true)
	*server = conn{n: n, h: b, id: n.nextConn, laddr: client.raddr, raddr: client.laddr}
	client.peer, server.peer = server, client
	ab, ba := &all.ab, &all.ba
	n.initPipe(ab, client, server)
	n.initPipe(ba, server, client)
	client.out, client.in = ab, ba
	server.out, server.in = ba, ab
	if n.isExempt(port) {
		client.exempt, server.exempt = true, true
	}
	for _, c := range []*conn{client, server} {
		c.hidx = int32(len(c.h.conns))
		c.h.conns = append(c.h.conns, c)
	}
	return client, server
}

func (n *Net) initPipe(p *pipe, src, dst *conn) {
	// The handshake counts as the last thing heard (watchKeepAlive).
	*p = pipe{n: n, src: src, dst: dst, lastAt: n.now()}
	p.readers, p.writers = p.waitRoom[0:0:1], p.waitRoom[1:1:2]
	p.deliverFn = p.deliver
}

// wakeReaders wakes the tasks waiting to read from c.
func (c *conn) wakeReaders() { c.n.wakeAll(&c.in.readers) }

// wakeWriters wakes the tasks waiting to write to c.
func (c *conn) wakeWriters() { c.n.wakeAll(&c.out.writers) }

// retry is the callback that delivers p again once a cut or a clog that
// held it ends, made when first needed.
func (p *pipe) retry() func() {
	if p.retryFn == nil {
		p.retryFn = func() {
			if p.heldByCut {
				// A partition lost what it held: it goes on at the
				// source's next retransmission, or meets the give-up,
				// which comes first at its instant: the timer found no
				// retries left.
				p.heldByCut = false
				if now := p.n.now(); p.stuckSet {
					if at := retransmitAt(p.stuckSince, now); at > now {
						p.n.schedule(min(at, p.giveUpAt(p.stuckSince)), p.retryFn)
						return
					}
				}
			}
			p.held, p.stuckSet = false, false
			// Delivered now, or held again: deliver arms the give-up
			// again for what it holds, unless an acknowledgement held
			// still keeps it armed from earlier.
			p.src.stopRetx()
			p.rearm()
			p.deliver()
		}
	}
	return p.retryFn
}

func (c *conn) String() string {
	if c.name != "" {
		return c.name
	}
	if c.laddr == nil || c.raddr == nil {
		return fmt.Sprintf("%s->%s", c.laddr, c.raddr)
	}
	c.makeNames(false)
	return c.name
}

// connectedText returns the log's line for the connect of c, the
// dialler's end.
func (c *conn) connectedText() string {
	if c.name != "" || c.laddr == nil || c.raddr == nil {
		return connectedPrefix + c.String()
	}
	return c.makeNames(true)
}

// makeNames makes the names of c and its peer, once for both ends, in one
// allocation with the log's lines for their closes and, when connected is
// true, for c's connect, which it returns: the network's log names a
// connection at its connect and its closes, and a client that dials per
// request makes many.
func (c *conn) makeNames(connected bool) (connectLine string) {
	var buf [320]byte
	b := c.appendCloseLine(buf[:0])
	mine := len(b)
	p := c.peer
	both := p != nil && p.name == "" && p.laddr != nil && p.raddr != nil
	if both {
		b = p.appendCloseLine(b)
	}
	lines := len(b)
	if connected {
		b = append(b, connectedPrefix...)
		b = append(b, b[len(closePrefix):mine]...)
	}
	all := string(b)
	c.closeLine, c.name = all[:mine], all[len(closePrefix):mine]
	if both {
		p.closeLine, p.name = all[mine:lines], all[mine+len(closePrefix):lines]
	}
	return all[lines:]
}

// appendCloseLine appends the log's line for a close of c.
func (c *conn) appendCloseLine(b []byte) []byte {
	b = append(b, closePrefix...)
	b = appendAddr(b, c.laddr)
	b = append(b, "->"...)
	return appendAddr(b, c.raddr)
}

// closePrefix and connectedPrefix begin the log's lines for a close and
// a connect.
const (
	closePrefix     = "net: close "
	connectedPrefix = "net: connected "
)

// closeText returns the log's line for a close of c.
func (c *conn) closeText() string {
	if name := c.String(); c.closeLine == "" {
		c.closeLine = closePrefix + name
	}
	return c.closeLine
}

// where names c for a determinism check's report (sim.World.Wrote).
func (c *conn) where() string { return "conn " + c.String() }

// LocalAddr returns the address of this end.
func (c *conn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr returns the address of the peer.
func (c *conn) RemoteAddr() net.Addr { return c.raddr }

func (c *conn) opErr(op string, err error) error { return opError(op, c.laddr, c.raddr, err) }

// enter is Enter for c's operation op ("read", "set"), named what in a
// report, or the error of one made after the simulation ended, in a
// test's cleanup (sim.World.Outlived): it then has no simulation to wait
// in, and returns at once.
func (c *conn) enter(what, op string) error {
	if err := c.n.w.EnterUnlessEnded(what, net.ErrClosed); err != nil {
		return c.opErr(op, err)
	}
	return nil
}

// Read reads what has arrived, waiting for at least one byte; see net.Conn.
func (c *conn) Read(b []byte) (int, error) { return c.ReadContext(context.Background(), b) }

// ReadContext is Read that also returns when ctx is done while it waits
// for data, with ctx's error and nothing read. Package net has no such
// call; the rpc transport finds it by an interface of its own, for a
// caller that reads its own reply and whose context may end first.
func (c *conn) ReadContext(ctx context.Context, b []byte) (int, error) {
	if err := c.enter("net read", "read"); err != nil {
		return 0, err
	}
	n := c.n
	if c.closed {
		return 0, c.opErr("read", net.ErrClosed)
	}
	if len(b) == 0 {
		return 0, nil
	}
	n.tick()
	if n.rollClose(c, "read") {
		return 0, c.readReset()
	}
	in := c.in
	for {
		switch {
		case c.closed:
			return 0, c.opErr("read", net.ErrClosed)
		case c.rd.expired(n.now()):
			return 0, c.opErr("read", os.ErrDeadlineExceeded)
		case c.reset:
			if c.resetUntold {
				c.resetUntold = false
				return 0, c.readReset()
			}
			return 0, io.EOF
		}
		if avail := in.dlOff - in.rdOff; avail > 0 {
			full := int(min(avail, uint64(len(b))))
			k := full
			if !c.exempt {
				k = n.partial(n.cfg.PartialReadProb, full)
			}
			if k < full {
				n.partialEvent("net: partial read of ", k, full, c)
			}
			in.copyOut(b[:k])
			in.freeRoom()
			return k, nil
		}
		if in.eof || c.rdShut {
			return 0, io.EOF
		}
		if err := n.waitCtx(ctx, &in.readers, "net read"); err != nil {
			return 0, err
		}
	}
}

// partialEvent records a partial read or write of k of full bytes on c,
// what begins its text: as event would word it, without fmt, since a seed
// sees dozens.
func (n *Net) partialEvent(what string, k, full int, c *conn) {
	n.w.Event(n.w.CurrentTask(), partialText(what, k, full, c))
}

func partialText(what string, k, full int, c fmt.Stringer) string {
	return what + strconv.Itoa(k) + " of " + strconv.Itoa(full) + " bytes on " + c.String()
}

func (c *conn) readReset() error {
	return c.opErr("read", sysErr("read", c.resetErrno()))
}

// resetErrno is what a reset of c is told as: ECONNRESET, or ETIMEDOUT
// when c gave up on data the peer never acknowledged.
func (c *conn) resetErrno() syscall.Errno {
	if c.timedOut {
		return syscall.ETIMEDOUT
	}
	return syscall.ECONNRESET
}

// Write writes all of b, waiting while the send buffer is full; see
// net.Conn. Its bytes travel as one segment, or as several when the buffer
// has room for part only or a partial write is injected.
func (c *conn) Write(b []byte) (int, error) {
	if err := c.enter("net write", "write"); err != nil {
		return 0, err
	}
	n := c.n
	if c.closed {
		return 0, c.opErr("write", net.ErrClosed)
	}
	if len(b) == 0 {
		// Package net makes the system call for an empty write too: a
		// passed deadline, a shut-down or reset connection still fail
		// it. It draws nothing.
		switch {
		case c.wr.expired(n.now()):
			return 0, c.opErr("write", os.ErrDeadlineExceeded)
		case c.reset || c.out.finSent:
			return 0, c.writeShut()
		}
		return 0, nil
	}
	if c.reset || c.out.finSent {
		return 0, c.writeShut()
	}
	if n.w.HashesData() {
		n.w.Wrote(c, c.where, c.out.wrOff, b)
	}
	n.tick()
	if n.rollClose(c, "write") {
		return 0, c.opErr("write", sysErr("write", syscall.ECONNRESET))
	}
	out := c.out
	done := 0
	for done < len(b) {
		switch {
		case c.closed:
			return done, c.opErr("write", net.ErrClosed)
		case c.wr.expired(n.now()):
			return done, c.opErr("write", os.ErrDeadlineExceeded)
		case c.reset || out.finSent:
			return done, c.writeShut()
		}
		space := n.sendBuf - int(out.wrOff-out.takenOff)
		if space <= 0 {
			out.tellRoomWait(true)
			n.wait(&out.writers, "net write")
			continue
		}
		k := min(space, len(b)-done)
		if c.exempt {
			// no partial writes
		} else if j := n.partial(n.cfg.PartialWriteProb, k); j < k {
			n.partialEvent("net: partial write of ", j, len(b)-done, c)
			k = j
		}
		out.send(b[done : done+k])
		done += k
	}
	return done, nil
}

// writeShut is the error of a Write on an end that was reset or shut down
// for writing: ECONNRESET for a reset from the peer that no call has
// reported yet, EPIPE after that.
func (c *conn) writeShut() error {
	if c.resetUntold {
		c.resetUntold = false
		return c.opErr("write", sysErr("write", c.resetErrno()))
	}
	return c.opErr("write", sysErr("write", syscall.EPIPE))
}

// send puts b on the wire as one segment.
func (p *pipe) send(b []byte) {
	n := p.n
	p.grow(len(b))
	p.copyIn(b)
	src, dst := p.src.h, p.dst.h
	at := n.now() + n.latency(src, dst)
	if !p.src.exempt {
		n.rollClog(src, dst)
	}
	p.push(segData, at)
}

// push queues a segment arriving at at (or after the one before it).
func (p *pipe) push(kind segKind, at int64) {
	// What the source sends, its retransmissions watch: not its probes.
	p.src.stopProbing()
	if at < p.lastAt {
		at = p.lastAt
	}
	p.lastAt = at
	if p.segs.s == nil {
		p.segs.s, _ = takeSpare(&p.n.segs)
	}
	p.segs.push(seg{end: p.wrOff, at: at, sent: p.n.now(), kind: kind})
	p.schedule(p.segs.front().at)
}

// schedule makes sure a delivery runs at at, unless one is pending or a
// cut holds the pipe.
func (p *pipe) schedule(at int64) {
	if p.pending || p.held {
		return
	}
	if p.blackhole {
		// A silent close: nothing will acknowledge the segment.
		p.stuck(*p.segs.front())
		return
	}
	p.pending = true
	p.n.schedule(at, p.deliverFn)
}

// deliver hands over every segment due, in order, stopping at the first
// that a cut or clog holds.
func (p *pipe) deliver() {
	n := p.n
	p.pending = false
	if p.blackhole {
		if p.segs.len() > 0 {
			p.stuck(*p.segs.front()) // a silent close swallowed it
		}
		return
	}
	n.tick()
	now := n.now()
	delivered := false
	for p.segs.len() > 0 {
		s := *p.segs.front()
		if s.at > now {
			p.schedule(s.at)
			break
		}
		if until, ok := n.blocked(p.src.h, p.dst.h); ok && !p.src.exempt {
			_, cut := n.partitioned(p.src.h, p.dst.h)
			p.held, p.heldByCut = true, cut
			n.holdUntil(until, p.retry())
			p.stuck(s)
			break
		}
		p.segs.pop()
		if p.arrive(s) {
			delivered = true
		}
	}
	if delivered {
		n.w.Progress()
		n.wakeAll(&p.readers)
	}
	if p.src.closed && p.dst.closed {
		p.releaseSegs()
	}
}

// releaseSegs hands an empty segment queue of a connection closed at both
// ends to the network, for later connections: a segment still to come
// (a reset answering late data) makes the pipe a queue of its own.
func (p *pipe) releaseSegs() {
	if p.segs.len() == 0 && p.segs.s != nil {
		p.n.segs = append(p.n.segs, p.segs.s[:0])
		p.segs = fifo[seg]{}
	}
}

// arrive hands one segment to the destination end. It reports whether a
// reader there has something new.
func (p *pipe) arrive(s seg) bool {
	n, d := p.n, p.dst
	if d.gone {
		if s.kind == segData {
			if n.w.ObservingOps() {
				p.observe(s, s.end-p.dlOff, true)
			}
			p.dlOff = s.end
		}
		// A host without power answers nothing: the data is not
		// acknowledged, so it stays in the writer's buffer. A host that
		// came back has no socket for it: a reset.
		if d.h.off {
			p.stuck(s)
		} else if s.kind != segRst {
			d.noSocket()
		}
		return false
	}
	if d.ka != nil && d.ka.probing {
		d.heard()
	}
	// What the peer sends carries its acknowledgement of what d sent:
	// the way back is open.
	if d.out.ackHeld {
		d.out.releaseAck()
	}
	d.out.ackPassed()
	if s.kind != segRst && !p.src.exempt {
		p.ack(s)
	}
	switch s.kind {
	case segData:
		from := p.dlOff
		p.dlOff = s.end
		lost := d.reset || d.closed || d.rdShut
		if n.w.ObservingOps() {
			p.observe(s, s.end-from, lost)
		}
		switch {
		case d.reset:
			p.discard()
			d.answerReset()
			return false
		case d.closed:
			// Data for an end that is closed: its host answers with a
			// reset, as TCP does.
			p.discard()
			d.abort()
			return false
		case d.rdShut:
			p.discard()
			return false
		}
		if !p.src.exempt {
			n.flipBits(p, from, s.end)
		}
		return true
	case segFin:
		p.eof = true
		if d.reset {
			d.answerReset()
		}
		return true
	default: // segRst
		d.gotReset()
		return true
	}
}

// observe tells the world that the n bytes of data segment s arrived now,
// or were lost on arrival.
func (p *pipe) observe(s seg, n uint64, lost bool) {
	p.n.w.Op(sim.Op{Kind: sim.OpMessage, Start: time.Duration(s.sent), End: time.Duration(p.n.now()),
		From: p.src.h.name, To: p.dst.h.name, Conn: p.src.id, What: p.src.String(), Bytes: int64(n), Lost: lost})
}

// discard drops every byte that has arrived and not been read, freeing the
// writer's buffer.
func (p *pipe) discard() {
	p.rdOff = p.dlOff
	p.freeRoom()
}

// freeRoom gives the source's writers the room of what the destination
// took (read or dropped) once the acknowledgement of it can reach them:
// at once, or, while the way back is cut or clogged, when that ends. As
// in Linux's send buffer, data that reached the peer still fills the
// sender's buffer until it is acknowledged, so a writer whose way back is
// cut stops once it has written a buffer's worth, however fast the peer
// reads.
func (p *pipe) freeRoom() {
	if p.roomHeld {
		return // roomBack frees all that was taken by then
	}
	n := p.n
	if until, cut := n.blocked(p.dst.h, p.src.h); cut && !p.src.exempt {
		p.roomHeld = true
		if p.roomFn == nil {
			p.roomFn = p.roomBack
		}
		n.holdUntil(until, p.roomFn)
		p.tellRoomWait(len(p.writers) > 0)
		return
	}
	p.takenOff = p.rdOff
	p.ackLost = false
	n.wakeAll(&p.writers)
}

// tellRoomWait puts on the timeline, once a cut, that a writer waits
// for room that a cut of the way back holds: a stop the writer cannot
// see, since its data arrives and is read.
func (p *pipe) tellRoomWait(waiting bool) {
	if waiting && p.roomHeld && !p.roomTold {
		p.roomTold = true
		p.n.event("write on %s waits for room: the peer reads, but a cut holds its acknowledgements", p.src)
	}
}

// roomBack is freeRoom once the cut or clog that held it ended, or, for
// an acknowledgement a partition lost, at the source's next
// retransmission after that, which draws it again: the way back may be
// cut again by then.
func (p *pipe) roomBack() {
	n := p.n
	p.roomRetx = nil
	if p.ackLost {
		p.ackLost = false
		now := n.now()
		if at := retransmitAt(p.ackLostSince, now); at > now {
			p.roomRetx = n.after(at, p.roomFn)
			return
		}
	}
	p.roomHeld, p.roomTold = false, false
	n.tick() // a random partition ends now: tick lets it go
	p.freeRoom()
}

// ackPassed tells p that a segment came from its destination: it carries
// the acknowledgement that a retransmission would have drawn.
func (p *pipe) ackPassed() {
	p.ackLost = false
	if p.roomRetx != nil && p.roomRetx() {
		p.roomBack()
	}
}

// abort resets the connection from this end: unread data is dropped and a
// reset goes to the peer, after what this end already sent.
func (c *conn) abort() {
	if c.reset {
		return
	}
	c.reset = true
	c.stopRetx()
	c.stopProbing()
	c.in.rdOff = c.in.dlOff
	c.out.finSent = true
	c.sendReset()
	c.wakeReaders()
	c.wakeWriters()
}

// sendReset sends a reset to the peer, after what this end already sent.
func (c *conn) sendReset() {
	c.out.push(segRst, c.n.now()+c.n.latency(c.h, c.peer.h))
}

// giveUp ends the connection at this end without a word to the peer, as
// Linux's tcp_write_err does when data goes unacknowledged: what was
// written and not delivered is dropped (tcp_write_queue_purge), no reset
// is sent, and the socket is gone (tcp_done), so that the first segment
// to reach it is answered with a reset (answerReset). Unread data is
// dropped too, as a reset drops it.
func (c *conn) giveUp() {
	c.reset, c.owesReset = true, true
	c.stopRetx()
	c.stopProbing()
	c.in.rdOff = c.in.dlOff
	out := c.out
	out.finSent = true
	out.stuckSet, out.ackHeld = false, false
	from := out.dlOff
	for out.segs.len() > 0 {
		if s := *out.segs.front(); s.kind == segData && c.n.w.ObservingOps() {
			out.observe(s, s.end-from, true)
			from = s.end
		}
		out.segs.pop()
	}
	c.wakeReaders()
	c.wakeWriters()
}

// noSocket answers a segment that reached this end when no socket holds
// the connection any more (its host lost its power and is back): with a
// reset, unless the end sent one already.
func (c *conn) noSocket() {
	if c.reset {
		c.answerReset()
	} else {
		c.abort()
	}
}

// answerReset answers a segment that reached an end that gave up
// (giveUp) with a reset, once: the reset ends the peer, and a reset is
// never answered.
func (c *conn) answerReset() {
	if c.owesReset {
		c.owesReset = false
		c.sendReset()
	}
}

// gotReset kills this end on the peer's reset: unread data is dropped, and
// the first read or write fails with ECONNRESET; later reads return EOF
// and later writes fail with EPIPE (see writeShut).
func (c *conn) gotReset() {
	if c.reset {
		return
	}
	c.reset = true
	c.stopRetx()
	c.stopProbing()
	// Linux tells a reset that follows the peer's FIN as EPIPE.
	c.resetUntold = !c.in.eof
	c.in.rdOff = c.in.dlOff
	c.n.w.Log("net: reset " + c.String())
	c.wakeReaders()
	c.wakeWriters()
}

// Close closes this end: gracefully, the peer reading what was sent and
// then EOF, or with a reset when data arrived here unread or SetLinger(0)
// was called, as Linux does. Data that arrives after Close is answered
// with a reset.
func (c *conn) Close() error {
	if err := c.n.w.EnterUnlessEnded("net close", net.ErrClosed); err != nil {
		return c.opErr("close", err)
	}
	if c.closed {
		return c.opErr("close", net.ErrClosed)
	}
	c.close()
	return nil
}

// close is Close without its checks, for the operating system closing a
// dead process's sockets too. It reports whether it sent a reset.
func (c *conn) close() (reset bool) {
	c.closed = true
	c.closedAt = c.n.now()
	c.stopProbing()
	c.cancelDeadlines()
	c.unlink()
	c.wakeReaders()
	c.wakeWriters()
	defer c.releaseBuffers()
	switch {
	case c.reset:
	case c.linger0 || c.in.dlOff > c.in.rdOff:
		c.n.w.Log("net: close " + c.String() + " with a reset")
		c.abort()
		return true
	default:
		c.n.w.Log(c.closeText())
		c.shutWrite()
		// An orphan gives up sooner (OrphanTimeout) on what is still
		// unacknowledged.
		c.out.rearm()
	}
	return false
}

// releaseBuffers hands the connection's ring buffers to the network for
// later connections, once both ends are closed: nothing touches them
// after that (reads and writes fail on a closed end before they do, and
// deliveries in flight move offsets only). A seed makes a connection
// for each of its many reconnects; few are open at once.
func (c *conn) releaseBuffers() {
	if !c.closed || !c.peer.closed {
		return
	}
	for _, p := range []*pipe{c.in, c.out} {
		if p.buf != nil {
			c.n.bufs = append(c.n.bufs, p.buf)
			p.buf = nil
		}
		p.releaseSegs()
	}
}

// vanish closes this end without a word to the peer, as a machine that
// loses power does.
func (c *conn) vanish() {
	if c.closed {
		return
	}
	c.closed = true
	c.gone = true
	c.stopProbing()
	c.cancelDeadlines()
	c.unlink()
	// A task still waiting here outlived the host's power (a process's
	// own were killed first): with its deadline gone, only this wakes it.
	c.wakeReaders()
	c.wakeWriters()
	c.h.ghosts = append(c.h.ghosts, c)
	c.releaseBuffers()
}

// kill closes this end with a reset, for crashes and closed listeners.
func (c *conn) kill() {
	if c.closed {
		return
	}
	c.closed = true
	c.cancelDeadlines()
	c.unlink()
	c.abort()
	c.releaseBuffers()
}

// binding returns the address c's end is bound to: the loopback address
// it was dialled over, or its host's own (never a loopback one).
func (c *conn) binding() binding {
	if a, ok := c.laddr.(*net.TCPAddr); ok && a.IP.IsLoopback() {
		return binding{lo: a.IP}
	}
	return binding{own: true}
}

// unlink takes c off its host's list of open connections, and frees its
// port if it dialled.
func (c *conn) unlink() {
	if c.dialPort != 0 {
		c.h.holdDialPort(int(c.dialPort), false)
		c.dialPort = 0
	}
	i := c.hidx
	if i < 0 {
		return
	}
	hs := c.h.conns
	last := len(hs) - 1
	hs[i] = hs[last]
	hs[i].hidx = int32(i)
	hs[last] = nil
	c.h.conns = hs[:last]
	c.hidx = -1
}

func (c *conn) shutWrite() {
	if c.out.finSent {
		return
	}
	c.out.finSent = true
	c.out.push(segFin, c.n.now()+c.n.latency(c.h, c.peer.h))
}

// CloseWrite shuts down writing, as *net.TCPConn's: the peer reads to EOF,
// and this end can still read. It fails with ENOTCONN once the connection
// is over (see shutErr).
func (c *conn) CloseWrite() error {
	if err := c.n.w.EnterUnlessEnded("net close", net.ErrClosed); err != nil {
		return c.opErr("close", err)
	}
	if err := c.shutErr(); err != nil {
		return err
	}
	c.shutWrite()
	c.wakeWriters()
	return nil
}

// shutErr is the error of CloseWrite and CloseRead: net.ErrClosed on a
// closed end; ENOTCONN, as Linux's shutdown(2) gives for a socket in
// TCP_CLOSE, on a connection that was reset or gave up, or whose FIN
// went each way; nil otherwise. A reset not yet told stays to be told.
func (c *conn) shutErr() error {
	switch {
	case c.closed:
		return c.opErr("close", net.ErrClosed)
	case c.reset || c.in.eof && c.out.eof:
		return c.opErr("close", sysErr("shutdown", syscall.ENOTCONN))
	}
	return nil
}

// CloseRead shuts down reading, as *net.TCPConn's: reads return EOF and
// data that arrives is dropped. It fails as CloseWrite does.
func (c *conn) CloseRead() error {
	if err := c.n.w.EnterUnlessEnded("net close", net.ErrClosed); err != nil {
		return c.opErr("close", err)
	}
	if err := c.shutErr(); err != nil {
		return err
	}
	c.rdShut = true
	c.in.discard()
	c.wakeReaders()
	return nil
}

// SetLinger is *net.TCPConn's: with 0, Close resets the connection instead
// of closing it gracefully. Other values keep the graceful close.
func (c *conn) SetLinger(sec int) error {
	if err := c.enter("net set linger", "set"); err != nil {
		return err
	}
	if c.closed {
		return c.opErr("set", net.ErrClosed)
	}
	c.linger0 = sec == 0
	return nil
}

// SetNoDelay is *net.TCPConn's, and changes nothing: the simulated
// network sends each Write at once, with no Nagle delay to turn off.
func (c *conn) SetNoDelay(bool) error { return c.setNothing("net set no delay") }

// SetReadBuffer is *net.TCPConn's, and changes nothing: the buffers are
// the network's (chaos.Network.SendBuffer).
func (c *conn) SetReadBuffer(int) error { return c.setNothing("net set read buffer") }

// SetWriteBuffer is *net.TCPConn's, and changes nothing, as SetReadBuffer.
func (c *conn) SetWriteBuffer(int) error { return c.setNothing("net set write buffer") }

// setNothing is a socket option the simulation does not model: it fails
// on a closed connection, as package net's, and does nothing otherwise.
func (c *conn) setNothing(what string) error {
	if err := c.enter(what, "set"); err != nil {
		return err
	}
	if c.closed {
		return c.opErr("set", net.ErrClosed)
	}
	return nil
}

// SetDeadline sets both deadlines; see net.Conn. t is a time on the host's
// clock ([Host.Time]).
func (c *conn) SetDeadline(t time.Time) error {
	if err := c.enter("net set deadline", "set"); err != nil {
		return err
	}
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the read deadline; see net.Conn.
func (c *conn) SetReadDeadline(t time.Time) error {
	if err := c.enter("net set deadline", "set"); err != nil {
		return err
	}
	if c.closed {
		return c.opErr("set", net.ErrClosed)
	}
	if c.wakeRd == nil {
		c.wakeRd = c.wakeReaders
	}
	c.n.setDeadline(&c.rd, c.h, t, c.wakeRd, "SetReadDeadline")
	return nil
}

// SetWriteDeadline sets the write deadline; see net.Conn.
func (c *conn) SetWriteDeadline(t time.Time) error {
	if err := c.enter("net set deadline", "set"); err != nil {
		return err
	}
	if c.closed {
		return c.opErr("set", net.ErrClosed)
	}
	if c.wakeWr == nil {
		c.wakeWr = c.wakeWriters
	}
	c.n.setDeadline(&c.wr, c.h, t, c.wakeWr, "SetWriteDeadline")
	return nil
}

func (c *conn) cancelDeadlines() {
	for _, d := range []*deadline{&c.rd, &c.wr} {
		d.stop()
		d.set = false
	}
	c.stopRetx()
}

// RetransmitTimeout is how long an end waits for the peer to acknowledge
// data it sent before it gives up, as Linux does: tcp_retries2 (15)
// retransmissions, backing off from the least retransmission timeout
// (200 ms) to the greatest (120 s), 924.6 s after the oldest
// unacknowledged segment was sent. The end's next call, a read or a
// write, then fails with ETIMEDOUT.
const RetransmitTimeout = 924600 * time.Millisecond

// OrphanTimeout is how long an end closed with data or its FIN still
// unacknowledged (an orphan, in Linux's words) waits before it gives up,
// counted as RetransmitTimeout is, from when the oldest was sent. Linux's
// tcp_orphan_retries() gives 8 retransmissions when the sysctl
// net.ipv4.tcp_orphan_retries is 0, its default, and tcp_model_timeout()
// turns a count b at most ilog2(120 s / 200 ms) = 9 into
// ((2 << b) - 1) × 200 ms: (2<<8 - 1) × 200 ms = 511 × 200 ms = 102.2 s,
// the ninth firing of the retransmission timer (at 0.2, 0.6, 1.4, 3.0,
// 6.2, 12.6, 25.4, 51.0 and 102.2 s). (The same formula gives
// RetransmitTimeout for tcp_retries2: 1023 × 200 ms + 6 × 120 s.) An end
// closed later than that gives up at the timer's next firing after the
// close (orphanGiveUp).
const OrphanTimeout = 102200 * time.Millisecond

// Linux's least and greatest retransmission timeouts, TCP_RTO_MIN and
// TCP_RTO_MAX.
const (
	rtoMin = int64(200 * time.Millisecond)
	rtoMax = int64(120 * time.Second)
)

// retransmitAt is the first firing, at t or later, of Linux's
// retransmission timer started at since: 200 ms after since, then backing
// off to 120 s (at 0.2, 0.6, 1.4, 3.0, 6.2, ... s).
func retransmitAt(since, t int64) int64 {
	at, rto := since+rtoMin, rtoMin
	for at < t && rto < rtoMax {
		rto = min(2*rto, rtoMax)
		at += rto
	}
	if at < t {
		at += (t - at + rtoMax - 1) / rtoMax * rtoMax
	}
	return at
}

// orphanGiveUp is when an end closed at closed gives up on data
// unacknowledged since since: at the first firing of Linux's
// retransmission timer that comes OrphanTimeout after since or later, and
// at or after the close, when the timer first finds the socket orphaned.
func orphanGiveUp(since, closed int64) int64 {
	return retransmitAt(since, max(since+int64(OrphanTimeout), closed))
}

// stuck is called when segment s of p will not be acknowledged until
// something changes: a cut or a clog holds it, the host it went to is
// off, or a silent close swallowed it. Unless s is a reset (never
// retransmitted), it arms the source's give-up from when the oldest of
// p's unacknowledged segments was sent (rearm).
func (p *pipe) stuck(s seg) {
	if s.kind == segRst {
		return
	}
	if !p.stuckSet {
		p.stuckSet, p.stuckSince = true, s.sent
	}
	p.rearm()
}

// ack settles the acknowledgement of segment s of p, data or a FIN, which
// just arrived: it goes back at once when the way back is open, as
// arrival counts as acknowledgement; a cut of the way back holds it
// (ackHeld), and the source goes on waiting for it, as Linux's would
// retransmit, until the cut ends (Heal, the random partition's end, a
// later segment either way) or the source gives up. A cut that ends
// before any give-up could come holds nothing: the acknowledgement is
// back in time.
func (p *pipe) ack(s seg) {
	n := p.n
	until, cut := n.blocked(p.dst.h, p.src.h)
	if cut && !p.ackLost {
		_, p.ackLost = n.partitioned(p.dst.h, p.src.h)
		p.ackLostSince = s.sent
	}
	if !cut {
		if p.ackHeld {
			p.releaseAck()
		}
		return
	}
	if until == 0 {
		until = math.MaxInt64 // a manual cut: until Heal
	}
	if p.ackHeld {
		p.ackUntil = max(p.ackUntil, until)
		return
	}
	if until-s.sent < int64(OrphanTimeout) || p.src.reset || p.src.gone {
		return
	}
	p.ackHeld, p.ackSince, p.ackUntil = true, s.sent, until
	n.acks = appendPruning(n.acks, &n.acksCap, p, func(p *pipe) bool { return !p.ackHeld })
	// The acknowledged data was sent before anything the give-up may
	// be armed for.
	p.src.stopRetx()
	p.rearm()
}

// ackBack reports whether the acknowledgement p holds could have come
// back by now: the cuts that held it ended, and the end it comes from
// has not lost its power.
func (p *pipe) ackBack() bool {
	n := p.n
	if p.dst.gone {
		return false
	}
	if p.ackUntil <= n.now() {
		return true
	}
	_, cut := n.blocked(p.dst.h, p.src.h)
	return !cut
}

// releaseAck takes p's held acknowledgement as come back: the source's
// give-up counts from what is still unacknowledged, if anything.
func (p *pipe) releaseAck() {
	p.ackHeld = false
	p.src.stopRetx()
	p.rearm()
}

// settleAcks lets the acknowledgements whose cuts ended go back: at Heal,
// and when a random partition ends.
func (n *Net) settleAcks() {
	k := 0
	for _, p := range n.acks {
		switch {
		case !p.ackHeld:
		case p.ackBack():
			p.releaseAck()
		default:
			n.acks[k] = p
			k++
		}
	}
	clear(n.acks[k:])
	n.acks = n.acks[:k]
}

// rearm arms the give-up of p's source, if it is not armed, for the
// oldest of p's data (or FIN) that waits for an acknowledgement: one held
// on the way back, or else a segment stuck on the way there. The give-up
// comes RetransmitTimeout after that was sent, or OrphanTimeout after
// once the source is closed (orphanGiveUp); nothing is armed for an end
// that was reset or gave up, or that vanished with its host's power. The
// timer is quiet (sim.World.ArmQuiet): data acknowledged in time leaves
// the run's trace as it was.
func (p *pipe) rearm() {
	since, ok := p.unackedSince()
	if !ok {
		return
	}
	c := p.src
	if c.retxArmed || c.reset || c.gone {
		return
	}
	if c.retx == nil {
		c.retx, c.retxFn = new(sim.Timer), c.retxTimeout
	}
	c.retxArmed = true
	// Retransmissions watch the connection now, not keep-alive probes.
	c.stopProbing()
	n := c.n
	n.w.ArmQuiet(c.retx, time.Duration(max(p.giveUpAt(since)-n.now(), 0)), c.retxFn)
}

// giveUpAt is when p's source gives up on data unacknowledged since
// since: RetransmitTimeout after it, or, once the source is closed, at
// orphanGiveUp.
func (p *pipe) giveUpAt(since int64) int64 {
	if c := p.src; c.closed {
		return orphanGiveUp(since, c.closedAt)
	}
	return since + int64(RetransmitTimeout)
}

// unackedSince returns when the oldest of p's data (or FIN) that waits
// for an acknowledgement was sent: one held on the way back, or else a
// segment stuck on the way there; false when none waits.
func (p *pipe) unackedSince() (int64, bool) {
	switch {
	case p.ackHeld:
		return p.ackSince, true
	case p.stuckSet:
		return p.stuckSince, true
	}
	return 0, false
}

// stopRetx disarms c's give-up on unacknowledged data.
func (c *conn) stopRetx() {
	if c.retxArmed {
		c.retxArmed = false
		c.retx.Stop()
	}
}

// retxTimeout ends c, whose data went unacknowledged for
// RetransmitTimeout: the first call after it fails with ETIMEDOUT, and
// the connection is dead at this end; the peer learns when it next sends
// (giveUp). An orphan (c closed) ends the same way after OrphanTimeout,
// with nobody to tell. An acknowledgement held by a cut that ended
// unnoticed (a clog's end schedules nothing) came back instead: the
// give-up counts again from what is still unacknowledged.
func (c *conn) retxTimeout() {
	c.retxArmed = false
	if c.reset || c.gone {
		return
	}
	out := c.out
	if out.ackHeld && out.ackBack() {
		out.releaseAck()
		return
	}
	if c.closed {
		since, _ := out.unackedSince()
		c.n.giveUpEvent(c, "connection %s dropped: closed with data unacknowledged for %v", c, time.Duration(c.n.now()-since))
		c.giveUp()
		return
	}
	c.n.giveUpEvent(c, "connection %s timed out: data unacknowledged for %v", c, RetransmitTimeout)
	c.timedOut, c.resetUntold = true, true
	c.giveUp()
	// The peer heard its retransmissions; now it hears nothing.
	c.n.watchKeepAlive(c.peer, 0)
}

// setDeadline arms d for t on h's clock; the zero t clears it. wake runs
// when it passes, so that parked operations notice. call names the method
// that set it, for the refusal of a time read from the wall clock.
func (n *Net) setDeadline(d *deadline, h *Host, t time.Time, wake func(), call string) {
	n.w.RefuseWallTime(t, call)
	d.stop()
	d.set = !t.IsZero()
	if !d.set {
		return
	}
	d.at = h.simAt(t)
	if now := n.now(); d.at > now {
		n.w.Arm(&d.timer, time.Duration(d.at-now), wake)
	} else {
		wake()
	}
}

// simAt converts a time on h's clock to simulated nanoseconds: the first
// simulated instant at which h's clock reads t or later.
func (h *Host) simAt(t time.Time) int64 {
	return h.simUntil(sim.SinceEpoch(t))
}

// The ring buffer.

func (p *pipe) mask() uint64 { return uint64(len(p.buf) - 1) }

// grow makes room for k more bytes, doubling the ring as needed.
func (p *pipe) grow(k int) {
	used := p.wrOff - p.rdOff
	if int(used)+k <= len(p.buf) {
		return
	}
	size := max(len(p.buf), 512)
	for size < int(used)+k {
		size *= 2
	}
	nb := p.n.spareBuf(size)
	om, nm := p.mask(), uint64(size-1)
	for off := p.rdOff; off < p.wrOff; {
		oi, ni := off&om, off&nm
		c := min(uint64(len(p.buf))-oi, uint64(size)-ni, p.wrOff-off)
		copy(nb[ni:ni+c], p.buf[oi:oi+c])
		off += c
	}
	p.buf = nb
}

// spareBuf returns a ring buffer of size bytes: a closed connection's
// (releaseBuffers), or a new one. Its old bytes are never read: a ring
// is read only where it was written.
func (n *Net) spareBuf(size int) []byte {
	for i := len(n.bufs) - 1; i >= 0; i-- {
		if b := n.bufs[i]; len(b) == size {
			last := len(n.bufs) - 1
			n.bufs[i], n.bufs[last] = n.bufs[last], nil
			n.bufs = n.bufs[:last]
			return b
		}
	}
	return make([]byte, size)
}

// copyIn and copyOut copy twice only when the bytes wrap around the end
// of the ring.

func (p *pipe) copyIn(b []byte) {
	i := p.wrOff & p.mask()
	if k := copy(p.buf[i:], b); k < len(b) {
		copy(p.buf, b[k:])
	}
	p.wrOff += uint64(len(b))
}

func (p *pipe) copyOut(b []byte) {
	i := p.rdOff & p.mask()
	if k := copy(b, p.buf[i:]); k < len(b) {
		copy(b[k:], p.buf)
	}
	p.rdOff += uint64(len(b))
}

// Waiting.

// waitCtx is wait that returns ctx's error if ctx is done first.
func (n *Net) waitCtx(ctx context.Context, list *[]providers.WaitToken, what string) error {
	tok := n.park.WaitToken()
	*list = append(*list, tok)
	return n.park.Park(ctx, tok, what)
}

// wait parks the calling task until one of the wakeAll calls on list.
func (n *Net) wait(list *[]providers.WaitToken, what string) {
	_ = n.waitCtx(context.Background(), list, what)
}

// wakeAll wakes every task waiting on list; each checks again why it
// waited.
func (n *Net) wakeAll(list *[]providers.WaitToken) {
	for _, tok := range *list {
		n.park.Wake(tok)
	}
	*list = (*list)[:0]
}
