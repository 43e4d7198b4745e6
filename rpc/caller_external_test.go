package rpc_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// errNotAllowed is what authorised refuses a caller with.
var errNotAllowed = errors.New("not allowed")

// authorised is a handler that doubles for the callers whose verified
// certificate names "backup", by its Subject CommonName or a DNS SAN,
// and refuses the others, naming them.
func authorised(ctx context.Context, r echoReq) (echoResp, error) {
	caller, ok := rpc.CallerOf(ctx)
	if !ok {
		return echoResp{}, errors.New("no caller in the handler's context")
	}
	cert := caller.Certificate()
	if cert == nil {
		return echoResp{}, fmt.Errorf("%s gave no verified certificate: %w", caller.RemoteAddr, errNotAllowed)
	}
	if cert.Subject.CommonName != "backup" && !slices.Contains(cert.DNSNames, "backup") {
		return echoResp{}, fmt.Errorf("%q at %s: %w", cert.Subject.CommonName, caller.RemoteAddr, errNotAllowed)
	}
	return echoResp{2 * r.N}, nil
}

// TestCallerAuthorisesByCertificate: over mutual TLS, a handler reads
// its caller's verified certificate from its context and lets in the
// caller it names, by Subject CommonName or by a DNS SAN, with or
// without a deadline (whose context is made from the caller's); another
// caller, whose certificate the same authority signed, gets a
// RemoteError that says why.
func TestCallerAuthorisesByCertificate(t *testing.T) {
	ca := newCA(t, "test CA")
	srvCert := ca.issue(t, "server", time.Time{}, "10.0.0.1")
	byName := ca.issue(t, "backup", time.Time{})
	bySAN := ca.issue(t, "reports", time.Time{}, "backup")
	other := ca.issue(t, "intruder", time.Time{})
	simtest.Run(t, func(s *simtest.S) {
		server, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500", TLS: mutualTLS(ca, srvCert)})
		require.NoError(s, err)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), authorised)
		require.NoError(s, err)
		for i, cert := range []tls.Certificate{byName, bySAN} {
			client, err := rpc.NewTransport(s.Context(), s.HostProviders(fmt.Sprintf("10.0.0.%d", 2+i)), rpc.Config{TLS: mutualTLS(ca, cert)})
			require.NoError(s, err)
			r, err := ep.GetReply(s.Context(), client, echoReq{21})
			require.NoError(s, err)
			assert.Equal(s, 42, r.N)
			r, err = ep.GetReply(within(s, time.Minute), client, echoReq{4})
			require.NoError(s, err, "with a deadline")
			assert.Equal(s, 8, r.N)
		}

		intruder, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{TLS: mutualTLS(ca, other)})
		require.NoError(s, err)
		_, err = ep.GetReply(s.Context(), intruder, echoReq{1})
		var remote *rpc.RemoteError
		require.ErrorAs(s, err, &remote)
		assert.ErrorIs(s, err, errNotAllowed)
		assert.Regexp(s, `^"intruder" at 10\.0\.0\.9:\d+: not allowed$`, remote.Msg)
	}, quiet...)
}

// TestCallerPlaintext: without TLS, a handler's caller has the address
// its connection came from, and no TLS state; a context that is no
// handler's has no caller.
func TestCallerPlaintext(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		var got []rpc.Caller
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
			c, ok := rpc.CallerOf(ctx)
			assert.True(s, ok)
			got = append(got, c)
			return echoResp{r.N}, nil
		})
		require.NoError(s, err)
		for i := range 3 {
			_, err := ep.GetReply(s.Context(), client, echoReq{i})
			require.NoError(s, err)
		}
		require.Len(s, got, 3)
		host, _, err := net.SplitHostPort(got[0].RemoteAddr)
		require.NoError(s, err)
		assert.Equal(s, "10.0.0.2", host)
		assert.Nil(s, got[0].TLS)
		assert.Nil(s, got[0].Certificate())
		assert.Equal(s, got[0], got[2], "one connection, one caller")

		_, ok := rpc.CallerOf(s.Context())
		assert.False(s, ok, "a context that is no handler's")
	}, quiet...)
}

// TestCallerOfStreamRequestsAndSends: a stream's request tells its
// caller, for a GetReply and for a Send alike, and so does a handler's
// context for a Send, which no caller waits on.
func TestCallerOfStreamRequestsAndSends(t *testing.T) {
	ca := newCA(t, "test CA")
	srvCert, clCert := ca.issue(t, "server", time.Time{}, "10.0.0.1"), ca.issue(t, "client", time.Time{})
	simtest.Run(t, func(s *simtest.S) {
		server, client := tlsPair(s, mutualTLS(ca, srvCert), mutualTLS(ca, clCert))
		st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(2))
		require.NoError(s, err)
		sent := providers.NewChan[rpc.Caller](s.Providers().Task, 1)
		sends, err := rpc.Serve(server, rpc.WellKnown(3), func(ctx context.Context, r echoReq) (echoResp, error) {
			c, ok := rpc.CallerOf(ctx)
			assert.True(s, ok)
			sent.TrySend(c)
			return echoResp{}, nil
		})
		require.NoError(s, err)

		var reply echoResp
		call := s.Go("caller", func(ctx context.Context) error {
			var err error
			reply, err = st.Endpoint().GetReply(ctx, client, echoReq{1})
			return err
		})
		r, err := st.Next(s.Context())
		require.NoError(s, err)
		caller := r.Caller()
		require.NotNil(s, caller.Certificate())
		assert.Equal(s, "client", caller.Certificate().Subject.CommonName)
		assert.NotEmpty(s, caller.TLS.VerifiedChains)
		require.NoError(s, r.Reply(echoResp{7}))
		require.NoError(s, call.Join(s.Context()))
		assert.Equal(s, 7, reply.N)

		require.NoError(s, st.Endpoint().Send(s.Context(), client, echoReq{2}))
		r, err = st.Next(s.Context())
		require.NoError(s, err)
		assert.Equal(s, caller, r.Caller(), "a Send on the same connection")

		require.NoError(s, sends.Send(s.Context(), client, echoReq{3}))
		c, _, err := sent.Recv(within(s, time.Minute))
		require.NoError(s, err)
		assert.Equal(s, caller, c, "a Send to a handler")
	}, quiet...)
}

// TestCallerOfARequestSentAgain: a request that GetReply sends again on
// a new connection, after a partition ended the first, is that
// connection's: the handler that runs it sees the caller's new address
// (the same host, another port) and its certificate, checked again by
// the new connection's handshake.
func TestCallerOfARequestSentAgain(t *testing.T) {
	ca := newCA(t, "test CA")
	srvCert, clCert := ca.issue(t, "server", time.Time{}, "10.0.0.1"), ca.issue(t, "client", time.Time{})
	simtest.Run(t, func(s *simtest.S) {
		server, client := tlsPair(s, mutualTLS(ca, srvCert), mutualTLS(ca, clCert))
		p := s.HostProviders("10.0.0.1")
		var got []rpc.Caller
		ep, err := rpc.Serve(server, rpc.WellKnown(2), func(ctx context.Context, r echoReq) (echoResp, error) {
			c, _ := rpc.CallerOf(ctx)
			got = append(got, c)
			if len(got) == 1 {
				// The first delivery is never answered: the partition
				// ends its connection meanwhile.
				return echoResp{}, providers.Wait(ctx, p.Task)
			}
			return echoResp{2 * r.N}, nil
		})
		require.NoError(s, err)
		var reply echoResp
		call := s.Go("caller", func(ctx context.Context) error {
			var err error
			reply, err = ep.GetReply(ctx, client, echoReq{5})
			return err
		})
		s.Sleep(time.Second)
		require.Len(s, got, 1)
		s.Network().Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		s.Sleep(time.Minute)
		s.Network().Heal()
		require.NoError(s, call.Join(s.Context()))
		assert.Equal(s, 10, reply.N)
		assert.GreaterOrEqual(s, client.Stats().Connects, uint64(2))

		require.Len(s, got, 2)
		first, again := got[0], got[1]
		assert.NotEqual(s, first.RemoteAddr, again.RemoteAddr, "another connection, from another port")
		for _, c := range got {
			host, _, err := net.SplitHostPort(c.RemoteAddr)
			require.NoError(s, err)
			assert.Equal(s, "10.0.0.2", host)
			require.NotNil(s, c.Certificate())
			assert.Equal(s, "client", c.Certificate().Subject.CommonName)
		}
	}, quiet...)
}

// TestCallerRealLoopback: over providers.Real(), the handler runs in a
// task of its own, not inline as in a simulation, and reads its caller
// the same way: authorised over mutual TLS, and the address alone in
// plaintext.
func TestCallerRealLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ca := newCA(t, "test CA")
	p := realProviders()
	ctx := context.Background()
	call := func(srv *tls.Config, cl *tls.Config) (echoResp, error) {
		server, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0", TLS: srv})
		require.NoError(t, err)
		defer server.Close()
		ep, err := rpc.Serve(server, rpc.WellKnown(1), authorised)
		require.NoError(t, err)
		client, err := rpc.NewTransport(ctx, p, rpc.Config{TLS: cl})
		require.NoError(t, err)
		defer client.Close()
		short, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return ep.GetReply(short, client, echoReq{21})
	}
	srvTLS := mutualTLS(ca, ca.issue(t, "server", time.Time{}, "127.0.0.1"))
	r, err := call(srvTLS, mutualTLS(ca, ca.issue(t, "backup", time.Time{})))
	require.NoError(t, err)
	assert.Equal(t, 42, r.N)

	_, err = call(srvTLS, mutualTLS(ca, ca.issue(t, "intruder", time.Time{})))
	var remote *rpc.RemoteError
	require.ErrorAs(t, err, &remote)
	assert.Regexp(t, `^"intruder" at 127\.0\.0\.1:\d+: not allowed$`, remote.Msg)

	_, err = call(nil, nil)
	require.ErrorAs(t, err, &remote)
	assert.Regexp(t, `^127\.0\.0\.1:\d+ gave no verified certificate: not allowed$`, remote.Msg)
}

// Certificate gives a caller's certificate only once the server verified
// it: under tls.RequireAnyClientCert anyone can make the certificate a
// handler would read a name from.
func TestCallerCertificateIsOnlyAVerifiedOne(t *testing.T) {
	own := &x509.Certificate{}
	unverified := rpc.Caller{TLS: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{own}}}
	assert.Nil(t, unverified.Certificate(), "a certificate nothing verified")
	verified := rpc.Caller{TLS: &tls.ConnectionState{
		PeerCertificates: []*x509.Certificate{own},
		VerifiedChains:   [][]*x509.Certificate{{own}},
	}}
	assert.Same(t, own, verified.Certificate())
	assert.Nil(t, rpc.Caller{}.Certificate(), "plaintext")
}
