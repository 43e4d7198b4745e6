// The crypto packages read the rand.Reader a simulation pins to each
// seed and no byte more (see TestTLSCheckDeterminism).
//
//go:debug cryptocustomrand=0
package rpc_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A testCA is a certificate authority made in the test, with an Ed25519
// key derived from its name: its certificates are the same bytes on
// every run.
type testCA struct {
	cert *x509.Certificate
	key  ed25519.PrivateKey
	pool *x509.CertPool
}

// testKey is the Ed25519 key of name.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// newCA makes the authority name, valid from 2020 to 2040: around both
// the wall clock and a simulation's.
func newCA(t testing.TB, name string) *testCA {
	t.Helper()
	key := testKey(name)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue signs a certificate for hosts (names or IP addresses), for both
// a server's and a client's use, valid from 2020 until notAfter (zero:
// 2040).
func (ca *testCA) issue(t testing.TB, name string, notAfter time.Time, hosts ...string) tls.Certificate {
	t.Helper()
	if notAfter.IsZero() {
		notAfter = time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return ca.issueBetween(t, name, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), notAfter, hosts...)
}

// issueBetween signs a certificate as issue does, valid from notBefore
// until notAfter.
func (ca *testCA) issueBetween(t testing.TB, name string, notBefore, notAfter time.Time, hosts ...string) tls.Certificate {
	t.Helper()
	return ca.issueKey(t, name, testKey(ca.cert.Subject.CommonName+"/"+name), notBefore, notAfter, hosts...)
}

// issueKey signs a certificate as issueBetween does, for key.
func (ca *testCA) issueKey(t testing.TB, name string, key crypto.Signer, notBefore, notAfter time.Time, hosts ...string) tls.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(nil, tmpl, ca.cert, key.Public(), ca.key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// mutualTLS is a configuration that presents cert, trusts the
// certificates ca signed, and requires a caller's certificate.
func mutualTLS(ca *testCA, cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      ca.pool,
		ClientCAs:    ca.pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
}

// A logRecorder is a slog.Handler that keeps what is logged, for a test
// to read: each record as its message and its attributes' values.
type logRecorder struct {
	mu   sync.Mutex
	recs []loggedRecord
}

type loggedRecord struct {
	level slog.Level
	text  string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	text := rec.Message
	rec.Attrs(func(a slog.Attr) bool {
		text += " " + a.Key + "=" + a.Value.String()
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, loggedRecord{rec.Level, text})
	return nil
}

// at returns what was logged at level.
func (r *logRecorder) at(level slog.Level) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		if rec.level == level {
			out = append(out, rec.text)
		}
	}
	return out
}
