package rpc

import (
	"bytes"
	"context"
	"fmt"
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
	frame  []byte // the request's frame, for resends
	done   *providers.Chan[struct{}]

	// The peer's queues; guarded by the peer's mutex.
	prev, next *call
	list       *callList
	written    bool // on the current connection

	// The outcome; guarded by the transport's mutex.
	finished bool
	reply    []byte
	err      error
}

func (x *call) addr() string { return x.peer.addr }

func (x *call) receive(c *conn, payload []byte) {
	if len(payload) == 0 {
		return
	}
	var ok bool
	switch payload[0] {
	case kindReply:
		ok = x.complete(bytes.Clone(payload[1:]), nil)
	case kindRemoteErr:
		ok = x.complete(nil, &RemoteError{Addr: x.addr(), Token: x.target, Msg: string(payload[1:])})
	case kindBroken:
		ok = x.complete(nil, fmt.Errorf("rpc: %v at %s: %w", x.target, x.addr(), ErrBrokenPromise))
	default:
		return
	}
	if !ok {
		x.t.stats.orphans.Add(1)
	}
}

// complete settles the call, once: it reports false if it was settled.
func (x *call) complete(reply []byte, err error) bool {
	t := x.t
	t.mu.Lock()
	if x.finished {
		t.mu.Unlock()
		return false
	}
	x.finished, x.reply, x.err = true, reply, err
	if t.endpoints[x.tok] == x {
		delete(t.endpoints, x.tok)
	}
	t.mu.Unlock()
	x.peer.remove(x)
	x.done.TrySend(struct{}{})
	return true
}

// roundTrip sends req to target at addr in mode m and waits for the
// reply's payload.
func (t *Transport) roundTrip(ctx context.Context, method, addr string, target Token, req any, m mode, d time.Duration) ([]byte, error) {
	pr, err := t.peer(addr)
	if err != nil {
		return nil, fmt.Errorf("rpc: %s: %w", method, err)
	}
	if t.monitor.PermanentlyFailed(addr, target) {
		return nil, fmt.Errorf("rpc: %s: %v at %s is permanently failed: %w", method, target, addr, ErrEndpointNotFound)
	}
	x := &call{t: t, peer: pr, target: target, mode: m, done: providers.NewChan[struct{}](t.p.Task, 1)}
	t.mu.Lock()
	for {
		x.tok = NewToken(t.p.Random)
		if _, taken := t.endpoints[x.tok]; !taken {
			break
		}
	}
	closed := t.closed
	if !closed {
		t.endpoints[x.tok] = x
	}
	t.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("rpc: %s: %w", method, ErrClosed)
	}
	frame, at := wire.Begin(nil, wire.Token(target))
	frame = append(frame, kindRequest)
	frame = append(frame, x.tok[:]...)
	frame, err = t.cfg.Codec.Append(frame, req)
	if err == nil {
		frame, err = wire.Finish(frame, at, t.cfg.MaxPayload)
	}
	if err != nil {
		err = fmt.Errorf("rpc: %s to %v at %s: encode the request: %w", method, target, addr, err)
		x.complete(nil, err)
		return nil, err
	}
	switch m {
	case modeTry:
		ok, err := pr.enqueueUnreliable(frame, x)
		if err == nil && !ok {
			err = fmt.Errorf("rpc: %s to %v at %s: the unreliable queue is full, the request was dropped: %w", method, target, addr, ErrMaybeDelivered)
		}
		if err != nil {
			x.complete(nil, err)
		}
	default:
		x.frame = frame
		if err := pr.enqueueReliable(x); err != nil {
			x.complete(nil, err)
		}
	}
	if m == modeUnlessFailed {
		stop := t.monitor.onFailedFor(addr, d, func() {
			x.complete(nil, &failedError{fmt.Sprintf("rpc: %s to %v at %s: the address has failed for %v: the promise is broken and the request may have been delivered", method, target, addr, d)})
		})
		defer stop()
	}
	if _, _, err := x.done.Recv(ctx); err != nil {
		x.complete(nil, fmt.Errorf("rpc: %s to %v at %s: %w", method, target, addr, err))
	}
	t.mu.Lock()
	reply, err := x.reply, x.err
	t.mu.Unlock()
	return reply, err
}

// send sends msg to target at addr, unreliably, with no reply.
func (t *Transport) send(addr string, target Token, msg any) error {
	pr, err := t.peer(addr)
	if err != nil {
		return fmt.Errorf("rpc: Send: %w", err)
	}
	frame, at := wire.Begin(nil, wire.Token(target))
	frame = append(frame, kindSend)
	frame, err = t.cfg.Codec.Append(frame, msg)
	if err == nil {
		frame, err = wire.Finish(frame, at, t.cfg.MaxPayload)
	}
	if err != nil {
		return fmt.Errorf("rpc: Send to %v at %s: encode the message: %w", target, addr, err)
	}
	if _, err := pr.enqueueUnreliable(frame, nil); err != nil {
		return fmt.Errorf("rpc: Send to %v at %s: %w", target, addr, err)
	}
	return nil
}
