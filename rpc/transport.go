package rpc

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync/atomic"
	"time"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc/internal/wire"
)

// Config configures a [Transport]. The zero Config is a transport that
// dials but does not listen, with the defaults below.
type Config struct {
	// Listen is the address to listen on, "host:port" or ":port"; empty
	// means the transport only dials. With no host, the transport's
	// address ([Transport.Addr]) is the Network's own host and the port.
	Listen string
	// MaxPayload bounds a frame's payload, on both ends: a larger message
	// is refused when sent, and a larger frame received ends its
	// connection. The ends tell each other theirs in the hello, and
	// neither sends the other more than it accepts: a request larger than
	// the server's fails as not sent (ErrNotSent), a reply larger than
	// the caller's as lost (ErrReplyLost), once, naming the bound to
	// raise. Zero means DefaultMaxPayload.
	MaxPayload int
	// MaxQueued bounds each peer's reliable queue: the requests of
	// GetReply and GetReplyUnlessFailedFor waiting for their replies. A
	// request beyond it fails at once with ErrQueueFull rather than
	// being dropped, since its caller was promised that it would be sent
	// until answered. Zero means DefaultMaxQueued.
	MaxQueued int
	// MaxUnreliableBytes bounds each peer's unreliable queue (Send and
	// TryGetReply) in bytes. A message beyond it is dropped, as an
	// unreliable message may be: counted in Stats.Dropped, and a
	// TryGetReply gets ErrMaybeDelivered. Zero means
	// DefaultMaxUnreliableBytes.
	MaxUnreliableBytes int
	// ConnectTimeout bounds a connect and its handshake. Zero means
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// PingInterval is how often a connection's liveness is checked; a
	// dialled connection that received or sent nothing for that long
	// sends a ping. Zero means DefaultPingInterval.
	PingInterval time.Duration
	// PingTimeout ends a connection that received nothing, not even a
	// pong, for that long. Any frame counts, so a connection busy with
	// large messages lives on. Zero means DefaultPingTimeout.
	PingTimeout time.Duration
	// InitialBackoff and MaxBackoff bound the wait before a reconnect:
	// it starts at InitialBackoff and doubles after each failed attempt
	// up to MaxBackoff, and the wait is drawn between half the backoff
	// and the whole from the Random provider. A connection that the
	// address's host opens to this transport ends the wait at once. Zero
	// means DefaultInitialBackoff and DefaultMaxBackoff.
	InitialBackoff, MaxBackoff time.Duration
	// MaxBackoffQueued caps the backoff while something waits to be sent
	// to the address (a request waiting for its reply, a message queued),
	// as FoundationDB's FlowTransport caps its reconnection delay: such a
	// request goes out within about MaxBackoffQueued of the network's
	// return (and up to a second more for a connect under way then,
	// whose lost SYN the kernel sends again), where a backoff grown to
	// MaxBackoff would hold it for up to that long. Something queued
	// during a longer wait shortens it.
	// Zero means DefaultMaxBackoffQueued, or InitialBackoff if that is
	// longer.
	MaxBackoffQueued time.Duration
	// ServeGrace is how long after NewTransport a listening transport
	// holds the requests and messages that arrive for well-known tokens
	// it does not serve yet. A transport listens as NewTransport returns,
	// before Serve can be called, so a client that redials a restarted
	// server in that moment would otherwise be told that nothing serves
	// the endpoint it has always called. A held frame goes to its
	// endpoint when Serve or ServeStream serves the token, in the order
	// the frames arrived; one still held when the grace ends is answered
	// ErrEndpointNotFound, as is one that arrives later. Dynamic tokens
	// are never held: one not served is gone. Raise it for a server that
	// reads its disk or joins its peers before it serves. Zero means
	// DefaultServeGrace.
	ServeGrace time.Duration
	// Codec encodes messages; nil means JSONCodec.
	Codec Codec
	// TLS, when set, encrypts and authenticates every connection, both
	// ways, with one configuration for the transport's two roles: it
	// dials as a TLS client, verifying the server's certificate against
	// RootCAs for the host of the address dialled (unless ServerName is
	// set) and presenting Certificates when asked; it accepts as a TLS
	// server, presenting Certificates and, with ClientAuth set to
	// tls.RequireAndVerifyClientCert, requiring a caller's certificate
	// signed by one of ClientCAs (a listening transport with ClientCAs
	// and no ClientAuth is refused). A nil Time is the Time provider's
	// clock, so that a simulation checks validity at simulated time, in
	// a configuration that GetConfigForClient returns too. The
	// TLS handshake comes before the hello, within ConnectTimeout; one
	// that fails fails the connect, which is retried with backoff, and a
	// call that times out says why (an unknown authority, a name or a
	// time the certificate does not cover, a certificate missing or
	// refused). Both ends set it, or neither. A handler learns who
	// called, the caller's certificate among it, with CallerOf. In a
	// simulation, see docs/rpc.md for what keeps a seed's run the same
	// over TLS.
	TLS *tls.Config
}

// The defaults of Config.
const (
	DefaultMaxPayload         = wire.DefaultMaxPayload
	DefaultMaxQueued          = 10000
	DefaultMaxUnreliableBytes = 16 << 20
	DefaultConnectTimeout     = 5 * time.Second
	DefaultPingInterval       = time.Second
	DefaultPingTimeout        = 4 * time.Second
	DefaultInitialBackoff     = 100 * time.Millisecond
	DefaultMaxBackoff         = 30 * time.Second
	DefaultMaxBackoffQueued   = time.Second
	DefaultServeGrace         = time.Second
)

// ServeGrace is the serve grace of a Config that leaves it zero.
//
// Deprecated: set Config.ServeGrace; DefaultServeGrace is its default.
const ServeGrace = DefaultServeGrace

func (c Config) withDefaults() (Config, error) {
	var errs []error
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"MaxPayload", int64(c.MaxPayload)}, {"MaxQueued", int64(c.MaxQueued)},
		{"MaxUnreliableBytes", int64(c.MaxUnreliableBytes)}, {"ConnectTimeout", int64(c.ConnectTimeout)},
		{"PingInterval", int64(c.PingInterval)}, {"PingTimeout", int64(c.PingTimeout)},
		{"InitialBackoff", int64(c.InitialBackoff)}, {"MaxBackoff", int64(c.MaxBackoff)},
		{"MaxBackoffQueued", int64(c.MaxBackoffQueued)}, {"ServeGrace", int64(c.ServeGrace)},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("rpc: Config.%s is negative; use zero for the default or a positive value", f.name))
		}
	}
	if int64(c.MaxPayload) > 1<<31 {
		errs = append(errs, fmt.Errorf("rpc: Config.MaxPayload is %d; a frame's length is 32 bits, so at most 2 GiB", c.MaxPayload))
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	c.MaxPayload = cmp.Or(c.MaxPayload, DefaultMaxPayload)
	c.MaxQueued = cmp.Or(c.MaxQueued, DefaultMaxQueued)
	c.MaxUnreliableBytes = cmp.Or(c.MaxUnreliableBytes, DefaultMaxUnreliableBytes)
	def(&c.ConnectTimeout, DefaultConnectTimeout)
	def(&c.PingInterval, DefaultPingInterval)
	def(&c.PingTimeout, DefaultPingTimeout)
	def(&c.InitialBackoff, DefaultInitialBackoff)
	def(&c.MaxBackoff, DefaultMaxBackoff)
	def(&c.ServeGrace, DefaultServeGrace)
	if c.MaxBackoff < c.InitialBackoff {
		return c, fmt.Errorf("rpc: Config.MaxBackoff (%v) is less than InitialBackoff (%v); raise it", c.MaxBackoff, c.InitialBackoff)
	}
	// The monitor counts silence in whole intervals: a timeout that one
	// interval reaches ends every quiet connection before its ping is
	// answered.
	if c.PingTimeout <= c.PingInterval {
		return c, fmt.Errorf("rpc: Config.PingTimeout (%v) is not above PingInterval (%v), so a quiet connection would end before its ping is answered; raise PingTimeout to a few intervals", c.PingTimeout, c.PingInterval)
	}
	if c.MaxBackoffQueued == 0 {
		c.MaxBackoffQueued = max(DefaultMaxBackoffQueued, c.InitialBackoff)
	}
	if c.MaxBackoffQueued < c.InitialBackoff {
		return c, fmt.Errorf("rpc: Config.MaxBackoffQueued (%v) is less than InitialBackoff (%v); raise it", c.MaxBackoffQueued, c.InitialBackoff)
	}
	if c.Codec == nil {
		c.Codec = JSONCodec{}
	}
	return c, nil
}

// Transport carries the messages of a process's endpoints: one logical
// connection per remote address for what this process sends, kept across
// reconnects, and the connections other processes opened to it, served
// until they end. It is safe for concurrent use.
type Transport struct {
	// What a round trip reads comes first, in the struct's first lines
	// with the Config after them: a task that resumes finds them cold,
	// and the fewer lines the sooner.
	mu     mutex
	closed bool
	sim    bool // in a simulation: the locks are off (see mutex)
	json   bool // the codec is a JSONCodec (see msgBox)
	// parker is the simulation's Task provider, nil in production: with
	// its OnPark, handlers run inline in their connection's reader (see
	// reader).
	parker    parker
	lastPeer  *peer   // the peer of the last call, found again without the map
	free      []*call // settled calls, for reuse
	replyBase Token   // reply tokens are replyBase plus a count and a slot (see newCall)
	replies   uint64
	calls     []*call // the calls waiting for replies (and free calls), by slot
	// baseDone is the Done channel of the context NewTransport was
	// given, whose end closes the transport: a call whose context ends
	// only with it cannot be cancelled sooner (see cancelable).
	baseDone <-chan struct{}
	// causeClock is the simulation's clock, which makes a request's
	// context with a cause and a deadline as one (see promise.track);
	// nil in production.
	causeClock causeClock
	epGen      uint64 // counts the endpoints unregistered, for the connections' caches
	cfg        Config

	p        providers.Providers
	log      *slog.Logger
	ctx      context.Context
	cancel   context.CancelFunc
	addr     string
	instance uint64 // this incarnation, told to peers in the handshake
	// newest is the newest protocol version it speaks: protocolVersion,
	// lower only in the tests of a pair of two releases.
	newest  uint16
	ln      net.Listener
	tls     *tls.Config // Config.TLS with the Time provider's clock; nil without it
	monitor *FailureMonitor
	tasks   *providers.WaitGroup
	// spawn starts the transport's own tasks (peers, connections,
	// handlers) in the process that made the transport, whichever task
	// asks: in a simulation Task.Go would put them in the asking task's
	// process, and a peer first called from a process that then crashed
	// would die with it. It returns nil once that process has been killed.
	spawn func(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle
	// spawnQuiet is spawn for a connection's readers, whose starts and
	// ends a simulation's timeline does not show: a new one starts
	// each time a handler run inline parks, and a report's window of an
	// rpc service was half their lines.
	spawnQuiet func(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle

	endpoints map[Token]receiver
	// unserved holds the well-known tokens Unserve stopped serving, until
	// they are served again: a "not found" answer for one says so. (A
	// dynamic token's answer says so anyway.)
	unserved map[Token]bool
	peers    map[string]*peer
	peerList []*peer            // in the order made, for Close
	byHost   map[string][]*peer // the peers at each host, in the order made
	// backingOff counts the peers that wait out a backoff, or dial again
	// after a failure: while none does, a connection from a peer's host
	// has nothing to hurry.
	backingOff atomic.Int32
	inbound    map[uint64]*conn
	nconns     uint64
	freeSlots  []uint32 // the slots that no call holds

	// What arrives for well-known tokens not yet served is held until
	// holdUntil, Config.ServeGrace after NewTransport (zero when the transport
	// does not listen), or until graceOver (see hold).
	holdUntil time.Time
	graceOver bool
	expiring  bool // the task that ends the grace was started
	held      []heldFrame
	heldBytes int

	stats struct {
		dropped, orphans, badFrames, notFound, connects, disconnects, resent atomic.Uint64
	}
}

// A parker is a simulation's Task provider: OnPark has fn called once,
// when the running task next gives up its turn; TaskName and SetTaskName
// name the running task, so that a reader running a handler inline is
// named for the endpoint it serves.
type parker interface {
	OnPark(fn func())
	TaskName() string
	SetTaskName(name *string)
}

// A receiver takes the frames sent to a token: a served endpoint, or a
// call waiting for its reply. payload is valid only during the call.
type receiver interface {
	receive(c *conn, tok Token, payload []byte)
}

// The first byte of a payload sent to an endpoint or a reply token.
const (
	kindRequest   = 1 // then the reply token, then the request
	kindSend      = 2 // then the message; no reply
	kindReply     = 3 // then the reply
	kindRemoteErr = 4 // then the handler's error message
	kindBroken    = 5 // the promise is broken
	// then the messages of the handler's error and of those it wraps,
	// each after its length (appendRemoteErr)
	kindRemoteErrWrapping = 6
	// the handler replied, and its reply could not be sent (it does not
	// encode, or is too large): then why
	kindReplyLost = 7
	// the request does not decode, so no handler ran: then why
	kindUndecodable = 8
	// a request with the caller's deadline: then the reply token, the
	// time the caller had left (nanoseconds, uint64 little-endian), then
	// the request
	kindRequestBy = 9
	// Version 3 (cancelVersion) on: kinds 1 and 9 of a request whose
	// caller may give up on it before its reply, and tells the server
	// with kindCancel; the server then gives its handler a context of
	// the request's own, which the cancel ends. A caller that cannot give
	// up sooner than its transport closes sends 1 or 9, and the handler
	// runs in the connection's context, which costs nothing per request.
	kindRequestCancelable   = 10
	kindRequestByCancelable = 11
	// the caller of the request whose reply token the frame is for gave
	// up on it: nothing follows
	kindCancel = 12
)

// isRequest reports whether kind is a request's, which a reply token
// follows.
func isRequest(kind byte) bool {
	switch kind {
	case kindRequest, kindRequestBy, kindRequestCancelable, kindRequestByCancelable:
		return true
	}
	return false
}

// replyToken returns the reply token of payload, a request's (its kind,
// then the token), and false for a message's or one too short to hold
// it.
func replyToken(payload []byte) (Token, bool) {
	if len(payload) < 1+len(Token{}) || !isRequest(payload[0]) {
		return Token{}, false
	}
	return Token(payload[1 : 1+len(Token{})]), true
}

// hasBudget reports whether kind is a request's that carries its
// caller's time left.
func hasBudget(kind byte) bool { return kind == kindRequestBy || kind == kindRequestByCancelable }

// requestKind is the kind of a request frame: with a budget or not (by),
// and one its caller may cancel, on a connection of version proto.
func requestKind(by, cancelable bool, proto uint16) byte {
	switch cancelable = cancelable && proto >= cancelVersion; {
	case by && cancelable:
		return kindRequestByCancelable
	case by:
		return kindRequestBy
	case cancelable:
		return kindRequestCancelable
	}
	return kindRequest
}

// replyTokenAt is where a request frame's reply token is: after the
// header and the kind.
const replyTokenAt = wire.HeaderSize + 1

// requestToken returns the reply token of the frame f, and whether f is a
// request's, which has one.
func requestToken(f []byte) (Token, bool) {
	if len(f) < replyTokenAt+len(Token{}) || !isRequest(f[wire.HeaderSize]) {
		return Token{}, false
	}
	return Token(f[replyTokenAt : replyTokenAt+len(Token{})]), true
}

// framesIn yields the frames of b, frames one after the other as unrel
// holds them, each with its offset.
func framesIn(b []byte) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		for off := 0; off+wire.HeaderSize <= len(b); {
			n := int(binary.LittleEndian.Uint32(b[off:]))
			if !yield(off, b[off:off+n]) {
				return
			}
			off += n
		}
	}
}

// NewTransport starts a transport over p: it listens on cfg.Listen, when
// set, and runs until ctx is done or Close is called. Its tasks start
// with p.Task, its timers on p.Time, its tokens from p.Random; in a
// simulation, everything it does is part of the seed's execution.
func NewTransport(ctx context.Context, p providers.Providers, cfg Config) (*Transport, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if p.Network == nil || p.Time == nil || p.Task == nil || p.Random == nil {
		return nil, errors.New("rpc: NewTransport needs the Network, Time, Task and Random providers; pass providers.Real() or a simulation's")
	}
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	baseDone := ctx.Done()
	ctx, cancel := withCancel(ctx, p)
	t := &Transport{
		p: p, cfg: cfg, log: log, ctx: ctx, cancel: cancel, newest: protocolVersion,
		baseDone:  baseDone,
		instance:  p.Random.Uint64(),
		replyBase: NewToken(p.Random),
		endpoints: make(map[Token]receiver),
		peers:     make(map[string]*peer),
		byHost:    make(map[string][]*peer),
		inbound:   make(map[uint64]*conn),
		tasks:     providers.NewWaitGroup(p.Task),
		spawn:     p.Task.Go,
	}
	t.spawnQuiet = t.spawn
	if h, ok := p.Task.(interface {
		Spawner() func(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle
		QuietSpawner() func(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle
	}); ok {
		t.spawn, t.spawnQuiet = h.Spawner(), h.QuietSpawner()
	}
	_, t.json = cfg.Codec.(JSONCodec)
	if h, ok := p.Task.(parker); ok {
		t.parker, t.sim = h, true
		t.mu.off = true
		t.causeClock, _ = p.Time.(causeClock)
	}
	if cfg.TLS != nil {
		if t.tls, err = newTLSConfig(cfg.TLS, p.Time.Now, cfg.Listen != "", t.sim); err != nil {
			cancel()
			return nil, err
		}
	}
	t.monitor = &FailureMonitor{t: t, mu: mutex{off: t.sim}, addrs: make(map[string]*addrState), failed: make(map[endpointKey]bool)}
	if cfg.Listen != "" {
		ln, err := p.Network.Listen(ctx, cfg.Listen)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("rpc: listen on %s: %w", cfg.Listen, err)
		}
		t.ln = ln
		t.holdUntil = p.Time.Now().Add(cfg.ServeGrace)
		t.addr = ln.Addr().String()
		if host, port, err := net.SplitHostPort(cfg.Listen); err == nil && host == "" {
			_, lport, _ := net.SplitHostPort(t.addr)
			t.addr = net.JoinHostPort(p.Network.Host(), cmp.Or(lport, port))
		}
		t.tasks.Go(ctx, "rpc accept "+t.addr, t.accept)
	}
	// Close when ctx ends, so that a process's transport dies with it.
	t.tasks.Go(ctx, "rpc close", func(ctx context.Context) error {
		_ = providers.Wait(ctx, p.Task)
		t.shutdown()
		return nil
	})
	return t, nil
}

// Addr is the address other processes dial to reach this transport's
// endpoints, "host:port"; empty when it does not listen.
func (t *Transport) Addr() string { return t.addr }

// Monitor returns the transport's failure monitor.
func (t *Transport) Monitor() *FailureMonitor { return t.monitor }

// Providers returns the providers the transport runs on.
func (t *Transport) Providers() providers.Providers { return t.p }

// Close stops the transport: it stops listening, closes every connection,
// fails every request still waiting with ErrClosed and breaks the promises
// of streams' requests not yet read; then it waits for its own tasks to
// end. Handlers still running go on, with their context cancelled, and
// their replies go nowhere. Close after the first does nothing.
func (t *Transport) Close() error {
	t.shutdown()
	return t.tasks.Wait(context.Background())
}

// shutdown does Close's work, once.
func (t *Transport) shutdown() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	peers := slices.Clone(t.peerList)
	var in []*conn
	for _, id := range slices.Sorted(maps.Keys(t.inbound)) {
		in = append(in, t.inbound[id])
	}
	var streams []interface{ closeStream() }
	for _, tok := range slices.SortedFunc(maps.Keys(t.endpoints), func(a, b Token) int { return slices.Compare(a[:], b[:]) }) {
		if s, ok := t.endpoints[tok].(interface{ closeStream() }); ok {
			streams = append(streams, s)
		}
	}
	t.mu.Unlock()
	// Connections first, so that no handler answers once its context
	// is cancelled below: a closed transport's replies go nowhere.
	if t.ln != nil {
		t.ln.Close()
	}
	for _, c := range in {
		c.close(ErrClosed)
	}
	for _, pr := range peers {
		pr.shutdown()
	}
	for _, s := range streams {
		s.closeStream()
	}
	t.cancel()
}

// Stats counts what the transport dropped, refused or resent.
type Stats struct {
	Dropped     uint64 // unreliable messages dropped: queue full, or their connection ended first
	Orphans     uint64 // replies that came for a request nobody waits for any more
	BadFrames   uint64 // connections ended by a frame that did not decode, or over TLS a record that failed its check
	NotFound    uint64 // requests and messages for tokens this transport does not serve
	Connects    uint64 // connections established, both ways
	Disconnects uint64 // connections ended
	// Resent counts requests sent again on a new connection: those of
	// GetReply and GetReplyUnlessFailedFor that went out on a connection
	// that ended before their replies came. Each may reach its server
	// twice; each resend is logged too ("rpc: resent 3 requests to
	// kv-0:4500 on a new connection").
	Resent uint64
}

// Stats returns the transport's counters.
func (t *Transport) Stats() Stats {
	return Stats{
		Dropped: t.stats.dropped.Load(), Orphans: t.stats.orphans.Load(), BadFrames: t.stats.badFrames.Load(),
		NotFound: t.stats.notFound.Load(), Connects: t.stats.connects.Load(), Disconnects: t.stats.disconnects.Load(),
		Resent: t.stats.resent.Load(),
	}
}

// register serves r at tok.
func (t *Transport) register(tok Token, r receiver) error {
	if tok.IsZero() || tok.isSystem() {
		return fmt.Errorf("rpc: cannot serve token %v: it is the zero token or one the transport keeps; use WellKnown or NewToken", tok)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	if _, ok := t.endpoints[tok]; ok {
		return fmt.Errorf("rpc: serve %v: %w; stop the first endpoint or pick another token", tok, ErrTokenInUse)
	}
	delete(t.unserved, tok)
	if len(t.held) > 0 {
		if frames := t.takeHeldLocked(tok); len(frames) > 0 {
			t.handOverLocked(tok, r, frames)
			return nil
		}
	}
	t.endpoints[tok] = r
	return nil
}

// unregister stops serving tok, if r serves it.
func (t *Transport) unregister(tok Token, r receiver) {
	t.mu.Lock()
	if t.endpoints[tok] == r {
		delete(t.endpoints, tok)
		t.epGen++
		if tok.IsWellKnown() && !t.closed {
			if t.unserved == nil {
				t.unserved = make(map[Token]bool)
			}
			t.unserved[tok] = true
		}
	}
	t.mu.Unlock()
}

// accept serves the connections others open.
func (t *Transport) accept(ctx context.Context) error {
	for {
		nc, err := t.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			t.log.Warn("rpc: accept failed", "addr", t.addr, "err", err)
			if t.p.Time.Sleep(ctx, 10*time.Millisecond) != nil {
				return nil
			}
			continue
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			nc.Close()
			return nil
		}
		t.nconns++
		id := t.nconns
		var sealed *sealBuffer
		if t.tls != nil {
			nc, sealed = t.secure(nc, "", false)
		}
		c := newConn(t, nc, nil, 0)
		c.sealed = sealed
		c.fromHost, _, _ = net.SplitHostPort(nc.RemoteAddr().String())
		t.inbound[id] = c
		t.mu.Unlock()
		t.tasks.Go(ctx, "rpc inbound "+nc.RemoteAddr().String(), func(ctx context.Context) error {
			defer func() {
				t.mu.Lock()
				delete(t.inbound, id)
				t.mu.Unlock()
			}()
			dec, _, err := c.handshake(ctx, false)
			if err != nil {
				switch {
				case silent(c.nc, err):
					// A health check, a port scan: not worth a
					// warning each time (plaintext logs none).
					t.log.Debug("rpc: an inbound connection closed before it sent anything", "remote", nc.RemoteAddr(), "err", err)
				case t.tls != nil || errors.As(err, new(*versionError)):
					// The caller learns little more than that it was
					// refused: the reason is for this end's log. A
					// peer of another protocol version is logged in
					// plaintext too: one end of it is to upgrade.
					t.log.Warn("rpc: an inbound connection failed its handshake", "remote", nc.RemoteAddr(), "err", err)
				}
				c.close(err)
				return nil
			}
			t.heardFrom(c.fromHost)
			t.stats.connects.Add(1)
			c.serve(ctx, dec)
			t.stats.disconnects.Add(1)
			return nil
		})
	}
}

// peer returns the peer for addr, made and started on first use.
func (t *Transport) peer(addr string) (*peer, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	if pr, ok := t.peers[addr]; ok {
		return pr, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("rpc: the address %q is not host:port: %w", addr, err)
	}
	pr := newPeer(t, addr, host)
	t.tasks.Add(1)
	if t.spawn(t.ctx, "rpc peer "+addr, func(ctx context.Context) error {
		defer t.tasks.Done()
		return pr.run(ctx)
	}) == nil {
		t.tasks.Done()
		return nil, fmt.Errorf("rpc: call to %s: %w: the process that made the transport was killed; make a new transport in the restarted process", addr, ErrClosed)
	}
	t.peers[addr] = pr
	t.peerList = append(t.peerList, pr)
	t.byHost[host] = append(t.byHost[host], pr)
	return pr, nil
}

// heardFrom is told of each connection another process opened from host,
// once its handshake is done: the network between the two works again,
// so a peer at that host that waits out its backoff dials now. Its state
// changes only as the dial turns out: Available once connected. Only a
// new connection wakes, not each frame: a peer whose dial fails at once
// (nothing listens at its port, while another process of its host calls
// this one) would otherwise dial again for every frame.
func (t *Transport) heardFrom(host string) {
	if t.backingOff.Load() == 0 {
		return
	}
	t.mu.Lock()
	peers := t.byHost[host]
	t.mu.Unlock()
	for _, pr := range peers {
		pr.wakeUp()
	}
}

// dispatch hands a frame received on c to its receiver.
func (t *Transport) dispatch(c *conn, tok Token, payload []byte) {
	if len(payload) == 1 && payload[0] == kindCancel && c.peer == nil && c.proto >= cancelVersion {
		c.cancelRequest(tok)
		return
	}
	if tok.isSystem() {
		switch tok {
		case tokPing:
			c.queueFrame(tokPong, nil)
		case tokPong:
		case tokNotFound:
			t.notFound(c, payload)
		default:
			t.log.Debug("rpc: a frame for an unknown system token", "token", tok)
		}
		return
	}
	t.mu.Lock()
	var r receiver
	if x := t.callLocked(tok); x != nil {
		r = x
	} else if c.peer != nil {
		// A connection this end dialled carries the replies to its
		// calls, never a request: its far end was verified as a server
		// (RootCAs), not as a caller (ClientCAs), and a handler's
		// CallerOf would name it as one.
		t.mu.Unlock()
		if len(payload) > 0 && (isRequest(payload[0]) || payload[0] == kindSend) {
			t.answerNotFound(c, tok, payload)
		} else {
			t.stats.orphans.Add(1)
		}
		return
	} else if tok == c.epTok && t.epGen == c.epGen {
		r = c.epRecv
	} else if e := t.endpoints[tok]; e != nil {
		r = e
		c.epTok, c.epRecv, c.epGen = tok, e, t.epGen
	}
	t.mu.Unlock()
	if r != nil {
		r.receive(c, tok, payload)
		return
	}
	if len(payload) == 0 || (!isRequest(payload[0]) && payload[0] != kindSend) {
		t.stats.orphans.Add(1) // a reply for a call that gave up, or a duplicate
		return
	}
	switch r, held := t.hold(c, tok, payload); {
	case r != nil:
		r.receive(c, tok, payload)
	case !held:
		t.answerNotFound(c, tok, payload)
	}
}

// answerNotFound answers payload, a request or a message for tok that
// arrived on c, that nothing serves tok.
func (t *Transport) answerNotFound(c *conn, tok Token, payload []byte) {
	t.stats.notFound.Add(1)
	var nf [33]byte
	copy(nf[:16], tok[:])
	if reply, ok := replyToken(payload); ok {
		copy(nf[16:], reply[:])
	}
	t.mu.Lock()
	if t.unserved[tok] {
		nf[32] = notFoundUnserved
	}
	t.mu.Unlock()
	c.queueFrame(tokNotFound, nf[:])
}

// The last byte of a "not found" answer: why the token is not served.
const (
	notFoundNever    = 0 // not served (yet), as far as the server knows
	notFoundUnserved = 1 // Unserve stopped serving it
)

// notFound handles the peer's answer that a token we sent to is not
// served there.
func (t *Transport) notFound(c *conn, payload []byte) {
	if len(payload) != 33 {
		return
	}
	missing, reply := Token(payload[:16]), Token(payload[16:32])
	if c.peer != nil && !missing.IsWellKnown() {
		t.monitor.endpointFailed(c.peer.addr, missing)
	}
	t.mu.Lock()
	x := t.callLocked(reply)
	t.mu.Unlock()
	if x != nil {
		why := "nothing serves the token there yet; serve it right after NewTransport (or raise Config.ServeGrace there), or check the address and the token"
		switch {
		case payload[32] == notFoundUnserved:
			why = "its server stopped serving it (Unserve: it drains, or the endpoint moved); call another server, or this one once it serves the token again"
		case !missing.IsWellKnown():
			why = "it is no longer served there (its server stopped serving it, or restarted); ask its server for its endpoint again"
		}
		x.complete(reply, nil, fmt.Errorf("rpc: %v at %s: %s: %w", missing, c.remote(), why, ErrEndpointNotFound))
	}
}

// withCancel is context.WithCancel, except in a simulation, where it is a
// context of the simulation's own making, so that the tasks waiting on it
// are woken by the scheduler when it is cancelled instead of being polled
// whenever no task is ready. Like package context's, it adds no deadline:
// the handler of a call without one sees none, as in production.
func withCancel(ctx context.Context, p providers.Providers) (context.Context, context.CancelFunc) {
	if c, sim := p.Time.(causeClock); sim {
		ctx, cancel := c.WithDeadlineCancelCause(ctx, time.Time{})
		return ctx, func() { cancel(nil) }
	}
	return context.WithCancel(ctx)
}

// causeClock is the simulation's Time provider's WithDeadlineCancelCause:
// a context that ends at deadline (none if zero), as its parent does, or
// as its cancel is called, with the cause that cancel is given.
type causeClock interface {
	WithDeadlineCancelCause(ctx context.Context, deadline time.Time) (context.Context, context.CancelCauseFunc)
}
