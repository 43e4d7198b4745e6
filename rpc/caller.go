package rpc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// Caller is who sent a request, as the connection it came on tells: what
// net/http's Request has in RemoteAddr and TLS, and gRPC's peer.Peer in
// Addr and AuthInfo. A handler reads it with [CallerOf], a stream's
// reader with [Request.Caller], to authorise a request by the caller's
// certificate where Config.TLS.VerifyConnection can only take or refuse
// a whole connection.
type Caller struct {
	// RemoteAddr is the connection's remote address, host:port. The
	// host is the caller's; the port is the one its connection left
	// from, not the one its transport listens on, which the hello does
	// not carry (a handler that needs it has it sent in the request).
	// A request sent again on a new connection, as GetReply does after
	// a reconnect, comes from that connection's address.
	RemoteAddr string
	// TLS is the connection's state after its TLS handshake, nil
	// without Config.TLS: the version, the caller's certificates
	// (PeerCertificates, the caller's own first; none when the server's
	// ClientAuth asks for none) and, when ClientAuth verified them,
	// VerifiedChains, each leading from the caller's certificate to one
	// of Config.TLS.ClientCAs. Every request of the connection shares
	// it: read it, do not change it, as a change is what every later
	// request on the connection sees.
	TLS *tls.ConnectionState
}

// Certificate returns the caller's own certificate once the server
// verified it against Config.TLS.ClientCAs (ClientAuth set to
// tls.RequireAndVerifyClientCert, or tls.VerifyClientCertIfGiven and a
// certificate given): the first of TLS.PeerCertificates when
// TLS.VerifiedChains holds a chain. It is nil when the caller gave no
// certificate, when the connection is plaintext, and when nothing
// verified the certificate (ClientAuth tls.RequireAnyClientCert, whose
// certificates anyone can make), so that a check of its Subject, DNS
// names or URIs trusts only what a CA vouched for. A server that
// verifies callers by a check of its own (VerifyConnection) reads
// TLS.PeerCertificates instead.
func (c Caller) Certificate() *x509.Certificate {
	if c.TLS == nil || len(c.TLS.VerifiedChains) == 0 || len(c.TLS.PeerCertificates) == 0 {
		return nil
	}
	return c.TLS.PeerCertificates[0]
}

// callerKey is the key of a handler's context under which its Caller is.
type callerKey struct{}

// CallerOf returns the caller of the request whose handler ctx is, or a
// context made from it, and whether ctx is one: a [Handler]'s context
// carries its request's caller, as gRPC's peer.FromContext reads one.
// It costs nothing per request: the context a handler gets is made once
// per connection.
func CallerOf(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(*Caller)
	if !ok {
		return Caller{}, false
	}
	return *c, true
}

// Caller returns who sent the request: the connection it came on, as
// [CallerOf] tells a handler.
func (r *Request[Req, Resp]) Caller() Caller { return r.p.c.caller }

// Context returns the context of the request, what a [Handler]'s would
// be without a deadline: it carries the caller ([CallerOf]), and ends
// when the connection the request came on closes or fails, its cause
// (context.Cause) then matching [ErrCallerGone], when the caller gives
// up on the request and says so, its cause matching
// [ErrCallerCanceled], or when the transport closes. A reader that holds
// requests to answer later (a long poll, a queue of waiters for a lock)
// tests it to drop those whose caller is gone or gave up, whose answers
// nobody reads. The context of a request its caller may cancel is the
// request's own, and ends too as the request is answered. A Send's
// request, which no caller waits on, ends only as the transport closes.
// The caller's deadline is not in it: a stream's requests do not carry
// one.
func (r *Request[Req, Resp]) Context() context.Context { return r.p.handlerCtx() }

// handlerCtx is the context the handler of p's request runs in, which
// carries its caller: made once by its connection (knowCaller), a
// request's ends as its connection does, when no reply could reach the
// caller any more, and a Send's, which no caller waits on, only as the
// transport closes; a request its caller may cancel has its own
// (promise.track), under its connection's.
func (p *promise) handlerCtx() context.Context {
	switch {
	case p.tok.IsZero():
		return p.c.callerCtx
	case p.ctx != nil:
		return p.ctx // a request its caller may cancel (track)
	}
	return p.c.handlerCtx
}

// knowCaller notes who is at the other end of c, its handshake done,
// and makes the contexts its handlers get: the transport's, which
// carries it, and on a connection that carries requests (an accepted
// one: see Transport.dispatch) a child of it that ends with the
// connection, with a cause that says so (callerGone). Both are made once
// per connection, so that a request costs no allocation for them; the
// context of a request its caller may cancel is made under the second
// (reqParent), for that request alone.
func (c *conn) knowCaller() {
	c.caller.RemoteAddr = c.nc.RemoteAddr().String()
	if tc, ok := c.nc.(*tls.Conn); ok {
		st := tc.ConnectionState()
		c.caller.TLS = &st
	}
	c.callerCtx = context.WithValue(c.t.ctx, callerKey{}, &c.caller)
	c.handlerCtx = c.callerCtx
	if c.peer != nil {
		return
	}
	ctx, end := context.WithCancelCause(c.callerCtx)
	c.handlerCtx, c.reqParent = ctx, ctx
	if c.t.sim {
		// A context of the simulation's own under it, made once: the
		// deadline a request with one gets is made under it (see
		// server.handle), and shares what links it to ctx instead of
		// allocating its own link per request.
		c.handlerCtx, _ = withCancel(ctx, c.t.p)
	}
	c.mu.Lock()
	c.endHandlers = end
	closed, err := c.closed, c.err
	c.mu.Unlock()
	if closed {
		end(c.callerGone(err))
	}
}

// callerGone is the cause with which the contexts of the handlers of c's
// requests end as c ends with err: the caller is gone, or this transport
// is closing.
func (c *conn) callerGone(err error) error {
	from := c.nc.RemoteAddr()
	switch {
	case errors.Is(err, ErrClosed):
		return fmt.Errorf("rpc: this transport is closing, and with it the connection from the caller %s, so no reply can reach it: %w", from, ErrClosed)
	case err == nil:
		return fmt.Errorf("%w: its connection from %s closed, so no reply can reach it", ErrCallerGone, from)
	}
	return fmt.Errorf("%w: its connection from %s ended (%w), so no reply can reach it", ErrCallerGone, from, err)
}

// cancelRequest ends the context of the request whose reply token is tok,
// whose caller gave up on it and said so (kindCancel), and drops its
// answer; a request held for an endpoint not served yet is dropped
// (Transport.dropHeld). A cancel for a request answered already, or for
// one this end does not know (its handler runs in the connection's
// context), does nothing.
func (c *conn) cancelRequest(tok Token) {
	c.mu.Lock()
	p := c.running[tok]
	var cancel context.CancelCauseFunc
	if p != nil {
		delete(c.running, tok)
		// Under c.mu, which release takes before p can be reused for
		// another request.
		p.mu.Lock()
		if !p.done {
			p.canceled, cancel = true, p.cancel
		}
		p.mu.Unlock()
	}
	c.mu.Unlock()
	if cancel != nil {
		cancel(fmt.Errorf("%w: the caller at %s gave up on it before its reply (its context ended), so no reply is wanted", ErrCallerCanceled, c.nc.RemoteAddr()))
	}
	if p == nil {
		c.t.dropHeld(c, tok)
	}
}
