package rpc

import (
	"context"
	"slices"
	"time"
)

// heldFrame is a request or a message held for a token not yet served.
type heldFrame struct {
	c       *conn
	tok     Token
	payload []byte    // a copy
	at      time.Time // its arrival, from which a request's budget counts
}

// hold holds payload, a request or a message for tok that nothing
// served when it was looked up, which arrived on c. It reports whether it
// did; if not, r, when not nil, is the receiver that serves tok since,
// and otherwise the frame is answered not found. It holds frames for
// well-known tokens only (a dynamic token not served is gone, or never
// was), during the grace, and up to MaxUnreliableBytes of them.
func (t *Transport) hold(c *conn, tok Token, payload []byte) (r receiver, held bool) {
	if t.holdUntil.IsZero() || !tok.IsWellKnown() {
		return nil, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.endpoints[tok]; r != nil {
		// Served since the lookup: had the frame been held now, it would
		// wait behind the frames handed over already, for nothing.
		return r, false
	}
	if t.closed || t.graceOver || !t.p.Time.Now().Before(t.holdUntil) ||
		t.heldBytes+len(payload) > t.cfg.MaxUnreliableBytes {
		return nil, false
	}
	if !t.expiring {
		// The task that answers what is still held when the grace ends,
		// started only once something is held.
		t.tasks.Add(1)
		if t.spawn(t.ctx, "rpc serve grace", func(ctx context.Context) error {
			defer t.tasks.Done()
			t.expireHeld(ctx)
			return nil
		}) == nil {
			t.tasks.Done() // the transport's process was killed
			return nil, false
		}
		t.expiring = true
	}
	t.held = append(t.held, heldFrame{c: c, tok: tok, payload: append([]byte(nil), payload...), at: t.p.Time.Now()})
	t.heldBytes += len(payload)
	return nil, true
}

// dropHeld drops the request held for an endpoint not served yet that
// arrived on c with reply token reply, if one is: its caller gave up on
// it (conn.cancelRequest), and no handler is to run for nobody once the
// endpoint is served.
func (t *Transport) dropHeld(c *conn, reply Token) {
	if t.holdUntil.IsZero() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, h := range t.held {
		if tok, ok := replyToken(h.payload); ok && h.c == c && tok == reply {
			t.heldBytes -= len(h.payload)
			t.held = slices.Delete(t.held, i, i+1)
			return
		}
	}
}

// expireHeld waits for the grace to end, then answers not found what is
// still held, and holds nothing more.
func (t *Transport) expireHeld(ctx context.Context) {
	if t.p.Time.Sleep(ctx, t.holdUntil.Sub(t.p.Time.Now())) != nil {
		return // closing: the connections are closed too
	}
	t.mu.Lock()
	held := t.held
	t.held, t.heldBytes, t.graceOver = nil, 0, true
	t.mu.Unlock()
	for _, h := range held {
		t.answerNotFound(h.c, h.tok, h.payload)
	}
}

// takeHeldLocked removes from the held frames those for tok, and returns
// them in the order they arrived. t.mu is held.
func (t *Transport) takeHeldLocked(tok Token) []heldFrame {
	var out []heldFrame
	kept := t.held[:0]
	for _, h := range t.held {
		if h.tok == tok {
			out = append(out, h)
			t.heldBytes -= len(h.payload)
		} else {
			kept = append(kept, h)
		}
	}
	clear(t.held[len(kept):])
	t.held = kept
	return out
}

// handOverLocked serves tok with r, for which frames were held: r gets
// them in the order they arrived, then what arrived meanwhile, and only
// then is it the token's receiver. Until then a handover, in r's place,
// takes what arrives for tok, so that no frame passes those held before
// it on its connection; it also keeps tok in use. t.mu is held; it is
// released while frames are handed over, and held again on return.
func (t *Transport) handOverLocked(tok Token, r receiver, frames []heldFrame) {
	ho := &handover{t: t, tok: tok, r: r}
	t.endpoints[tok] = ho
	for len(frames) > 0 {
		t.handOver(r.(heldReceiver), frames)
		frames, ho.frames = ho.frames, nil
	}
	ho.done = true
	if t.endpoints[tok] == ho { // not unserved meanwhile
		t.endpoints[tok] = r
	}
	t.epGen++ // a connection's cache may hold the handover
}

// handOver hands frames to r with t.mu released, and holds it again on
// return, should r panic too (a codec's): the caller's unlock is
// deferred.
func (t *Transport) handOver(r heldReceiver, frames []heldFrame) {
	t.mu.Unlock()
	defer t.mu.Lock()
	for _, h := range frames {
		if !h.c.isClosed() {
			r.receiveHeld(h.c, h.payload, h.at)
		}
	}
}

// A heldReceiver takes a frame that was held for it, in a task that is
// not the connection's reader.
type heldReceiver interface {
	receiveHeld(c *conn, payload []byte, arrived time.Time)
}

// handover stands for an endpoint while the frames held for it are
// handed to it: what arrives meanwhile waits behind them.
type handover struct {
	t      *Transport
	tok    Token
	r      receiver
	frames []heldFrame // guarded by t.mu
	done   bool        // guarded by t.mu: r has everything held
}

func (ho *handover) receive(c *conn, tok Token, payload []byte) {
	t := ho.t
	t.mu.Lock()
	if !ho.done {
		ho.frames = append(ho.frames, heldFrame{c: c, tok: tok, payload: append([]byte(nil), payload...), at: t.p.Time.Now()})
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	ho.r.receive(c, tok, payload)
}

// closeStream is Unserve's, or Close's, during the handover: the token is
// served no more (it is not given to the endpoint afterwards), and a
// stream is closed.
func (ho *handover) closeStream() {
	ho.t.unregister(ho.tok, ho)
	if s, ok := ho.r.(interface{ closeStream() }); ok {
		s.closeStream()
	}
}
