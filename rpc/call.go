package rpc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc/internal/wire"
)

// mode is how a request is delivered.
type mode uint8

const (
	modeTry          mode = iota + 1 // TryGetReply: unreliable, once
	modeReliable                     // GetReply: resent on each connection
	modeUnlessFailed                 // GetReplyUnlessFailedFor: as GetReply, until the address has failed for a while
)

// call is a request waiting for its reply. Its reply token is registered
// with the transport, so that the reply finds it.
type call struct {
	t      *Transport
	peer   *peer
	tok    Token // the reply token
	target Token // the endpoint called
	mode   mode
	method string // TryGetReply, GetReply or GetReplyUnlessFailedFor, for errors
	frame  []byte // the request's frame, for resends
	// by is the caller's deadline when the frame carries the time left
	// before it (zero otherwise): each write of the frame carries the
	// time left then (rebudget).
	by time.Time
	// cancelable: the caller's context can end before its transport's
	// does, and a request written on a connection that carries cancels
	// says so (fitKind), so that the caller's giving up reaches the
	// handler (see Transport.wait).
	cancelable bool
	// The boxes of the request and the reply (a *Req and a *Resp),
	// kept with the call for its next use.
	reqBox, respBox any
	done            *providers.Chan[struct{}]

	// The peer's queues; guarded by the peer's mutex.
	prev, next *call
	list       *callList
	written    bool // on the current connection
	sent       bool // on any connection: false, the request never went out
	// lostErr is why the last connection the request was written on
	// ended, for the error of a caller whose context ends before a
	// resend is answered: a reply that can never arrive (larger than
	// Config.MaxPayload here) shows only so.
	lostErr error

	slot uint32 // in the transport's calls, kept while the call is free too (see putCall)

	// The outcome; set under the transport's mutex, and read by the
	// caller once done has its value (or, with selfDone, at once: its
	// caller settled it while reading for it).
	selfDone bool
	finished bool
	reply    []byte // a copy of the reply's payload
	// view is the reply where the connection's decoder holds it, when
	// the caller read it itself: it is decoded there, with no copy,
	// since nothing reads the connection before the caller decodes it.
	view []byte
	err  error

	// In a simulation: the connection whose reading was lent to the
	// caller with the reply (conn.lend), and the one the caller reads
	// for the reply (Transport.wait).
	lent, readOn *conn
}

// ref is a call as it was when taken from a queue: calls are reused, so
// whoever settles one later names it by its reply token.
type ref struct {
	x           *call
	tok, target Token
	method      string
	sent        bool
	frameLen    int // for a request too large for its connection (peer.established)
}

func (x *call) ref() ref {
	return ref{x: x, tok: x.tok, target: x.target, method: x.method, sent: x.sent}
}

func (x *call) receive(c *conn, tok Token, payload []byte) {
	if len(payload) == 0 {
		return
	}
	switch payload[0] {
	case kindReply, kindRemoteErr, kindRemoteErrWrapping, kindBroken, kindReplyLost, kindUndecodable:
	default:
		return
	}
	if !x.settle(tok, c, payload, nil) {
		x.t.stats.orphans.Add(1)
		return
	}
	if c.rstate == readByTask && c.ctxReader != nil {
		c.lend(x) // the reader task read it: the caller reads the next one
	}
}

// complete settles the call whose reply token is tok, once, with a copy
// of reply or with err; it reports false if the call was settled already
// (or reused since).
func (x *call) complete(tok Token, reply []byte, err error) bool {
	return x.settle(tok, nil, reply, err)
}

// settle is complete, or, with c, the settling of the call by the answer
// in payload (its kind, then its body) that arrived on c. The answer is
// made into the outcome under the transport's mutex: a reader may find a
// call already settled, whose caller clears it and hands it back
// meanwhile (putCall), and only under the mutex are its fields its own
// call's.
func (x *call) settle(tok Token, c *conn, reply []byte, err error) bool {
	t := x.t
	t.mu.Lock()
	if x.finished || x.tok != tok {
		t.mu.Unlock()
		return false
	}
	inPlace := false
	if c != nil {
		switch kind, body := reply[0], reply[1:]; kind {
		case kindReply:
			// The caller reads its own reply: it decodes it in place.
			inPlace, reply = x.readOn == c && c.rstate == readByCaller, body
		case kindRemoteErr, kindRemoteErrWrapping:
			err, reply = remoteErr(c.remote(), x.target, kind, body), nil
		case kindReplyLost:
			err, reply = &replyLostError{fmt.Sprintf("%s: the handler ran and replied, but its reply could not be sent: %s; what the handler did stands", callAt(x.method, x.target, c.remote()), body)}, nil
		case kindUndecodable:
			err, reply = &RemoteError{Addr: c.remote(), Token: x.target, Msg: string(body), undecoded: true}, nil
		default: // kindBroken
			err, reply = fmt.Errorf("%s: %w", callAt(x.method, x.target, c.remote()), ErrBrokenPromise), nil
		}
	}
	x.finished, x.err = true, err
	if inPlace {
		x.view = reply
	} else {
		x.reply = append(x.reply[:0], reply...)
	}
	pr := x.peer
	t.mu.Unlock()
	pr.remove(x)
	if c := x.readOn; c != nil {
		if !c.inNext {
			// The caller settles it, reading for it: it need not be told.
			x.selfDone = true
			return true
		}
		// The caller reads for this reply: a read deadline of now
		// wakes it.
		c.poked = true
		_ = c.nc.SetReadDeadline(t.p.Time.Now())
	}
	x.done.TrySend(struct{}{}) // the last touch: the caller may reuse x once it has this
	return true
}

// Reply tokens: the transport's random replyBase, whose low half gets
// the call's count shifted left by slotBits, plus its slot in calls. The
// slot finds the call without a map; the count makes the token unlike
// those of the calls that held the slot before.
const (
	slotBits = 24
	maxSlots = 1 << slotBits
)

// callLocked returns the call waiting for a reply at tok, or nil. t.mu is
// held.
func (t *Transport) callLocked(tok Token) *call {
	if tok.hi() != t.replyBase.hi() {
		return nil
	}
	slot := (tok.lo() - t.replyBase.lo()) & (maxSlots - 1)
	if slot >= uint64(len(t.calls)) {
		return nil
	}
	if x := t.calls[slot]; x != nil && x.tok == tok {
		return x
	}
	return nil
}

// newCallLocked returns a new call, for the free list's lack of one.
func (t *Transport) newCallLocked() *call {
	return &call{t: t, done: providers.NewChan[struct{}](t.p.Task, 1), frame: make([]byte, 0, 128)}
}

// putCall returns a settled call, whose done its caller received, to the
// free list. A call keeps its slot in calls while it is free, settled
// (finished) and with no token, so that its next use takes no slot; a
// call that the free list does not keep gives its slot back.
func (t *Transport) putCall(x *call) {
	t.mu.Lock()
	x.peer, x.tok, x.target, x.mode, x.written, x.err, x.selfDone = nil, Token{}, Token{}, 0, false, nil, false
	x.sent, x.lostErr, x.by, x.cancelable = false, nil, time.Time{}, false
	x.lent, x.readOn, x.view = nil, nil, nil
	x.frame, x.reply = x.frame[:0], x.reply[:0]
	if len(t.free) < 64 && cap(x.frame) <= 4<<10 && cap(x.reply) <= 4<<10 {
		t.free = append(t.free, x)
	} else {
		t.calls[x.slot] = nil
		t.freeSlots = append(t.freeSlots, x.slot)
	}
	t.mu.Unlock()
}

// newCall makes the call of a request to target at addr in mode m, its
// reply token registered; the caller encodes the request, then has it
// sent with exchange and waits with wait.
func (t *Transport) newCall(method, addr string, target Token, m mode) (*call, error) {
	t.mu.Lock()
	pr := t.lastPeer // a client calls one server after another
	if pr == nil || pr.addr != addr {
		if pr = t.peers[addr]; pr != nil {
			t.lastPeer = pr
		}
	}
	t.mu.Unlock()
	if pr == nil {
		var err error
		if pr, err = t.peer(addr); err != nil {
			return nil, notSent(fmt.Errorf("rpc: %s: %w", method, err))
		}
	}
	// Only dynamic tokens are found permanently failed (notFound).
	if !target.IsWellKnown() && t.monitor.PermanentlyFailed(addr, target) {
		return nil, notSent(fmt.Errorf("rpc: %s: %v at %s is permanently failed: its server answered that it no longer serves it; ask its server for its endpoint again: %w", method, target, addr, ErrEndpointNotFound))
	}
	t.mu.Lock()
	// A transport whose context ended is closed, even when its close
	// task did not run: a crash of its process kills that task.
	if t.closed || t.ctx.Err() != nil {
		t.mu.Unlock()
		return nil, notSent(fmt.Errorf("rpc: %s: %w", method, ErrClosed))
	}
	var x *call
	if n := len(t.free); n > 0 {
		x = t.free[n-1] // with its slot
		t.free[n-1] = nil
		t.free = t.free[:n-1]
	} else {
		var slot uint32
		if n := len(t.freeSlots); n > 0 {
			slot = t.freeSlots[n-1]
			t.freeSlots = t.freeSlots[:n-1]
		} else if len(t.calls) < maxSlots {
			slot = uint32(len(t.calls))
			t.calls = append(t.calls, nil)
		} else {
			t.mu.Unlock()
			return nil, notSent(fmt.Errorf("rpc: %s: %d calls wait for replies already, the most a transport keeps: %w; wait for fewer at once", method, maxSlots, ErrQueueFull))
		}
		x = t.newCallLocked()
		x.slot = slot
		t.calls[slot] = x
	}
	x.peer, x.target, x.mode, x.method, x.finished = pr, target, m, method, false
	// Reply tokens are the incarnation's random base plus a count and a
	// slot: unique in this transport, unlike any other incarnation's, and
	// drawn without a draw from the run's stream per call.
	t.replies++
	x.tok = t.replyBase
	binary.BigEndian.PutUint64(x.tok[8:], t.replyBase.lo()+(t.replies<<slotBits|uint64(x.slot)))
	t.mu.Unlock()
	return x, nil
}

// encode writes x's request frame: the request in b, encoded for x's
// target, with the time left before ctx's deadline, if it has one of the
// caller's own (see budget).
func encode[Req any](ctx context.Context, x *call, b *msgBox[Req]) error {
	t := x.t
	frame, at := wire.Begin(x.frame[:0], wire.Token(x.target))
	x.cancelable = t.cancelable(ctx)
	// The kind is the one for the peer's connection as last met; a
	// connection of another version has it changed as it is written.
	proto := uint16(x.peer.proto.Load())
	if left, by := t.budget(ctx); left > 0 {
		frame = append(frame, requestKind(true, x.cancelable, proto))
		frame = append(frame, x.tok[:]...)
		frame = binary.LittleEndian.AppendUint64(frame, uint64(left))
		x.by = by
	} else {
		frame = append(frame, requestKind(false, x.cancelable, proto))
		frame = append(frame, x.tok[:]...)
	}
	frame, err := b.appendTo(t, frame)
	if err == nil {
		frame, err = t.finishFor(frame, at, x.peer, x.peer.maxOut())
	}
	x.frame = frame
	return err
}

// budget is the time left before ctx's deadline, which travels with a
// request: 0 when ctx has none, or none sooner than the transport's own
// context's (the deadline of the context NewTransport was given, which
// every handler's context inherits, is no deadline of a call), and a
// nanosecond when it has passed on this end's clock, which the server
// takes as spent: no handler starts.
// The deadline itself is returned too, for the writes of the request
// after this one (rebudget).
func (t *Transport) budget(ctx context.Context) (time.Duration, time.Time) {
	d, ok := ctx.Deadline()
	if !ok {
		return 0, time.Time{}
	}
	if td, ok := t.ctx.Deadline(); ok && !d.Before(td) {
		return 0, time.Time{}
	}
	return max(d.Sub(t.p.Time.Now()), 1), d
}

// cancelable reports whether ctx can end before the transport's own
// context does (the one NewTransport was given): only then can a caller
// give up on its request sooner than its connection ends, which the
// server learns of anyway, so only then does the server need to make the
// request a context of its own. A call under that very context, or one
// that only adds values to it, is not: its Done channel is the same.
// (The contexts themselves are not compared: a context type of the
// caller's may not be comparable.)
func (t *Transport) cancelable(ctx context.Context) bool {
	d := ctx.Done()
	return d != nil && d != t.baseDone
}

// fitKind has the request frame f, of a call that its caller may cancel,
// say so on a connection of version proto that carries cancels, and not
// on one of an older version, whose server would not know the kind.
func fitKind(f []byte, proto uint16) {
	k := f[wire.HeaderSize]
	if want := requestKind(hasBudget(k), true, proto); want != k {
		f[wire.HeaderSize] = want
		wire.Reseal(f)
	}
}

// budgetAt is where a request frame's budget is: after the header, the
// kind and the reply token.
const budgetAt = replyTokenAt + len(Token{})

// rebudget has the request frame f, whose caller's deadline is by, carry
// the time left before it at now, as the frame is written again, or
// later than it was encoded: the handler's deadline is then its caller's,
// give or take the network's transit, not later by how long the request
// waited for a connection.
func rebudget(f []byte, by, now time.Time) {
	left := uint64(max(by.Sub(now), 1))
	if binary.LittleEndian.Uint64(f[budgetAt:]) == left {
		return
	}
	binary.LittleEndian.PutUint64(f[budgetAt:], left)
	wire.Reseal(f)
}

// exchange sends x's request, unless encoding it failed with encErr,
// which then settles x. The caller waits for the outcome with wait, and
// then calls stop, when exchange returns one (GetReplyUnlessFailedFor's
// watch of the address). exchange does not wait itself, so that the
// caller parks one frame higher (see wait).
func (t *Transport) exchange(x *call, encErr error, method, addr string, d time.Duration) (stop func()) {
	pr, tok, target, m, frame := x.peer, x.tok, x.target, x.mode, x.frame
	if encErr != nil {
		x.complete(tok, nil, notSent(fmt.Errorf("%s: encode the request: %w", callAt(method, target, addr), encErr)))
		return nil
	}
	switch m {
	case modeTry:
		ok, err := pr.enqueueUnreliable(frame, x)
		if err != nil {
			err = closedUnsent(callAt(method, target, addr))
		} else if !ok {
			err = &notSentError{msg: fmt.Sprintf("%s: the request was dropped unsent, since the peer's unreliable queue is full (Config.MaxUnreliableBytes)", callAt(method, target, addr))}
		}
		if err != nil {
			x.complete(tok, nil, err)
		}
	default:
		if err := pr.enqueueReliable(x); err != nil {
			x.complete(tok, nil, err)
		}
	}
	if m == modeUnlessFailed {
		tok := tok // only this branch's copy escapes to the heap
		// The failure counts from the request's start: an address that
		// failed before, and that no connection was tried to since (the
		// peer waits out its backoff), has not failed this request yet.
		return t.monitor.onFailedFor(addr, d, t.p.Time.Now(), func() {
			// A request never written leaves the queue, under the lock
			// that writing it takes, and its caller learns so. Under t.mu,
			// x is still this call's while it is not settled.
			t.mu.Lock()
			unsent := false
			if x.tok == tok && !x.finished {
				pr.mu.Lock()
				unsent = pr.withdraw(x)
				pr.mu.Unlock()
			}
			t.mu.Unlock()
			at := callAt(method, target, addr)
			if unsent {
				x.complete(tok, nil, &notSentError{msg: fmt.Sprintf("%s: the address has failed for %v before the request was sent: the promise is broken and the request was not sent", at, d), err: ErrBrokenPromise})
				return
			}
			x.complete(tok, nil, &failedError{fmt.Sprintf("%s: the address has failed for %v: the promise is broken and the request may have been delivered", at, d)})
		})
	}
	return nil
}

// wait waits for the outcome of x, whose reply token is tok. On success
// the caller decodes x.reply (or x.view), then hands x back with
// putCall; on an error, x is back already.
//
// In a simulation, the caller first reads the connection for its reply
// itself if it holds the connection's reading, as leader/follower
// servers do: the reader task, which would read the reply and wake the
// caller, a task switch a round trip, is not woken. A caller holds the
// reading when the reader task lent it with its last reply (conn.lend),
// until it gives up its turn other than to read; so a caller that makes
// call after call on one connection reads every reply itself. It reads
// whatever arrives, dispatching it as the reader task would (a request
// then runs in a task of its own, since the caller cannot hand on its
// reading), until x is settled, its context ends or the connection
// fails; then it keeps the reading, or gives it back on failure. The
// reading is done here rather than in a function of its own, and
// the methods call wait themselves (see start), so that the caller
// parks under fewer frames: a task that resumes returns through each.
func (t *Transport) wait(ctx context.Context, x *call, tok Token, method, addr string) error {
	var c *conn
	if t.sim { // in production, cur is the peer's, under its lock
		c = x.peer.cur
	}
	if c != nil && c.rstate == readHeld {
		// The caller parks in the read as the reader: the engine's call
		// of returnHeld then finds the reading no longer held, and does
		// nothing.
		c.rstate, c.readCtx, x.readOn = readByCaller, ctx, c
		ok := true
		for !x.finished {
			c.inNext = true
			c.fill() // with readCtx, ctx's read
			rtok, payload, err := c.dec.Next()
			c.inNext = false
			if err != nil {
				if c.poked {
					c.poked = false
					_ = c.nc.SetReadDeadline(time.Time{})
				}
				if !errors.Is(err, wire.ErrInterrupted) {
					c.readFailed(err)
				}
				ok = false
				break
			}
			if Token(rtok) == x.tok {
				x.receive(c, x.tok, payload) // as dispatch would: x waits for it
			} else {
				t.dispatch(c, Token(rtok), payload)
			}
		}
		c.readCtx, x.readOn = nil, nil
		if ok {
			c.rstate = readHeld
			t.parker.OnPark(c.giveBack)
		} else {
			c.returnReading()
		}
	}
	if x.selfDone {
		x.selfDone = false
	} else if _, _, err := x.done.Recv(ctx); err != nil {
		// Settle it now, or, if it was settled meanwhile, wait for the
		// settler's last touch: either way, done gets its value.
		pr := x.peer
		pr.mu.Lock()
		lerr, cerr, dialing, redial := x.lostErr, pr.connectErr, pr.dialing, pr.redial
		cancelOn := pr.cancelOn(x, t.p.Time.Now())
		// A request not yet written is taken out of the queue, under
		// the lock that writing it takes: it will never be sent.
		unsent := pr.withdraw(x)
		pr.mu.Unlock()
		if why := notConnected(t.p.Time.Now(), lerr, cerr, dialing, redial); why != "" {
			err = fmt.Errorf("%w (%s)", err, why)
		}
		err = fmt.Errorf("%s: %w", callAt(method, x.target, addr), err)
		if unsent {
			err = &notSentError{msg: err.Error() + ": the request was not sent", err: err}
		}
		if x.complete(tok, nil, err) && cancelOn != nil {
			// Its handler may still run: the server ends its context.
			cancelOn.queueFrame(tok, []byte{kindCancel})
		}
		_, _, _ = x.done.Recv(context.WithoutCancel(ctx))
	}
	if c := x.lent; c != nil {
		x.lent = nil
		c.takeLent(x)
	}
	// x.err was set before done had its value, and nobody sets it again.
	if err := x.err; err != nil {
		t.putCall(x)
		return err
	}
	return nil
}

// notConnected says why a call whose context ended had no reply, when
// the connection is the likely reason: the one the request was sent on
// ended (lerr), the connects since failed (cerr, the last one's error),
// a connect begun at dialing is under way, the next waits for redial.
// What happens now is said: a connect that hangs, not the refusal
// before it, is what the caller waited on last.
func notConnected(now time.Time, lerr, cerr error, dialing, redial time.Time) string {
	var parts []string
	if lerr != nil {
		parts = append(parts, fmt.Sprintf("the request was sent, and its connection ended before the reply: %v", lerr))
	}
	switch {
	case !dialing.IsZero():
		under := fmt.Sprintf("a connect to the address has been under way for %v", now.Sub(dialing).Round(time.Millisecond))
		if cerr != nil {
			under += fmt.Sprintf(", and the one before it failed: %v", cerr)
		}
		if lerr == nil {
			under = "not connected: " + under
		}
		parts = append(parts, under)
	case cerr != nil && lerr != nil:
		parts = append(parts, fmt.Sprintf("no connection could be made since: %v", cerr))
	case cerr != nil:
		parts = append(parts, fmt.Sprintf("no connection could be made: %v", cerr))
	}
	if dialing.IsZero() && redial.After(now) && len(parts) > 0 {
		parts = append(parts, fmt.Sprintf("the next connect begins in %v", redial.Sub(now).Round(time.Millisecond)))
	}
	return strings.Join(parts, "; ")
}

// finishFor finishes a frame for the other end, to, which accepts
// payloads of at most limit bytes (maxOut): a larger one is an error
// naming the bound, and the end whose bound it is. to is asked its
// address only then: a connection's is made each time it is asked.
func (t *Transport) finishFor(frame []byte, at int, to interface{ remote() string }, limit int) ([]byte, error) {
	frame, err := wire.Finish(frame, at, limit)
	if err != nil && limit < t.cfg.MaxPayload {
		err = t.tooLargeFor(to.remote(), limit, err)
	}
	return frame, err
}

// tooLargeFor is the error of a frame too large for the other end at
// addr, whose bound, lower than this end's, is limit: err says how large.
func (t *Transport) tooLargeFor(addr string, limit int, err error) error {
	return fmt.Errorf("%s accepts at most %d bytes of payload (its Config.MaxPayload), less than this end's %d: %w", addr, limit, t.cfg.MaxPayload, err)
}

// send sends msg to target at addr, unreliably, with no reply.
func (t *Transport) send(addr string, target Token, msg any) error {
	pr, err := t.peer(addr)
	if err != nil {
		return notSent(fmt.Errorf("rpc: Send: %w", err))
	}
	frame, at := wire.Begin(nil, wire.Token(target))
	frame = append(frame, kindSend)
	frame, err = t.cfg.Codec.Append(frame, msg)
	if err == nil {
		frame, err = t.finishFor(frame, at, pr, pr.maxOut())
	}
	if err != nil {
		return notSent(fmt.Errorf("rpc: Send to %v at %s: encode the message: %w", target, addr, err))
	}
	if _, err := pr.enqueueUnreliable(frame, nil); err != nil {
		return notSent(fmt.Errorf("rpc: Send to %v at %s: %w", target, addr, err))
	}
	return nil
}
