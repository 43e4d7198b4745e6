package rpc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// newTLSConfig copies cfg, with the Time provider's clock where cfg has
// none, so that certificates are checked against simulated time in a
// simulation. It refuses a listening transport a configuration with no
// certificate to present, or one whose ClientAuth does not check
// callers against its ClientCAs (see checkClientAuth). A configuration
// that GetConfigForClient returns gets the same clock and the same
// checks, as it is used in cfg's place.
//
// In a simulation it also refuses certificates with ECDSA keys: an ECDSA
// signature's DER encoding varies in length from one handshake to the
// next, and a seed's path follows the sizes of what connections carry,
// so the same seed would run differently each time. Ed25519 and RSA
// signatures have a fixed length.
func newTLSConfig(cfg *tls.Config, now func() time.Time, listens, sim bool) (*tls.Config, error) {
	if listens && len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return nil, errors.New("rpc: Config.TLS has no certificate, and the transport listens, so no caller could complete a handshake with it; set TLS.Certificates (or GetCertificate)")
	}
	if listens {
		if err := checkClientAuth(cfg, "Config.TLS"); err != nil {
			return nil, err
		}
	}
	return prepareTLS(cfg, now, sim, func(field string) string { return "Config.TLS." + field })
}

// checkClientAuth refuses cfg, a server's configuration that where
// names, when it names its callers' authorities in ClientCAs but its
// ClientAuth checks no caller's certificate against them: a caller with
// no certificate, or any, would be taken, which ClientCAs says it is
// not. (crypto/tls ignores ClientCAs with NoClientCert.)
func checkClientAuth(cfg *tls.Config, where string) error {
	if cfg.ClientCAs == nil {
		return nil
	}
	switch cfg.ClientAuth {
	case tls.NoClientCert:
		return fmt.Errorf("rpc: %s sets ClientCAs but not ClientAuth, so the transport would accept callers with no certificate at all, and ClientCAs goes unused; set ClientAuth to tls.RequireAndVerifyClientCert to require a certificate that one of ClientCAs signed, or leave ClientCAs nil to accept any caller", where)
	case tls.RequestClientCert, tls.RequireAnyClientCert:
		// Checks of its own may serve in place of ClientCAs, which
		// then only tells callers which authorities to pick from.
		if cfg.VerifyPeerCertificate == nil && cfg.VerifyConnection == nil {
			return fmt.Errorf("rpc: %s sets ClientCAs, and ClientAuth to tls.%v, which checks no caller's certificate against them, so the transport would take any certificate a caller presents (or, with RequestClientCert, none); set ClientAuth to tls.RequireAndVerifyClientCert (or tls.VerifyClientCertIfGiven), check certificates in VerifyConnection, or leave ClientCAs nil", where, cfg.ClientAuth)
		}
	}
	return nil
}

// prepareTLS is newTLSConfig's work on cfg, whose fields name names in
// errors: a copy with now as its clock where it has none, whose
// GetConfigForClient returns configurations prepared the same way; in a
// simulation, refused for an ECDSA key among its Certificates, and whose
// GetCertificate and GetClientCertificate fail the handshake on one.
func prepareTLS(cfg *tls.Config, now func() time.Time, sim bool, name func(field string) string) (*tls.Config, error) {
	if sim {
		for i := range cfg.Certificates {
			if err := refuseECDSA(&cfg.Certificates[i], name(fmt.Sprintf("Certificates[%d]", i))); err != nil {
				return nil, err
			}
		}
	}
	cfg = cfg.Clone()
	if cfg.Time == nil {
		cfg.Time = now
	}
	if get := cfg.GetConfigForClient; get != nil {
		// crypto/tls uses the configuration returned in cfg's place,
		// Time and all: without this, a nil Time there is the wall
		// clock's, even in a simulation.
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			c, err := get(hello)
			if c == nil || err != nil {
				return c, err
			}
			if err := checkClientAuth(c, "the configuration that Config.TLS.GetConfigForClient returned"); err != nil {
				return nil, err
			}
			return prepareTLS(c, now, sim, returned)
		}
	}
	if !sim {
		return cfg, nil
	}
	// The certificates the callbacks choose are checked as they are
	// chosen: one with an ECDSA key fails the handshake, the same way
	// every time, saying why.
	if get := cfg.GetCertificate; get != nil {
		what := "the certificate that " + name("GetCertificate") + " returned"
		cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			c, err := get(hello)
			if err == nil {
				err = refuseECDSA(c, what)
			}
			return c, err
		}
	}
	if get := cfg.GetClientCertificate; get != nil {
		what := "the certificate that " + name("GetClientCertificate") + " returned"
		cfg.GetClientCertificate = func(req *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c, err := get(req)
			if err == nil {
				err = refuseECDSA(c, what)
			}
			return c, err
		}
	}
	return cfg, nil
}

// returned names field of a configuration that GetConfigForClient
// returned.
func returned(field string) string {
	return field + " of the configuration that Config.TLS.GetConfigForClient returned"
}

// refuseECDSA says why c, named what, cannot serve in a simulation when
// its key is ECDSA; nil otherwise.
func refuseECDSA(c *tls.Certificate, what string) error {
	if c == nil {
		return nil
	}
	if s, ok := c.PrivateKey.(crypto.Signer); ok {
		if _, ok := s.Public().(*ecdsa.PublicKey); ok {
			return fmt.Errorf("rpc: %s has an ECDSA key, whose signatures vary in length from one handshake to the next, so a seed would not run the same twice in a simulation; give the simulation's certificates Ed25519 (or RSA) keys", what)
		}
	}
	return nil
}

// secure wraps nc, a connection just dialled (to host) or accepted, in
// TLS. A dialled connection verifies the server's certificate for host,
// unless Config.TLS names a ServerName. In a simulation the TLS connection writes into a sealBuffer,
// which the connection's writer drains (see sealBuffer), and which is
// returned too; nil in production.
func (t *Transport) secure(nc net.Conn, host string, dialled bool) (net.Conn, *sealBuffer) {
	var sb *sealBuffer
	if t.sim {
		sb = &sealBuffer{Conn: nc}
		nc = sb
	}
	if !dialled {
		return tls.Server(&heardConn{Conn: nc}, t.tls), sb
	}
	cfg := t.tls
	if cfg.ServerName == "" {
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	return tls.Client(nc, cfg), sb
}

// A heardConn is an accepted connection under TLS, which notes whether
// a byte came from the caller: one that closes before it sent any is a
// health check or a port scan, not a caller refused.
type heardConn struct {
	net.Conn
	heard bool
}

func (h *heardConn) Read(p []byte) (int, error) {
	n, err := h.Conn.Read(p)
	if n > 0 {
		h.heard = true
	}
	return n, err
}

// silent reports whether nc, accepted under TLS, ended with err before
// its caller sent a byte: closed or reset, not stalled until the
// deadline.
func silent(nc net.Conn, err error) bool {
	tc, ok := nc.(*tls.Conn)
	if !ok {
		return false
	}
	h, ok := tc.NetConn().(*heardConn)
	return ok && !h.heard && !errors.Is(err, os.ErrDeadlineExceeded)
}

// A sealBuffer is what a TLS connection writes to in a simulation, once
// its handshake is done: the sealed records are kept, and drained to the
// connection underneath by the writer, after the TLS write returns. A
// TLS connection holds its write lock, a sync.Mutex, for the whole of a
// write, and its reader takes that lock to send an alert when a record
// fails its check (a bit flipped on the way); a write that parked on a
// full send buffer under it would block the reader's goroutine outside
// the simulation. Drained by the writer alone, outside that lock, it
// never parks under it. What the reader writes (an alert) waits for the
// next drain, or goes nowhere as its connection ends.
type sealBuffer struct {
	net.Conn
	buffering bool // the handshake is done: writes are kept
	buf       []byte
	spare     []byte
}

func (b *sealBuffer) Write(p []byte) (int, error) {
	if !b.buffering {
		return b.Conn.Write(p)
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// drain writes what was kept to the connection underneath.
func (b *sealBuffer) drain() error {
	if len(b.buf) == 0 {
		return nil
	}
	out := b.buf
	b.buf, b.spare = b.spare[:0], nil
	_, err := b.Conn.Write(out)
	b.spare = out[:0]
	return err
}

// closeConn closes nc. A TLS connection's own Close would first write
// a close_notify alert with a write deadline read from the wall clock,
// which in a simulation is years past its clock, and block on a full
// send buffer; rpc's frames carry their lengths, so a truncation shows
// without it, and the connection underneath is closed at once.
func closeConn(nc net.Conn) error {
	if tc, ok := nc.(*tls.Conn); ok {
		return tc.NetConn().Close()
	}
	return nc.Close()
}

// tlsHandshake runs tc's TLS handshake, within the deadline the caller
// set, timeout from now (Handshake, not HandshakeContext, which would
// start a goroutine to watch its context), and says what a failure means
// and how to fix it.
func tlsHandshake(tc *tls.Conn, cfg *tls.Config, dialler bool, now time.Time, timeout time.Duration) error {
	err := tc.Handshake()
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) && !dialler {
		return fmt.Errorf("rpc: TLS handshake with %s failed: the caller did not complete it within Config.ConnectTimeout (%v); it may not speak TLS (set Config.TLS on both ends, or neither), or be slow: %w", tc.RemoteAddr(), timeout, err)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("rpc: TLS handshake with %s failed: it did not answer within Config.ConnectTimeout (%v); what answers there may not speak TLS (set Config.TLS on both ends, or neither), or may be overloaded: check the address, or raise Config.ConnectTimeout: %w", tc.RemoteAddr(), timeout, err)
	}
	if why := tlsFailure(tc.RemoteAddr(), err, dialler, hasClientCert(cfg), now); why != nil {
		return why
	}
	return fmt.Errorf("rpc: TLS handshake with %s failed: %w", tc.RemoteAddr(), err)
}

// hasClientCert reports whether cfg has a certificate to give a server
// that asks for one.
func hasClientCert(cfg *tls.Config) bool {
	return len(cfg.Certificates) > 0 || cfg.GetClientCertificate != nil
}

// tlsFailure says what err, an error of the TLS handshake with remote or
// of the first read after it, means and how to fix it; nil when err is
// none that it knows. hasCert is whether this transport has a client
// certificate. In TLS 1.3 a client's handshake is done before its server
// has checked the client's certificate, so the server's refusal of it
// comes to the client's first read, the hello's.
func tlsFailure(remote net.Addr, err error, dialler, hasCert bool, now time.Time) error {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		op       *net.OpError
		recHdr   tls.RecordHeaderError
	)
	whose := fmt.Sprintf("the certificate of %s", remote)
	trust := "RootCAs"
	if !dialler {
		whose = fmt.Sprintf("the client certificate of %s", remote)
		trust = "ClientCAs"
	}
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("rpc: TLS handshake with %s failed: %s is signed by an authority this transport does not trust; add the CA that signed it to Config.TLS.%s: %w", remote, whose, trust, err)
	case errors.As(err, &hostname):
		return fmt.Errorf("rpc: TLS handshake with %s failed: %s is not valid for %q, the host dialled (or Config.TLS.ServerName); issue it for that name (an IP address needs an IP address SAN), or set Config.TLS.ServerName to a name it holds: %w", remote, whose, hostname.Host, err)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return fmt.Errorf("rpc: TLS handshake with %s failed: %s is valid from %v to %v, and the transport's time is %v; renew it (or check the clock): %w",
			remote, whose, invalid.Cert.NotBefore.UTC(), invalid.Cert.NotAfter.UTC(), now.UTC(), err)
	case errors.As(err, &op) && op.Op == "remote error":
		// The alert's type is crypto/tls's own; its text names it.
		return fmt.Errorf("rpc: TLS handshake with %s failed: it refused this transport (%v); %s: %w", remote, op.Err, alertFix(op.Err.Error(), dialler, hasCert), err)
	case errors.As(err, &recHdr):
		return fmt.Errorf("rpc: TLS handshake with %s failed: it does not answer in TLS; set Config.TLS on both ends, or neither: %w", remote, err)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("rpc: TLS handshake with %s failed: it closed the connection; it may not use TLS (set Config.TLS on both ends, or neither), or it refused this transport's certificate (its log says why): %w", remote, io.ErrUnexpectedEOF)
	case !dialler && err.Error() == "tls: client didn't provide a certificate":
		return fmt.Errorf("rpc: TLS handshake with %s failed: it presented no client certificate signed by one of Config.TLS.ClientCAs, which this transport requires (Config.TLS.ClientAuth); give it one in its Config.TLS.Certificates: %w", remote, err)
	}
	return nil
}

// closedAfterTLS says what it means that tc's server closed the
// connection (err) once the TLS handshake was done, before its hello;
// hasCert is whether this transport has a client certificate to give.
// In TLS 1.3 a client's handshake is done before the server has checked
// the client's certificate, and the alert with which a server refuses it
// is lost when its close resets the connection with the client's hello
// unread: a refusal is then most likely, and the server's log says why.
func closedAfterTLS(tc *tls.Conn, err error, hasCert bool) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	remote := tc.RemoteAddr()
	switch {
	case tc.ConnectionState().Version != tls.VersionTLS13:
		return fmt.Errorf("rpc: %s closed the connection after the TLS handshake, before its hello; it may be shutting down (its log says more): %w", remote, err)
	case !hasCert:
		return fmt.Errorf("rpc: %s closed the connection after the TLS handshake, before its hello: it most likely requires a client certificate, and this transport has none; set Config.TLS.Certificates to one that one of its Config.TLS.ClientCAs signed (its log says why): %w", remote, err)
	}
	return fmt.Errorf("rpc: %s closed the connection after the TLS handshake, before its hello: it most likely refused this transport's client certificate (Config.TLS.Certificates): none of its Config.TLS.ClientCAs signed it (this transport then sends none), or a check of its own refused it (VerifyConnection, VerifyPeerCertificate); its log says which: %w", remote, err)
}

// alertFix says what to change about alert, the text of an alert that
// the other end sent during the handshake; hasCert is whether this
// transport has a client certificate.
func alertFix(alert string, dialler, hasCert bool) string {
	mine := "this transport's certificate (Config.TLS.Certificates)"
	theirs := "ClientCAs"
	if !dialler {
		theirs = "RootCAs"
	}
	switch alert {
	case "tls: certificate required":
		return "it requires a client certificate signed by one of its Config.TLS.ClientCAs, and this transport sent none, having none that such a CA signed; set Config.TLS.Certificates to one, or add its CA to the server's ClientCAs"
	case "tls: unknown certificate authority":
		return fmt.Sprintf("it does not accept %s; add the CA that signed it to its Config.TLS.%s, or give this transport a certificate that CA signed", mine, theirs)
	case "tls: bad certificate", "tls: unknown certificate", "tls: unsupported certificate":
		// Go sends these when a check of the caller's own
		// (VerifyConnection, VerifyPeerCertificate) refuses, and other
		// implementations for an unknown authority too.
		return fmt.Sprintf("it does not accept %s: its Config.TLS.%s did not sign it, or a check of its own refused it (VerifyConnection, VerifyPeerCertificate); its log says which", mine, theirs)
	case "tls: expired certificate":
		return fmt.Sprintf("%s has expired or is not valid yet by its clock; renew it", mine)
	case "tls: internal error":
		return "it failed on its side of the handshake (its certificate or configuration could not serve); its log says why"
	case "tls: handshake failure":
		// TLS 1.2's refusal of a client without a certificate, as
		// well as of a configuration that does not agree.
		switch {
		case dialler && !hasCert:
			return "it may require a client certificate, and this transport sent none, having none; set Config.TLS.Certificates to one that one of its Config.TLS.ClientCAs signed. Otherwise both ends need TLS configurations that agree (versions, cipher suites)"
		case dialler:
			return "both ends need TLS configurations that agree (versions, cipher suites, certificates); in TLS 1.2 it is also how a server refuses a client that sent no certificate, as this transport does when none of the server's Config.TLS.ClientCAs signed its own"
		}
	}
	return "both ends need TLS configurations that agree (versions, cipher suites, certificates)"
}

// tlsRecordFailed reports whether err, a read's, is the TLS layer's own
// refusal of what arrived (a record that fails its integrity check: bytes
// corrupted on the way, or tampered with), as a bad frame is the
// plaintext protocol's.
func tlsRecordFailed(nc net.Conn, err error) bool {
	if _, ok := nc.(*tls.Conn); !ok {
		return false
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "local error"
}
