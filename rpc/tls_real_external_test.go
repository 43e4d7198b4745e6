package rpc_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
)

// TestTLSRealLoopback runs the transport over providers.Real() with
// mutual TLS on loopback TCP: calls both ways with certificates a test
// authority signed, and, for each way a handshake can fail, the error a
// call gets when its time is up: it names the problem and the fix.
func TestTLSRealLoopback(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) }) // after the parallel subtests
	ca, other := newCA(t, "test CA"), newCA(t, "another CA")
	good := ca.issue(t, "server", time.Time{}, "127.0.0.1", "localhost")
	client := ca.issue(t, "client", time.Time{})

	p := providers.Real()
	p.Logger = slog.New(slog.DiscardHandler)
	base := rpc.Config{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, ConnectTimeout: 2 * time.Second}
	serve := func(t *testing.T, cfg *tls.Config) *rpc.Transport {
		c := base
		c.Listen, c.TLS = "127.0.0.1:0", cfg
		srv, err := rpc.NewTransport(context.Background(), p, c)
		require.NoError(t, err)
		t.Cleanup(func() { srv.Close() })
		_, err = rpc.Serve(srv, rpc.WellKnown(1), double)
		require.NoError(t, err)
		return srv
	}
	dial := func(t *testing.T, cfg *tls.Config) *rpc.Transport {
		c := base
		c.TLS = cfg
		tr, err := rpc.NewTransport(context.Background(), p, c)
		require.NoError(t, err)
		t.Cleanup(func() { tr.Close() })
		return tr
	}
	call := func(srv, cl *rpc.Transport, d time.Duration) (echoResp, error) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		return rpc.At[echoReq, echoResp](srv.Addr(), rpc.WellKnown(1)).GetReply(ctx, cl, echoReq{21})
	}

	t.Run("mutual", func(t *testing.T) {
		srv := serve(t, mutualTLS(ca, good))
		cl := dial(t, mutualTLS(ca, client))
		for range 20 {
			r, err := call(srv, cl, 5*time.Second)
			require.NoError(t, err)
			require.Equal(t, 42, r.N)
		}
		assert.Equal(t, uint64(1), cl.Stats().Connects)
	})
	for _, tc := range []struct {
		name     string
		srv, cl  *tls.Config
		wantErrs []string
	}{
		{"unknown authority", mutualTLS(ca, good), mutualTLS(other, other.issue(t, "client", time.Time{})),
			[]string{"is signed by an authority this transport does not trust; add the CA that signed it to Config.TLS.RootCAs"}},
		{"wrong name", mutualTLS(ca, ca.issue(t, "server", time.Time{}, "kv-0.example")), mutualTLS(ca, client),
			[]string{`is not valid for "127.0.0.1", the host dialled (or Config.TLS.ServerName); issue it for that name`}},
		{"expired", mutualTLS(ca, ca.issue(t, "server", time.Now().Add(-time.Hour), "127.0.0.1")), mutualTLS(ca, client),
			[]string{"the certificate of 127.0.0.1:", "and the transport's time is", "renew it"}},
		{"no client certificate", mutualTLS(ca, good), &tls.Config{RootCAs: ca.pool},
			[]string{"it requires a client certificate signed by one of its Config.TLS.ClientCAs, and this transport sent none", "set Config.TLS.Certificates"}},
		{"client certificate not trusted", mutualTLS(ca, good), &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{other.issue(t, "client", time.Time{})}},
			[]string{"refused this transport (tls: certificate required)", "add its CA to the server's ClientCAs"}},
		{"no client certificate, TLS 1.2", tls12(mutualTLS(ca, good)), tls12(&tls.Config{RootCAs: ca.pool}),
			[]string{"it refused this transport (tls: handshake failure); it may require a client certificate, and this transport sent none, having none"}},
		{"refused by the server's VerifyConnection", refuseCallers(mutualTLS(ca, good)), mutualTLS(ca, client),
			[]string{"or a check of its own refused it (VerifyConnection, VerifyPeerCertificate); its log says which"}},
		{"plaintext server", nil, mutualTLS(ca, client),
			[]string{"it closed the connection; it may not use TLS (set Config.TLS on both ends, or neither)"}},
		{"plaintext client", mutualTLS(ca, good), nil,
			[]string{"closed the connection during the handshake (if it uses TLS, set Config.TLS here too)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, cl := serve(t, tc.srv), dial(t, tc.cl)
			// A call that ends before the first connect does (a handshake
			// is slow under -race on a loaded machine) says only that one
			// is under way: call again until one has failed.
			var err error
			for range 20 {
				_, err = call(srv, cl, 300*time.Millisecond)
				if err == nil || !strings.Contains(err.Error(), "a connect to the address has been under way") {
					break
				}
			}
			require.ErrorIs(t, err, context.DeadlineExceeded)
			for _, want := range tc.wantErrs {
				assert.ErrorContains(t, err, want)
			}
			assert.Zero(t, cl.Stats().Connects)
		})
	}
}

// tls12 is c limited to TLS 1.2.
func tls12(c *tls.Config) *tls.Config {
	c.MaxVersion = tls.VersionTLS12
	return c
}

// refuseCallers is c with a VerifyConnection that refuses every caller.
func refuseCallers(c *tls.Config) *tls.Config {
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		return fmt.Errorf("%q is not a caller of this service", cs.PeerCertificates[0].Subject.CommonName)
	}
	return c
}

// A listening transport given a TLS configuration with no certificate
// is refused at once, with what to set.
func TestTLSListenerNeedsACertificate(t *testing.T) {
	_, err := rpc.NewTransport(context.Background(), providers.Real(), rpc.Config{Listen: "127.0.0.1:0", TLS: &tls.Config{}})
	require.ErrorContains(t, err, "rpc: Config.TLS has no certificate, and the transport listens")
}

// A TCP health check or a port scan (connect, close, nothing sent) is
// no refused caller: a TLS server logs it at Debug, where ten of them
// logged ten warnings; a caller that sends something other than TLS is
// still warned of.
func TestTLSProbesAreNotWarnedOf(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ca := newCA(t, "test CA")
	log := &logRecorder{}
	p := providers.Real()
	p.Logger = slog.New(log)
	srv, err := rpc.NewTransport(context.Background(), p, rpc.Config{Listen: "127.0.0.1:0", TLS: mutualTLS(ca, ca.issue(t, "server", time.Time{}, "127.0.0.1"))})
	require.NoError(t, err)
	defer srv.Close()
	probed := func() int {
		n := 0
		for _, l := range log.at(slog.LevelDebug) {
			if strings.Contains(l, "rpc: an inbound connection closed before it sent anything") {
				n++
			}
		}
		return n
	}
	for range 10 {
		c, err := net.Dial("tcp", srv.Addr())
		require.NoError(t, err)
		require.NoError(t, c.Close())
	}
	require.Eventually(t, func() bool { return probed() == 10 }, 10*time.Second, 5*time.Millisecond)
	assert.Empty(t, log.at(slog.LevelWarn))

	c, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	_, err = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	_, _ = io.ReadAll(c) // until the server closes (or resets) it, having logged why
	require.NoError(t, c.Close())
	warns := log.at(slog.LevelWarn)
	require.Len(t, warns, 1)
	assert.Contains(t, warns[0], "rpc: an inbound connection failed its handshake")
	assert.Equal(t, 10, probed())
	require.NoError(t, srv.Close())
}

// A listening transport whose Config.TLS names its callers' authorities
// in ClientCAs but whose ClientAuth checks no caller's certificate
// against them is refused, with what to set: it would take callers with
// no certificate (or any). ClientAuth that checks them, or checks of
// its own with RequireAnyClientCert, pass, as does the same
// configuration on a transport that does not listen.
func TestTLSClientCAsNeedClientAuth(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ca := newCA(t, "test CA")
	cert := ca.issue(t, "server", time.Time{}, "127.0.0.1")
	listen := func(cfg *tls.Config, listen string) error {
		tr, err := rpc.NewTransport(context.Background(), providers.Real(), rpc.Config{Listen: listen, TLS: cfg})
		if err == nil {
			require.NoError(t, tr.Close())
		}
		return err
	}
	with := func(auth tls.ClientAuthType) *tls.Config {
		return &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: ca.pool, ClientAuth: auth}
	}

	err := listen(with(tls.NoClientCert), "127.0.0.1:0")
	require.ErrorContains(t, err, "rpc: Config.TLS sets ClientCAs but not ClientAuth, so the transport would accept callers with no certificate at all")
	require.ErrorContains(t, err, "set ClientAuth to tls.RequireAndVerifyClientCert to require a certificate that one of ClientCAs signed, or leave ClientCAs nil to accept any caller")
	err = listen(with(tls.RequireAnyClientCert), "127.0.0.1:0")
	require.ErrorContains(t, err, "rpc: Config.TLS sets ClientCAs, and ClientAuth to tls.RequireAnyClientCert, which checks no caller's certificate against them")

	require.NoError(t, listen(with(tls.RequireAndVerifyClientCert), "127.0.0.1:0"))
	require.NoError(t, listen(with(tls.VerifyClientCertIfGiven), "127.0.0.1:0"))
	own := with(tls.RequireAnyClientCert)
	own.VerifyConnection = func(tls.ConnectionState) error { return nil }
	require.NoError(t, listen(own, "127.0.0.1:0"))
	require.NoError(t, listen(&tls.Config{Certificates: []tls.Certificate{cert}}, "127.0.0.1:0"))
	require.NoError(t, listen(with(tls.NoClientCert), ""), "a transport that does not listen uses no ClientCAs")
}
