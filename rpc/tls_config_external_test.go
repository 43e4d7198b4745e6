package rpc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// ecdsaCert is a certificate with a P-256 key: what a simulation
// refuses, wherever the certificate comes from, before crypto/tls reads
// its bytes (which are none here).
func ecdsaCert(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{{0}}, PrivateKey: key}
}

// loggedServer is a transport on 10.0.0.1:4500 serving double, with
// srvTLS, whose log is kept.
func loggedServer(s *simtest.S, srvTLS *tls.Config) (*rpc.Transport, *logRecorder) {
	log := &logRecorder{}
	p := s.HostProviders("10.0.0.1")
	p.Logger = slog.New(log)
	server, err := rpc.NewTransport(s.Context(), p, rpc.Config{Listen: ":4500", TLS: srvTLS})
	require.NoError(s, err)
	_, err = rpc.Serve(server, rpc.WellKnown(1), double)
	require.NoError(s, err)
	return server, log
}

// A configuration that GetConfigForClient returns is used in place of
// Config.TLS, so it gets what Config.TLS gets: the Time provider's clock
// where its Time is nil (certificates valid for an hour either side of
// simulated time pass, which the wall clock, years later, would not),
// and in a simulation the refusal of ECDSA keys.
func TestTLSGetConfigForClientIsPreparedToo(t *testing.T) {
	ca := newCA(t, "test CA")
	simtest.Run(t, func(s *simtest.S) {
		now := s.Providers().Time.Now()
		srvCert := ca.issueBetween(s, "server", now.Add(-time.Hour), now.Add(time.Hour), "10.0.0.1")
		clCert := ca.issueBetween(s, "client", now.Add(-time.Hour), now.Add(time.Hour))
		inner := mutualTLS(ca, srvCert)
		server, _ := loggedServer(s, &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return inner, nil }})
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{TLS: mutualTLS(ca, clCert)})
		require.NoError(s, err)
		r, err := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1)).GetReply(within(s, 5*time.Second), client, echoReq{4})
		require.NoError(s, err, "the client's certificate is valid at simulated time")
		assert.Equal(s, 8, r.N)
		assert.Nil(s, inner.Time, "the configuration returned is left as it was")
	}, quiet...)

	ec := ecdsaCert(t)
	simtest.Run(t, func(s *simtest.S) {
		inner := mutualTLS(ca, ec)
		server, log := loggedServer(s, &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return inner, nil }})
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{TLS: mutualTLS(ca, ca.issue(s, "client", time.Time{}))})
		require.NoError(s, err)
		_, err = rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1)).GetReply(within(s, 2*time.Second), client, echoReq{4})
		require.Error(s, err)
		warns := log.at(slog.LevelWarn)
		require.NotEmpty(s, warns)
		assert.Contains(s, warns[0], "rpc: Certificates[0] of the configuration that Config.TLS.GetConfigForClient returned has an ECDSA key")
	}, quiet...)
}

// In a simulation, a certificate with an ECDSA key is refused whichever
// way it arrives: one that GetCertificate or GetClientCertificate
// returns fails the handshake, every time, saying why (in the server's
// log, and in the error of the client's call), where it would otherwise
// make a seed's path vary from run to run. The key is a real P-256 one,
// which crypto/tls would take.
func TestTLSRefusesECDSAFromCallbacksInASimulation(t *testing.T) {
	ca := newCA(t, "test CA")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	always := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	srvEC := ca.issueKey(t, "server", key, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), always, "10.0.0.1")
	clEC := ca.issueKey(t, "client", key, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), always)
	call := func(s *simtest.S, server *rpc.Transport, clTLS *tls.Config) error {
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{TLS: clTLS})
		require.NoError(s, err)
		_, err = rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1)).GetReply(within(s, 2*time.Second), client, echoReq{4})
		return err
	}

	t.Run("GetCertificate", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			srvTLS := mutualTLS(ca, srvEC)
			srvTLS.Certificates = nil
			srvTLS.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &srvEC, nil }
			server, log := loggedServer(s, srvTLS)
			err := call(s, server, mutualTLS(ca, ca.issue(s, "client", time.Time{})))
			require.Error(s, err)
			assert.ErrorContains(s, err, "it refused this transport (tls: internal error); it failed on its side of the handshake")
			assert.ErrorContains(s, err, "its log says why")
			warns := log.at(slog.LevelWarn)
			require.NotEmpty(s, warns)
			assert.Contains(s, warns[0], "rpc: the certificate that Config.TLS.GetCertificate returned has an ECDSA key, whose signatures vary in length")
		}, quiet...)
	})
	t.Run("GetClientCertificate", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			server, _ := loggedServer(s, mutualTLS(ca, ca.issue(s, "server", time.Time{}, "10.0.0.1")))
			clTLS := mutualTLS(ca, clEC)
			clTLS.Certificates = nil
			clTLS.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &clEC, nil }
			err := call(s, server, clTLS)
			require.Error(s, err)
			assert.ErrorContains(s, err, "rpc: the certificate that Config.TLS.GetClientCertificate returned has an ECDSA key")
			assert.ErrorContains(s, err, "give the simulation's certificates Ed25519 (or RSA) keys")
		}, quiet...)
	})
}

// In TLS 1.3 a client's handshake is done before the server has checked
// the client's certificate; the server's refusal comes as the client
// reads the hello, as an alert, or, when the server's close resets the
// connection with the client's hello unread, as the connection's end
// alone. Either way the client, whose TLS handshake completed, is told
// that the server most likely refused its certificate, never to set
// Config.TLS (measured before: 3 of 40 seeds were told that).
func TestTLSRefusedClientIsToldSoAfterItsHandshake(t *testing.T) {
	ca, other := newCA(t, "test CA"), newCA(t, "another CA")
	for _, tc := range []struct {
		name  string
		cl    func(s *simtest.S) *tls.Config
		wants []string // one of them
	}{
		{"no certificate", func(*simtest.S) *tls.Config { return &tls.Config{RootCAs: ca.pool} },
			[]string{"it requires a client certificate signed by one of its Config.TLS.ClientCAs", "it most likely requires a client certificate, and this transport has none"}},
		{"a certificate its ClientCAs did not sign", func(s *simtest.S) *tls.Config {
			return &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{other.issue(s, "client", time.Time{})}}
		}, []string{"it requires a client certificate signed by one of its Config.TLS.ClientCAs", "it most likely refused this transport's client certificate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				server, _ := loggedServer(s, mutualTLS(ca, ca.issue(s, "server", time.Time{}, "10.0.0.1")))
				for i := range 3 {
					client, err := rpc.NewTransport(s.Context(), s.HostProviders(fmt.Sprintf("10.0.1.%d", i)), rpc.Config{TLS: tc.cl(s)})
					require.NoError(s, err)
					_, err = rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1)).GetReply(within(s, time.Second), client, echoReq{4})
					require.Error(s, err)
					assert.NotContains(s, err.Error(), "set Config.TLS here too")
					assert.True(s, strings.Contains(err.Error(), tc.wants[0]) || strings.Contains(err.Error(), tc.wants[1]), "%v", err)
				}
			}, simtest.Chaos(chaos.Off()), simtest.Seeds(30))
		})
	}
}

// In a simulation too, a connection closed before it sent anything is
// logged at Debug, not warned of.
func TestTLSProbesAreNotWarnedOfInASimulation(t *testing.T) {
	ca := newCA(t, "test CA")
	simtest.Run(t, func(s *simtest.S) {
		server, log := loggedServer(s, mutualTLS(ca, ca.issue(s, "server", time.Time{}, "10.0.0.1")))
		prober := s.HostProviders("10.0.0.3").Network
		for range 5 {
			c, err := prober.Dial(s.Context(), server.Addr())
			require.NoError(s, err)
			require.NoError(s, c.Close())
		}
		s.Sleep(time.Second)
		assert.Empty(s, log.at(slog.LevelWarn))
		n := 0
		for _, l := range log.at(slog.LevelDebug) {
			if strings.Contains(l, "rpc: an inbound connection closed before it sent anything") {
				n++
			}
		}
		assert.Equal(s, 5, n)
	}, quiet...)
}

// Each way a handshake fails that the messages misnamed: the error names
// the problem and the fix.
func TestTLSFailuresNameTheProblem(t *testing.T) {
	ca := newCA(t, "test CA")
	clCert := ca.issue(t, "client", time.Time{})
	for _, tc := range []struct {
		name  string
		srv   func(s *simtest.S) *tls.Config // nil: a listener that accepts and never speaks
		cl    *tls.Config
		wants []string
	}{
		{"a stalled handshake", nil, mutualTLS(ca, clCert),
			[]string{"rpc: TLS handshake with 10.0.0.1:4500 failed: it did not answer within Config.ConnectTimeout (1s)", "raise Config.ConnectTimeout"}},
		{"a stalled hello, plaintext", nil, nil,
			[]string{"rpc: 10.0.0.1:4500 sent no hello within Config.ConnectTimeout (1s): it may be overloaded, or not speak this protocol"}},
		{"no client certificate, TLS 1.2", func(s *simtest.S) *tls.Config {
			return tls12(mutualTLS(ca, ca.issue(s, "server", time.Time{}, "10.0.0.1")))
		}, tls12(&tls.Config{RootCAs: ca.pool}),
			[]string{"it refused this transport (tls: handshake failure); it may require a client certificate, and this transport sent none, having none", "set Config.TLS.Certificates"}},
		{"refused by the server's VerifyConnection", func(s *simtest.S) *tls.Config {
			return refuseCallers(mutualTLS(ca, ca.issue(s, "server", time.Time{}, "10.0.0.1")))
		}, mutualTLS(ca, clCert),
			// The alert, or the connection's end when the alert is lost.
			[]string{"it does not accept this transport's certificate (Config.TLS.Certificates)|it most likely refused this transport's client certificate (Config.TLS.Certificates)",
				"or a check of its own refused it (VerifyConnection, VerifyPeerCertificate); its log says which"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				if tc.srv == nil {
					ln, err := s.HostProviders("10.0.0.1").Network.Listen(s.Context(), ":4500")
					require.NoError(s, err)
					s.Go("mute", func(context.Context) error {
						for {
							if _, err := ln.Accept(); err != nil {
								return nil
							}
						}
					})
					defer ln.Close()
				} else {
					loggedServer(s, tc.srv(s))
				}
				client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{TLS: tc.cl, ConnectTimeout: time.Second})
				require.NoError(s, err)
				_, err = rpc.At[echoReq, echoResp]("10.0.0.1:4500", rpc.WellKnown(1)).GetReply(within(s, 3*time.Second), client, echoReq{4})
				require.ErrorIs(s, err, context.DeadlineExceeded)
				for _, want := range tc.wants { // "|" between texts any of which will do
					alts := strings.Split(want, "|")
					for i := range alts {
						alts[i] = regexp.QuoteMeta(alts[i])
					}
					assert.Regexp(s, strings.Join(alts, "|"), err.Error())
				}
			}, quiet...)
		})
	}
}

// A configuration that GetConfigForClient returns is held to the same
// rule as Config.TLS: ClientCAs set and ClientAuth not fails the
// handshake, and the server's log says why, where the caller with no
// certificate would have been taken.
func TestTLSGetConfigForClientNeedsClientAuthToo(t *testing.T) {
	ca := newCA(t, "test CA")
	simtest.Run(t, func(s *simtest.S) {
		inner := &tls.Config{Certificates: []tls.Certificate{ca.issue(s, "server", time.Time{}, "10.0.0.1")}, ClientCAs: ca.pool}
		server, log := loggedServer(s, &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return inner, nil }})
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{TLS: &tls.Config{RootCAs: ca.pool}})
		require.NoError(s, err)
		_, err = rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1)).GetReply(within(s, 2*time.Second), client, echoReq{4})
		require.Error(s, err, "a caller with no certificate")
		warns := log.at(slog.LevelWarn)
		require.NotEmpty(s, warns)
		assert.Contains(s, warns[0], "rpc: the configuration that Config.TLS.GetConfigForClient returned sets ClientCAs but not ClientAuth")
	}, quiet...)
}
