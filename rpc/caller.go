package rpc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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

// knowCaller notes who is at the other end of c, its handshake done,
// and makes the context its requests' handlers get: the transport's,
// which carries it.
func (c *conn) knowCaller() {
	c.caller.RemoteAddr = c.nc.RemoteAddr().String()
	if tc, ok := c.nc.(*tls.Conn); ok {
		st := tc.ConnectionState()
		c.caller.TLS = &st
	}
	c.handlerCtx = context.WithValue(c.t.ctx, callerKey{}, &c.caller)
}
