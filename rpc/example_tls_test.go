package rpc_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/moonpool-go/moonpool/rpc"
)

// Mutual TLS: each process has one tls.Config, with its own certificate
// and the authority that signs its peers', and the transport uses it
// both ways. The client checks the server's certificate for the host it
// dials (127.0.0.1 here, an IP address SAN), and the server requires the
// client's. A client whose certificate the server does not take gets,
// once its context ends, why no connection could be made.
func Example_tls() {
	ctx := context.Background()
	p := realProviders()
	ca, caKey := newAuthority("example CA")
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	mtls := func(cert tls.Certificate) *tls.Config {
		return &tls.Config{
			Certificates: []tls.Certificate{cert},
			RootCAs:      pool, // whose certificates this process takes from servers
			ClientCAs:    pool, // and from clients
			ClientAuth:   tls.RequireAndVerifyClientCert,
		}
	}

	server, _ := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0", TLS: mtls(issue(ca, caKey, "server", "127.0.0.1"))})
	defer server.Close()
	greet, _ := rpc.Serve(server, rpc.WellKnown(1), func(_ context.Context, r GreetReq) (GreetResp, error) {
		return GreetResp{"hello, " + r.Name}, nil
	})

	client, _ := rpc.NewTransport(ctx, p, rpc.Config{TLS: mtls(issue(ca, caKey, "client"))})
	defer client.Close()
	resp, err := greet.GetReply(ctx, client, GreetReq{"ada"})
	fmt.Println(resp.Text, err)

	// A client with no certificate: the server refuses it.
	anon, _ := rpc.NewTransport(ctx, p, rpc.Config{TLS: &tls.Config{RootCAs: pool}})
	defer anon.Close()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = greet.GetReply(short, anon, GreetReq{"eve"})
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output:
	// hello, ada <nil>
	// true
}

// A handler authorises each request by its caller's certificate, which
// CallerOf reads from the handler's context: here the clients whose
// certificate names "backup" may read, and others, signed by the same
// authority, are refused with an error their call returns.
func ExampleCallerOf() {
	ctx := context.Background()
	p := realProviders()
	ca, caKey := newAuthority("example CA")
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	mtls := func(cert tls.Certificate) *tls.Config {
		return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	}
	errForbidden := errors.New("forbidden")

	server, _ := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0", TLS: mtls(issue(ca, caKey, "server", "127.0.0.1"))})
	defer server.Close()
	read, _ := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r GreetReq) (GreetResp, error) {
		caller, _ := rpc.CallerOf(ctx)
		cert := caller.Certificate() // verified against ClientCAs, or nil
		if cert == nil {
			return GreetResp{}, fmt.Errorf("a caller without a verified certificate may not read: %w", errForbidden)
		}
		if cert.Subject.CommonName != "backup" {
			return GreetResp{}, fmt.Errorf("%q may not read: %w", cert.Subject.CommonName, errForbidden)
		}
		return GreetResp{"all of " + r.Name}, nil
	})

	for _, name := range []string{"backup", "eve"} {
		client, _ := rpc.NewTransport(ctx, p, rpc.Config{TLS: mtls(issue(ca, caKey, name))})
		defer client.Close()
		resp, err := read.GetReply(ctx, client, GreetReq{"the log"})
		var remote *rpc.RemoteError
		switch {
		case errors.As(err, &remote):
			fmt.Printf("%s: refused: %s (errors.Is forbidden: %v)\n", name, remote.Msg, errors.Is(err, errForbidden))
		default:
			fmt.Printf("%s: %s, %v\n", name, resp.Text, err)
		}
	}
	// Output:
	// backup: all of the log, <nil>
	// eve: refused: "eve" may not read: forbidden (errors.Is forbidden: true)
}

// newAuthority makes a certificate authority with an Ed25519 key.
func newAuthority(name string) (*x509.Certificate, ed25519.PrivateKey) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	ca, _ := x509.ParseCertificate(der)
	return ca, key
}

// issue signs a certificate for a server at ips, or, with none, for a
// client.
func issue(ca *x509.Certificate, caKey ed25519.PrivateKey, name string, ips ...string) tls.Certificate {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name},
		NotBefore: ca.NotBefore, NotAfter: ca.NotAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, ca, pub, caKey)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
