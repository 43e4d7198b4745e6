package rpc

import (
	"context"
	"fmt"
	"log/slog"
	"math/bits"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc/internal/wire"
)

// peer is the logical connection to one remote address: the queues that
// outlive its TCP connections, and the task that dials, redials with
// backoff, and serves each connection while it lasts.
type peer struct {
	t    *Transport
	addr string
	host string // addr's host, to find the peer by a connection from it

	mu      mutex
	closed  bool
	rel     callList // GetReply's requests, until answered: resent on each connection
	relNext *call    // the first of rel not yet written on cur
	// tries holds TryGetReply's requests in flight: those written on
	// cur (sent), then those whose frames still wait in unrel.
	tries    callList
	unrel    []byte // unreliable frames for cur, or for the next connection
	nunrel   int    // how many frames unrel holds
	cur      *conn
	gen      uint64
	instance uint64 // the incarnation at addr last met
	// max is the Config.MaxPayload of the incarnation at addr last met
	// (0 before one is): a request larger is not sent.
	max atomic.Int64
	// proto is the protocol version of the connection last made (0
	// before one is): a request is encoded for it (requestKind).
	proto atomic.Uint32
	known bool // instance is set
	// wake ends the backoff's wait, while the peer waits to redial.
	// long: the wait is longer than MaxBackoffQueued, so something queued
	// meanwhile cuts it short too (see enqueued); queuedWoke says that it
	// did.
	wake             context.CancelFunc
	long, queuedWoke bool
	// heard: a connection came from the peer's host, while the peer had
	// none, since its last dial began (wakeUp): should that dial fail,
	// or be cut short by it, the next one goes at once. backingOff: the
	// peer is counted in the transport's (countBackingOffLocked).
	heard, backingOff bool
	// connectErr is why the last attempt to connect failed, while no
	// connection was made since; dialing is when the connect under way
	// began, and redial when the backoff's wait ends (each zero when
	// none is): a call that times out tells them.
	connectErr      error
	dialing, redial time.Time
}

// maxOut is the largest payload a frame to the peer may carry, as far
// as this end knows (see maxOut).
func (p *peer) maxOut() int { return maxOut(p.t.cfg.MaxPayload, int(p.max.Load())) }

// remote is the peer's address.
func (p *peer) remote() string { return p.addr }

func newPeer(t *Transport, addr, host string) *peer {
	return &peer{t: t, addr: addr, host: host, mu: mutex{off: t.sim}}
}

// run dials addr, serves each connection until it ends, and redials,
// until the transport closes. Failed attempts back off from
// InitialBackoff, doubling to MaxBackoff, or to MaxBackoffQueued while
// something waits to be sent; the wait is jittered.
func (p *peer) run(ctx context.Context) error {
	t := p.t
	var backoff time.Duration
	now := false // redial without waiting: heard from the peer's host
	// The failed connects since the last connection: the log tells the
	// first, a change of error, and the connection that ends them, not
	// each of an outage's redials (the network's timeline has those).
	var fails int
	var failErr string
	var failedAt time.Time
	defer func() {
		// Deferred, for a task killed in its wait too: the count must not
		// keep every later connection looking for peers to wake.
		p.mu.Lock()
		p.countBackingOffLocked(false)
		p.mu.Unlock()
	}()
	for {
		if backoff > 0 && !now && !p.backOff(ctx, backoff) {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		c, inst, dec, err := p.dial(ctx, backoff > 0)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			p.mu.Lock()
			p.countBackingOffLocked(true)
			now = p.heard
			p.mu.Unlock()
			if now {
				continue // the host called meanwhile: dial again at once
			}
			if msg := err.Error(); fails == 0 || msg != failErr {
				t.log.Debug("rpc: connect failed; redialing with backoff", "addr", p.addr, "err", err, "max_backoff", t.cfg.MaxBackoff)
				failErr = msg
			}
			if fails == 0 {
				failedAt = t.p.Time.Now()
			}
			fails++
			p.lost(nil, err)
			backoff = min(max(2*backoff, t.cfg.InitialBackoff), t.cfg.MaxBackoff)
			continue
		}
		now = false
		if fails > 0 {
			t.log.Debug("rpc: connected after failed connects", "addr", p.addr, "failed", fails, "over", t.p.Time.Now().Sub(failedAt))
			fails = 0
		}
		p.established(c, inst)
		c.serve(ctx, dec)
		t.stats.disconnects.Add(1)
		p.lost(c, c.closeErr())
		backoff = t.cfg.InitialBackoff
	}
}

// backOff waits out backoff before the next dial: a wait drawn between
// half of it and the whole, where the backoff is capped at
// MaxBackoffQueued while a request or a message waits to be sent, as
// FoundationDB's FlowTransport redials a peer it has something for
// within its MAX_RECONNECTION_TIME. Something queued during a longer
// wait scales it down to the cap, counted from the wait's start, with
// the same draw; wakeUp ends it at once. It reports false when ctx
// ended.
func (p *peer) backOff(ctx context.Context, backoff time.Duration) bool {
	t := p.t
	limit := t.cfg.MaxBackoffQueued
	p.mu.Lock()
	queued := p.rel.n > 0 || p.nunrel > 0
	p.mu.Unlock()
	if queued {
		backoff = min(backoff, limit)
	}
	start := t.p.Time.Now()
	wait := backoff/2 + time.Duration(t.p.Random.Int64N(int64(backoff/2)+1))
	if !p.sleep(ctx, wait, backoff > limit) {
		return ctx.Err() == nil
	}
	// Something was queued meanwhile: wait*limit/backoff, at most limit
	// since wait is at most backoff, so the division cannot overflow.
	hi, lo := bits.Mul64(uint64(wait), uint64(limit))
	scaled, _ := bits.Div64(hi, lo, uint64(backoff))
	if rest := time.Duration(scaled) - t.p.Time.Now().Sub(start); rest > 0 {
		p.sleep(ctx, rest, false)
	}
	return ctx.Err() == nil
}

// sleep waits d, or less if wakeUp is called meanwhile or, when long,
// something is queued; not at all if wakeUp was called since the
// connect failed or the connection ended, before the wait began. It
// reports whether something queued ended it.
func (p *peer) sleep(ctx context.Context, d time.Duration, long bool) (queued bool) {
	t := p.t
	wctx, cancel := t.p.Time.WithTimeout(ctx, d)
	redial := t.p.Time.Now().Add(d)
	p.mu.Lock()
	if p.heard {
		p.mu.Unlock()
		cancel()
		return false
	}
	p.wake, p.long, p.queuedWoke, p.redial = cancel, long, false, redial
	p.mu.Unlock()
	// Deferred, for a task killed in its wait too.
	defer func() {
		p.mu.Lock()
		p.wake, p.long, p.redial = nil, false, time.Time{}
		queued = p.queuedWoke
		p.mu.Unlock()
		cancel()
	}()
	_ = providers.Wait(wctx, t.p.Task)
	return false // set by the deferred call
}

// enqueued is told, under mu, that something was queued: a peer that
// waits out a backoff longer than MaxBackoffQueued has its wait cut
// short, and the wake to call after mu is released is returned.
func (p *peer) enqueued() context.CancelFunc {
	if p.cur != nil || !p.long {
		return nil
	}
	wake := p.wake
	p.wake, p.long, p.queuedWoke = nil, false, true
	return wake
}

// countBackingOffLocked counts the peer in the transport's backingOff, or
// stops counting it. It is counted from a failed connect or the end of a
// connection (as cur becomes nil) until a connection is made, so that a
// connection from its host (heardFrom) finds it wherever its task is: in
// the backoff's wait, in the connect, or, on real goroutines, between
// the two. p.mu is held.
func (p *peer) countBackingOffLocked(on bool) {
	if on == p.backingOff {
		return
	}
	p.backingOff = on
	if on {
		p.t.backingOff.Add(1)
	} else {
		p.t.backingOff.Add(-1)
	}
}

// wakeUp has a peer that waits out its backoff, or dials again after a
// failure, dial now: the network to its host works again.
func (p *peer) wakeUp() {
	p.mu.Lock()
	wake := p.wake
	// The wait is over: something queued before the peer's task resumes
	// must not scale down a wait that no longer runs (enqueued).
	p.wake, p.long = nil, false
	p.heard = p.cur == nil
	p.mu.Unlock()
	if wake != nil {
		p.t.log.Debug("rpc: heard from the peer's host: redial now", "addr", p.addr)
		wake()
	}
}

// dial connects. After a failure (again), a connection from the peer's
// host (Transport.heardFrom) cuts the connect short, as it cuts a
// backoff's wait: its SYN may be lost to a partition that has ended and
// wait for the kernel to send it again, up to seconds later, where a new
// one goes through now. The peer then dials again at once (heard).
func (p *peer) dial(ctx context.Context, again bool) (*conn, uint64, *wire.Decoder, error) {
	now := p.t.p.Time.Now()
	p.mu.Lock()
	p.heard, p.dialing = false, now
	p.mu.Unlock()
	// Deferred: a connect that unwinds (its process killed) is over too,
	// and a later call's timeout must not say it is under way.
	defer p.dialDone()
	return p.connect(ctx, again)
}

// dialDone clears dialing: no connect is under way.
func (p *peer) dialDone() {
	p.mu.Lock()
	p.dialing = time.Time{}
	p.mu.Unlock()
}

func (p *peer) connect(ctx context.Context, hurried bool) (*conn, uint64, *wire.Decoder, error) {
	t := p.t
	dctx, cancel := t.p.Time.WithTimeout(ctx, t.cfg.ConnectTimeout)
	if hurried {
		p.mu.Lock()
		p.wake, p.long = cancel, false
		p.mu.Unlock()
	}
	nc, err := t.p.Network.Dial(dctx, p.addr)
	if hurried {
		p.mu.Lock()
		p.wake = nil
		p.mu.Unlock()
	}
	cancel()
	if err != nil {
		return nil, 0, nil, err
	}
	var sealed *sealBuffer
	if t.tls != nil {
		nc, sealed = t.secure(nc, p.host, true)
	}
	p.mu.Lock()
	p.gen++
	c := newConn(t, nc, p, p.gen)
	c.sealed = sealed
	p.mu.Unlock()
	dec, inst, err := c.handshake(ctx, true)
	if err != nil {
		c.close(err)
		return nil, 0, nil, err
	}
	return c, inst, dec, nil
}

// established makes c the connection: reliable requests are resent first.
// A new incarnation at the address has lost the requests the old one
// held: those of GetReplyUnlessFailedFor fail, as their server failed.
func (p *peer) established(c *conn, inst uint64) {
	p.mu.Lock()
	restarted := p.known && p.instance != inst
	p.known, p.instance = true, inst
	p.cur = c
	p.countBackingOffLocked(false)
	// Heard during the connect: no matter once connected, and the
	// backoff after this connection ends must not be skipped for it.
	p.heard = false
	p.connectErr = nil
	p.max.Store(int64(c.peerMax))
	p.proto.Store(uint32(c.proto))
	limit := c.maxOut()
	var broken, large []ref
	for x := p.rel.head; x != nil; {
		next := x.next
		switch {
		case restarted && x.written && x.mode == modeUnlessFailed:
			broken = append(broken, x.ref())
		case len(x.frame)-wire.HeaderSize > limit:
			// The peer would end the connection on it, and it would be
			// sent again on the next, and the next: it leaves the queue.
			r := x.ref()
			r.frameLen = len(x.frame)
			large = append(large, r)
			p.rel.remove(x)
		}
		x.written = false
		x = next
	}
	p.relNext = p.rel.head
	// So do the unreliable frames queued before the bound was known.
	large, sends := p.cutLarge(limit, large)
	p.mu.Unlock()
	p.t.stats.connects.Add(1)
	if sends > 0 {
		p.t.stats.dropped.Add(uint64(sends))
	}
	for _, x := range broken {
		x.x.complete(x.tok, nil, &failedError{fmt.Sprintf("%s: the process restarted while it held the request; its promise is broken and the request may have been delivered", callAt(x.method, x.target, p.addr))})
	}
	for _, x := range large {
		err := fmt.Errorf("%s: the request is too large: %w", callAt(x.method, x.target, p.addr), p.t.tooLargeFor(p.addr, limit, &wire.Error{Kind: wire.TooLarge, Length: uint64(x.frameLen), Max: limit}))
		if x.sent {
			x.x.complete(x.tok, nil, &maybeError{msg: err.Error() + "; it was sent before, and may have been delivered", err: err})
			continue
		}
		x.x.complete(x.tok, nil, notSent(err))
	}
	p.t.monitor.setAvailable(p.addr)
	c.kick()
}

// lost ends c (nil for a failed connect): unreliable frames are dropped
// and TryGetReply's requests in flight learn that they may have been
// delivered.
func (p *peer) lost(c *conn, err error) {
	p.mu.Lock()
	if c != nil && p.cur != c {
		p.mu.Unlock()
		return
	}
	p.cur = nil
	p.countBackingOffLocked(true)
	if c == nil {
		p.connectErr = err
	}
	for x := p.rel.head; x != nil; x = x.next {
		// A failed connect is no end of the connection x was written
		// on: its error is the peer's (connectErr).
		if x.written && c != nil {
			x.lostErr = err
		}
	}
	tries := p.tries.take()
	dropped := p.nunrel
	p.unrel, p.nunrel = p.unrel[:0], 0
	p.mu.Unlock()
	if dropped > 0 {
		p.t.stats.dropped.Add(uint64(dropped))
	}
	for _, x := range tries {
		switch {
		case c == nil:
			// Queued for a connection that could not be made: never sent.
			x.x.complete(x.tok, nil, &notSentError{msg: fmt.Sprintf("%s: the request was dropped unsent, since no connection could be made: %v", callAt(x.method, x.target, p.addr), err)})
		case !x.sent:
			// Queued for c, which ended before it wrote the frame.
			x.x.complete(x.tok, nil, &notSentError{msg: fmt.Sprintf("%s: the request was dropped unsent, since its connection ended before it was written: %v", callAt(x.method, x.target, p.addr), err)})
		default:
			x.x.complete(x.tok, nil, fmt.Errorf("%s: the connection ended before the reply (%v): %w", callAt(x.method, x.target, p.addr), err, ErrMaybeDelivered))
		}
	}
	p.t.monitor.setFailed(p.addr)
}

// takePending appends to buf what c should write of the peer's queues:
// the reliable requests not yet written on it, then the unreliable frames.
// Requests that went out on an earlier connection are resent: counted,
// and logged, since a resend is a second delivery the server may see
// while it still handles the first.
func (p *peer) takePending(buf []byte, c *conn) []byte {
	p.mu.Lock()
	if p.cur != c {
		p.mu.Unlock()
		return buf
	}
	var resent resends
	var now time.Time // read once, for the first request with a budget
	for x := p.relNext; x != nil; x = x.next {
		start := len(buf)
		buf = append(buf, x.frame...)
		if x.cancelable {
			fitKind(buf[start:], c.proto)
		}
		if !x.by.IsZero() {
			// In the copy: x.frame may be in an earlier connection's
			// write still (takeOnly), which has failed.
			if now.IsZero() {
				now = p.t.p.Time.Now()
			}
			rebudget(buf[start:], x.by, now)
		}
		if x.sent {
			resent.add(x.target)
		}
		x.written, x.sent = true, true
	}
	p.relNext = nil
	// The tries whose frames are in unrel are the unsent end of tries.
	for x := p.tries.tail; x != nil && !x.sent; x = x.prev {
		if x.cancelable || !x.by.IsZero() {
			if off, n := p.findFrame(x.tok); n > 0 {
				f := p.unrel[off : off+n]
				if x.cancelable {
					fitKind(f, c.proto)
				}
				if !x.by.IsZero() {
					if now.IsZero() {
						now = p.t.p.Time.Now()
					}
					rebudget(f, x.by, now)
				}
			}
		}
		x.sent = true
	}
	buf = append(buf, p.unrel...)
	p.unrel, p.nunrel = p.unrel[:0], 0
	p.mu.Unlock()
	if resent.n > 0 {
		p.t.stats.resent.Add(uint64(resent.n))
		if p.t.log.Enabled(p.t.ctx, slog.LevelInfo) { // the line is made only to be logged
			p.t.log.Info(resent.message(p.addr), "conn", c.name(), "requests", resent.String())
		}
	}
	return buf
}

// resends tallies the requests resent on a connection by the endpoint
// they call, in the order first met.
type resends struct {
	n       int
	targets []Token
	counts  []int
}

func (r *resends) add(tok Token) {
	r.n++
	if i := slices.Index(r.targets, tok); i >= 0 {
		r.counts[i]++
		return
	}
	r.targets = append(r.targets, tok)
	r.counts = append(r.counts, 1)
}

// message is the log's line: "rpc: resent 3 requests to kv-0:4500 on a
// new connection".
func (r *resends) message(addr string) string {
	noun := "requests"
	if r.n == 1 {
		noun = "request"
	}
	return fmt.Sprintf("rpc: resent %d %s to %s on a new connection", r.n, noun, addr)
}

// String names the endpoints called, with how many requests each:
// "wellknown/1 x2, wellknown/2 x1"; past the fourth, how many more.
func (r *resends) String() string {
	const most = 4
	var b strings.Builder
	for i, tok := range r.targets[:min(len(r.targets), most)] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%v x%d", tok, r.counts[i])
	}
	if more := len(r.targets) - most; more > 0 {
		fmt.Fprintf(&b, ", and %d more endpoints", more)
	}
	return b.String()
}

// takeOnly takes x's request as written on c, when it is all that c has
// of the peer's to write; it reports whether it did.
func (p *peer) takeOnly(c *conn, x *call) bool {
	p.mu.Lock()
	ok := p.cur == c && p.relNext == x && x.next == nil && len(p.unrel) == 0
	if ok {
		if x.cancelable {
			// Only x's caller writes x's frame itself, and the copies
			// of it are made under mu: it may be changed in place.
			fitKind(x.frame, c.proto)
		}
		x.written, x.sent = true, true
		p.relNext = nil
	}
	p.mu.Unlock()
	return ok
}

// cancelOn returns the connection to tell that the caller of x gave up on
// it at now, or nil: one that carries cancels, on which x's request was
// written and its handler may run still. A request whose deadline
// travelled with it and has passed needs none: its handler's context
// ends at that deadline, on the server's clock. Called under mu.
func (p *peer) cancelOn(x *call, now time.Time) *conn {
	c := p.cur
	if !x.cancelable || c == nil || c.proto < cancelVersion || !x.by.IsZero() && !now.Before(x.by) {
		return nil
	}
	switch {
	case x.list == &p.rel && x.written, x.list == &p.tries && x.sent:
		return c
	}
	return nil
}

// hasPending reports whether c has something of the peer's to write.
func (p *peer) hasPending(c *conn) bool {
	p.mu.Lock()
	ok := p.cur == c && (p.relNext != nil || len(p.unrel) > 0)
	p.mu.Unlock()
	return ok
}

// enqueueReliable queues x's request until x is answered.
func (p *peer) enqueueReliable(x *call) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return closedUnsent(callAt(x.method, x.target, p.addr))
	}
	if n := p.rel.n; n >= p.t.cfg.MaxQueued {
		p.mu.Unlock()
		return notSent(fmt.Errorf("%s: %d requests wait for replies already: %w; raise Config.MaxQueued, or wait for fewer at once", callAt(x.method, x.target, p.addr), n, ErrQueueFull))
	}
	p.rel.push(x)
	if p.relNext == nil {
		p.relNext = x
	}
	cur := p.cur
	wake := p.enqueued()
	p.mu.Unlock()
	if cur != nil {
		cur.sendCall(x)
	}
	if wake != nil {
		wake()
	}
	return nil
}

// enqueueUnreliable queues frame for the current connection, or the next;
// x, when not nil, is the TryGetReply waiting for its reply. It reports
// false when the frame was dropped: the queue is full.
func (p *peer) enqueueUnreliable(frame []byte, x *call) (bool, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return false, ErrClosed
	}
	if len(p.unrel)+len(frame) > p.t.cfg.MaxUnreliableBytes {
		p.mu.Unlock()
		p.t.stats.dropped.Add(1)
		return false, nil
	}
	p.unrel = append(p.unrel, frame...)
	p.nunrel++
	if x != nil {
		p.tries.push(x)
	}
	cur := p.cur
	wake := p.enqueued()
	p.mu.Unlock()
	if cur != nil {
		cur.send()
	}
	if wake != nil {
		wake()
	}
	return true, nil
}

// remove takes x off the peer's queues.
func (p *peer) remove(x *call) {
	p.mu.Lock()
	p.withdraw(x)
	p.mu.Unlock()
}

// withdraw takes x off the peer's queues, with its frame, if it waits
// there still, and reports whether x's request was never sent: a caller
// that gives up on it then knows that it never will be. Called under
// the peer's mutex.
func (p *peer) withdraw(x *call) (unsent bool) {
	switch x.list {
	case &p.rel:
		if p.relNext == x {
			p.relNext = x.next
		}
		p.rel.remove(x)
	case &p.tries:
		if !x.sent {
			p.cutFrame(x.tok)
		}
		p.tries.remove(x)
	default:
		return false
	}
	return !x.sent
}

// cutFrame takes the request frame whose reply token is tok out of
// unrel, where it waits to be written. Called under the peer's mutex.
func (p *peer) cutFrame(tok Token) {
	if off, n := p.findFrame(tok); n > 0 {
		p.unrel = append(p.unrel[:off], p.unrel[off+n:]...)
		p.nunrel--
	}
}

// findFrame finds in unrel the request frame whose reply token is tok:
// its offset and length, or a length of 0. Called under the peer's mutex.
func (p *peer) findFrame(tok Token) (off, n int) {
	for off, f := range framesIn(p.unrel) {
		if t, ok := requestToken(f); ok && t == tok {
			return off, len(f)
		}
	}
	return 0, 0
}

// cutLarge takes out of unrel the frames whose payload is larger than
// limit, the peer's bound learned from its hello: those queued before it
// was known. The tries whose frames they were leave tries too, appended
// to large; sends is how many of Send's were cut. Called under the
// peer's mutex.
func (p *peer) cutLarge(limit int, large []ref) (_ []ref, sends int) {
	kept := p.unrel[:0]
	for _, f := range framesIn(p.unrel) {
		n := len(f)
		if n-wire.HeaderSize <= limit {
			kept = append(kept, f...) // never ahead of f: copy is safe
			continue
		}
		p.nunrel--
		tok, ok := requestToken(f)
		if !ok {
			sends++
			continue
		}
		for x := p.tries.tail; x != nil && !x.sent; x = x.prev {
			if x.tok == tok {
				r := x.ref()
				r.frameLen = n
				large = append(large, r)
				p.tries.remove(x)
				break
			}
		}
	}
	p.unrel = kept
	return large, sends
}

// shutdown fails every request waiting on the peer with ErrClosed: one
// never sent matches ErrNotSent too, one sent ErrMaybeDelivered. What
// waits to be written is dropped, so that none of it goes out later.
func (p *peer) shutdown() {
	p.mu.Lock()
	p.closed = true
	calls := append(p.rel.take(), p.tries.take()...)
	p.relNext = nil
	dropped := p.nunrel
	p.unrel, p.nunrel = p.unrel[:0], 0
	cur := p.cur
	p.mu.Unlock()
	if dropped > 0 {
		p.t.stats.dropped.Add(uint64(dropped))
	}
	if cur != nil {
		cur.close(ErrClosed)
	}
	for _, x := range calls {
		at := callAt(x.method, x.target, p.addr)
		if !x.sent {
			x.x.complete(x.tok, nil, closedUnsent(at))
			continue
		}
		x.x.complete(x.tok, nil, &maybeError{msg: fmt.Sprintf("%s: the transport was closed after the request was sent, before its reply: %v", at, ErrClosed), err: ErrClosed})
	}
}

// callList is a list of calls linked through the calls themselves.
type callList struct {
	head, tail *call
	n          int
}

func (l *callList) push(x *call) {
	x.list, x.prev, x.next = l, l.tail, nil
	if l.tail != nil {
		l.tail.next = x
	} else {
		l.head = x
	}
	l.tail = x
	l.n++
}

func (l *callList) remove(x *call) {
	if x.list != l {
		return
	}
	if x.prev != nil {
		x.prev.next = x.next
	} else {
		l.head = x.next
	}
	if x.next != nil {
		x.next.prev = x.prev
	} else {
		l.tail = x.prev
	}
	x.list, x.prev, x.next = nil, nil, nil
	l.n--
}

// take empties the list and returns its calls in order.
func (l *callList) take() []ref {
	var xs []ref
	for x := l.head; x != nil; {
		next := x.next
		x.list, x.prev, x.next = nil, nil, nil
		xs = append(xs, x.ref())
		x = next
	}
	*l = callList{}
	return xs
}
