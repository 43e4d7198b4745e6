package rpc

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/callsite"
	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc/internal/wire"
)

// protocolVersion is told in the handshake: the newest version a
// transport speaks. It still speaks every version from oldestVersion on,
// and its hello says so (helloV3Len), so that the two ends speak the
// newer of the versions both speak, and a rolling upgrade to a release
// of the package with a new protocol keeps its old and new processes
// talking. Version 3 adds the caller's cancel (kindCancel) and the
// requests that it may cancel (kindRequestCancelable and
// kindRequestByCancelable); a connection of version 2 carries neither.
const (
	protocolVersion = 3
	oldestVersion   = 2
	// cancelVersion is the first version whose connections carry a
	// caller's cancels.
	cancelVersion = 3
)

// helloLen is the length of a version 2 hello; helloV3Len the least of a
// newer one, which adds the oldest version its sender speaks.
const (
	helloLen   = 14
	helloV3Len = 16
)

// conn is one TCP connection, dialled (peer set) or accepted (peer nil).
// A reader task decodes frames and dispatches them; a writer writes what
// is queued, in batches; a monitor checks liveness.
type conn struct {
	t    *Transport
	nc   net.Conn
	peer *peer // the peer that dialled it; nil for an accepted connection
	// peerMax is the other end's Config.MaxPayload, from its hello: a
	// frame larger than it would end the connection there, so none is
	// written. Set before the connection serves.
	peerMax int
	// proto is the protocol version the two ends speak, from the
	// handshake: cancels travel on a connection of cancelVersion or later.
	proto    uint16
	fromHost string // the host an accepted connection came from, for heardFrom
	// sealed is what a TLS connection writes to in a simulation, drained
	// after each write (see sealBuffer); nil otherwise.
	sealed *sealBuffer
	gen    uint64 // the peer's connection number
	ctx    context.Context
	cancel context.CancelFunc
	wake   *providers.Chan[struct{}]
	// caller is who is at the other end, known once the handshake is
	// done. The handlers of what arrives on the connection get contexts
	// made once (see knowCaller): callerCtx, the transport's context
	// carrying the caller, for a Send's; handlerCtx, which ends as the
	// connection does, for a request's; endHandlers ends it, with the
	// cause (nil while it is not made, and on a dialled connection).
	caller      Caller
	callerCtx   context.Context
	handlerCtx  context.Context
	endHandlers context.CancelCauseFunc
	// reqParent is what the context of a request its caller may cancel
	// is made under (promise.track): the context of package context's
	// that ends with the connection. running holds those requests, by
	// reply token, until they are answered; guarded by mu.
	reqParent context.Context
	running   map[Token]*promise

	// The reading: dec decodes what arrives; rd is the reader whose turn
	// it is (see reader); readDone gets a value when the reading ends.
	dec      *wire.Decoder
	rd       *reader
	readDone *providers.Chan[struct{}]
	readName string

	// In a simulation, a caller may read its own reply (see
	// Transport.wait). rstate says who reads; lentTo is the call
	// whose caller the reading is lent to; readCtx the context of the
	// caller that reads for its reply; inNext is set while that caller
	// waits in the decoder, and poked when its read was cut short by a
	// read deadline in the past. turn wakes the reader task when the
	// reading comes back to it; giveBack is returnHeld, made once.
	rstate    readState
	lentTo    *call
	readCtx   context.Context
	inNext    bool
	poked     bool
	turn      *providers.Chan[struct{}]
	giveBack  func()
	ctxReader contextReader

	recvd count // bytes read, for the liveness check
	sent  count // writes

	// The endpoint of the last request read, found again without the
	// transport's map while the transport's epGen is unchanged.
	epTok  Token
	epRecv receiver
	epGen  uint64

	mu      mutex
	out     []byte // frames to write, besides the peer's queues
	spare   []byte
	pingDue bool
	writing bool // a task is writing; it writes what is queued meanwhile
	closed  bool
	err     error
}

func newConn(t *Transport, nc net.Conn, pr *peer, gen uint64) *conn {
	ctx, cancel := withCancel(t.ctx, t.p)
	c := &conn{
		t: t, nc: nc, peer: pr, gen: gen, ctx: ctx, cancel: cancel, mu: mutex{off: t.sim},
		recvd: count{off: t.sim}, sent: count{off: t.sim},
		wake:     providers.NewChan[struct{}](t.p.Task, 1),
		readDone: providers.NewChan[struct{}](t.p.Task, 1),
	}
	if t.sim {
		c.ctxReader, _ = nc.(contextReader)
		c.turn = providers.NewChan[struct{}](t.p.Task, 1)
		c.giveBack = c.returnHeld
	}
	return c
}

// contextReader is a simulated connection's ReadContext: a read that its
// context can end.
type contextReader interface {
	ReadContext(ctx context.Context, p []byte) (int, error)
}

// readState is who reads a connection in a simulation.
type readState uint8

const (
	readByTask   readState = iota // the reader task (see reader)
	readLent                      // lent to the caller of lentTo, who has not run since
	readHeld                      // held by the running task, until it next gives up its turn
	readByCaller                  // a caller reads, for its own reply
)

// counter reads c's connection, counting the bytes for the liveness
// check: a large frame still arriving keeps the connection alive.
type counter struct{ c *conn }

func (r counter) Read(p []byte) (int, error) {
	c := r.c
	var n int
	var err error
	if ctx := c.readCtx; ctx != nil {
		n, err = c.ctxReader.ReadContext(ctx, p)
		if err != nil {
			err = c.interrupted(ctx, err)
		}
	} else {
		n, err = c.nc.Read(p)
	}
	c.recvd.Add(uint64(n))
	return n, err
}

// fill makes the first read of a frame, when the decoder holds nothing,
// here rather than in Next (see wire.Decoder.Free), through counter: the
// reader task's and a caller's reads for its reply alike.
func (c *conn) fill() {
	if c.dec.Buffered() == 0 {
		if b := c.dec.Free(); len(b) > 0 {
			c.dec.Filled(counter{c}.Read(b))
		}
	}
}

// interrupted is err, the error of a caller's read for its reply, marked
// as an interruption of the read, not an end of the stream, when the
// caller's context ended or the call ended otherwise (a poke).
func (c *conn) interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil || c.poked && errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("rpc: %w: %w", wire.ErrInterrupted, err)
	}
	return err
}

// remote is the peer's address: the one dialled, or the one the
// connection came from.
func (c *conn) remote() string {
	if c.peer != nil {
		return c.peer.addr
	}
	return c.nc.RemoteAddr().String()
}

// name is the connection as the network's own lines name it,
// "local->remote", for a log line that must tell one connection from the
// next to the same address.
func (c *conn) name() string {
	return fmt.Sprintf("%v->%v", c.nc.LocalAddr(), c.nc.RemoteAddr())
}

// kick wakes the writer.
func (c *conn) kick() { c.wake.TrySend(struct{}{}) }

// queueFrame queues a frame of payload for tok.
func (c *conn) queueFrame(tok Token, payload []byte) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.out = wire.AppendFrame(c.out, wire.Token(tok), payload)
	c.mu.Unlock()
	c.kick()
}

// queueMessage queues a frame for tok whose payload is kind, then v
// encoded, or, if v is nil, failure (appendRemoteErr). It reports false
// when c is closed, and an error when v does not encode or is too large;
// nothing is queued then.
func (c *conn) queueMessage(tok Token, kind byte, v appender, failure error) (bool, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false, nil
	}
	out, at := wire.Begin(c.out, wire.Token(tok))
	limit := c.maxOut()
	var err error
	switch {
	case v != nil:
		out, err = v.appendTo(c.t, append(out, kind))
	case failure != nil:
		out = appendRemoteErr(out, failure, limit) // which picks the kind
	default:
		out = append(out, kind)
	}
	if err == nil {
		out, err = c.t.finishFor(out, at, c, limit)
	}
	if err != nil {
		out = out[:at]
	}
	c.out = out
	c.mu.Unlock()
	return true, err
}

// maxOut is the largest payload c may carry to the other end.
func (c *conn) maxOut() int { return maxOut(c.t.cfg.MaxPayload, c.peerMax) }

// maxOut is the largest payload a frame may carry to the other end:
// own, this end's Config.MaxPayload, or other, the other end's from its
// hello (0 while unknown), if lower. Every frame sent is bounded by it,
// as the other end ends a connection that brings it a larger one.
func maxOut(own, other int) int {
	if other > 0 && other < own {
		return other
	}
	return own
}

// close ends the connection, once.
func (c *conn) close(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed, c.err = true, err
	end := c.endHandlers
	c.mu.Unlock()
	closeConn(c.nc)
	if end != nil {
		end(c.callerGone(err))
	}
	c.cancel()
}

// isClosed reports whether the connection has ended.
func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// closeErr is the error that ended the connection.
func (c *conn) closeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// checkVersion checks the hello p that addr sent against the versions
// this end speaks, oldestVersion to newest, and returns the version the
// two ends speak: the newest that both do. A peer that speaks the
// protocol, but no version of it in common with this end, is to be told
// this end's hello (tell), so that its own check says what to upgrade
// there too.
func checkVersion(addr net.Addr, p []byte, newest uint16) (speak uint16, tell bool, err error) {
	speak, tell, err = versionMismatch(addr, p, newest)
	if err != nil {
		return 0, tell, &versionError{err}
	}
	return speak, false, nil
}

// A versionError refuses a peer that speaks the protocol, but no version
// of it in common with this end: the accepting end logs it, as it is a
// release to upgrade, not a stray connection.
type versionError struct{ error }

func (e *versionError) Unwrap() error { return e.error }

// versionMismatch is checkVersion's error, unmarked.
func versionMismatch(addr net.Addr, p []byte, newest uint16) (speak uint16, tell bool, err error) {
	v := binary.LittleEndian.Uint16(p)
	switch {
	case v < oldestVersion:
		return 0, true, fmt.Errorf("rpc: %s speaks protocol version %d, older than the oldest this transport speaks, %d: upgrade the package's release at %s", addr, v, oldestVersion, addr)
	case v <= 2 && len(p) != helloLen:
		return 0, false, fmt.Errorf("rpc: the hello from %s is %d bytes, not %d: it does not speak this protocol", addr, len(p), helloLen)
	case v > 2 && len(p) < helloV3Len:
		return 0, false, fmt.Errorf("rpc: the hello from %s, of protocol version %d, is %d bytes, under the %d of every version after 2: it does not speak this protocol", addr, v, len(p), helloV3Len)
	case v > 2:
		if oldest := binary.LittleEndian.Uint16(p[helloLen:]); oldest > newest {
			return 0, true, fmt.Errorf("rpc: %s speaks protocol versions %d to %d, and this transport only %d to %d: upgrade the package's release here, or run a release at %s that still speaks %d", addr, oldest, v, oldestVersion, newest, addr, newest)
		}
	}
	return min(v, newest), false, nil
}

// hello is the handshake's frame of a transport whose newest protocol
// version is newest: a version 2 hello (helloLen bytes) for a transport
// that speaks no newer one, else one that adds the oldest version it
// speaks. The incarnation inst and the bound maxPayload follow the
// version.
func hello(newest uint16, inst uint64, maxPayload int) []byte {
	var b [helloV3Len]byte
	binary.LittleEndian.PutUint16(b[:], newest)
	binary.LittleEndian.PutUint64(b[2:], inst)
	binary.LittleEndian.PutUint32(b[10:], uint32(maxPayload))
	n := helloLen
	if newest > 2 {
		binary.LittleEndian.PutUint16(b[helloLen:], oldestVersion)
		n = helloV3Len
	}
	return wire.AppendFrame(nil, wire.Token(tokHello), b[:n])
}

// handshake exchanges hellos, the dialler first, within the connect
// timeout. It returns the decoder that goes on reading the connection,
// and the peer's incarnation.
func (c *conn) handshake(ctx context.Context, dialler bool) (*wire.Decoder, uint64, error) {
	t := c.t
	if err := c.nc.SetDeadline(t.p.Time.Now().Add(t.cfg.ConnectTimeout)); err != nil {
		return nil, 0, err
	}
	if tc, ok := c.nc.(*tls.Conn); ok {
		if err := tlsHandshake(tc, t.tls, dialler, t.p.Time.Now(), t.cfg.ConnectTimeout); err != nil {
			return nil, 0, err
		}
	}
	frame := hello(t.newest, t.instance, t.cfg.MaxPayload)
	if dialler {
		if _, err := c.nc.Write(frame); err != nil {
			return nil, 0, err
		}
	}
	dec := wire.NewDecoder(counter{c}, t.cfg.MaxPayload)
	tok, p, err := dec.Next()
	var werr *wire.Error
	tc, secured := c.nc.(*tls.Conn)
	switch {
	case secured && dialler && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)):
		// The peer speaks TLS: its handshake with this end completed.
		return nil, 0, closedAfterTLS(tc, err, hasClientCert(t.tls))
	case errors.Is(err, io.EOF):
		return nil, 0, fmt.Errorf("rpc: %s closed the connection during the handshake (if it uses TLS, set Config.TLS here too): %w", c.nc.RemoteAddr(), io.ErrUnexpectedEOF)
	case errors.As(err, &werr) && (werr.Kind == wire.TooLarge || werr.Kind == wire.TooShort):
		// A first frame's length that is out of bounds is most likely no
		// frame at all: not a bound to raise, but a peer that speaks
		// something else (an HTTP server answering "HTTP/1.1 400").
		first := binary.LittleEndian.AppendUint32(nil, uint32(werr.Length))
		return nil, 0, fmt.Errorf("rpc: the first bytes from %s (%q) do not begin a hello frame: what answers there does not speak this protocol, or the bytes were corrupted on the way; check the address: %w", c.nc.RemoteAddr(), first, wire.ErrBadFrame)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, 0, fmt.Errorf("rpc: %s sent no hello within Config.ConnectTimeout (%v): it may be overloaded, or not speak this protocol; check the address, or raise Config.ConnectTimeout: %w", c.nc.RemoteAddr(), t.cfg.ConnectTimeout, err)
	case err != nil:
		if secured {
			if why := tlsFailure(c.nc.RemoteAddr(), err, dialler, hasClientCert(t.tls), t.p.Time.Now()); why != nil {
				return nil, 0, why
			}
		}
		return nil, 0, fmt.Errorf("rpc: the hello from %s: %w", c.nc.RemoteAddr(), err)
	case Token(tok) != tokHello || len(p) < 2:
		return nil, 0, fmt.Errorf("rpc: the first frame from %s is not a hello: it does not speak this protocol", c.nc.RemoteAddr())
	}
	speak, tell, err := checkVersion(c.nc.RemoteAddr(), p, t.newest)
	if err != nil {
		if !dialler && tell {
			// A peer of another version is told this end's, so that its
			// own check says what to upgrade there too.
			_, _ = c.nc.Write(frame)
		}
		return nil, 0, err
	}
	c.proto = speak
	inst := binary.LittleEndian.Uint64(p[2:])
	c.peerMax = int(binary.LittleEndian.Uint32(p[10:]))
	if !dialler {
		if _, err := c.nc.Write(frame); err != nil {
			return nil, 0, err
		}
	}
	if err := c.nc.SetDeadline(time.Time{}); err != nil {
		return nil, 0, err
	}
	if c.sealed != nil {
		c.sealed.buffering = true
	}
	return dec, inst, nil
}

// serve runs the connection until it ends: the writer in the calling
// task, the reader and the monitor in their own.
func (c *conn) serve(ctx context.Context, dec *wire.Decoder) {
	t := c.t
	c.dec = dec
	c.knowCaller()
	name := c.caller.RemoteAddr
	c.readName = "rpc read " + name
	c.startReader()
	monitor := t.spawn(c.ctx, "rpc ping "+name, c.monitor)
	c.close(c.write())
	// The reading may have passed from task to task: wait for its end,
	// not for a task that may be running a handler now.
	_, _, _ = c.readDone.Recv(context.WithoutCancel(ctx))
	if monitor != nil { // nil only once the transport's process was killed
		_ = monitor.Join(context.WithoutCancel(ctx))
	}
}

// A reader is one task's turn at reading a connection. In a simulation,
// a request's handler runs inline in the reader, which saves the task
// switch of handing it to a task of its own: the engine tells the reader
// when the handler first parks (blocks on anything), and then, before
// any other task runs, the reading passes to a new reader in a task of
// its own, while this one stays with its handler. So a handler that
// blocks, even on another request on the same connection, never stops
// the connection; and since parks happen at points the seed decides, so
// do the passes.
type reader struct {
	c        *conn
	handling bool   // it runs a handler
	moved    bool   // the reading passed to another reader
	pass     func() // r.passOn, made once for the engine's hook
}

// startReader starts a reader in a task of its own and makes it the
// connection's reader.
func (c *conn) startReader() {
	r := &reader{c: c}
	r.pass = r.passOn
	c.rd = r
	c.t.spawnQuiet(c.ctx, c.readName, r.run)
}

// passOn hands the reading to a new reader: the engine calls it when
// the reader parks while it runs a handler.
func (r *reader) passOn() {
	if !r.handling {
		return
	}
	r.moved = true
	r.c.startReader()
}

// run reads frames and dispatches them until the connection ends or the
// reading passes to another reader. While a caller has the reading, it
// waits for it back.
func (r *reader) run(context.Context) error {
	c := r.c
	for {
		if c.rstate != readByTask {
			if _, _, err := c.turn.Recv(c.ctx); err != nil {
				// The connection was closed (which cancels c.ctx) while a
				// caller had the reading: there is nothing left to read,
				// and a caller the reading was lent to finds it gone.
				c.lentTo = nil
				c.readDone.TrySend(struct{}{})
				return nil
			}
			continue
		}
		c.fill()
		tok, payload, err := c.dec.Next()
		if err != nil {
			c.readFailed(err)
			c.readDone.TrySend(struct{}{})
			return nil
		}
		c.t.dispatch(c, Token(tok), payload)
		if r.moved {
			return nil
		}
	}
}

// readFailed ends the connection on a read's error.
func (c *conn) readFailed(err error) {
	switch {
	case errors.Is(err, wire.ErrBadFrame):
		c.t.stats.badFrames.Add(1)
		c.t.log.Warn("rpc: a bad frame ends the connection", "remote", c.nc.RemoteAddr(), "err", err)
	case tlsRecordFailed(c.nc, err):
		c.t.stats.badFrames.Add(1)
		err = fmt.Errorf("rpc: a TLS record from %s failed its check (corrupted on the way, or tampered with); the connection ends, and a peer dials again: %w", c.nc.RemoteAddr(), err)
		c.t.log.Warn("rpc: a bad TLS record ends the connection", "remote", c.nc.RemoteAddr(), "err", err)
	}
	c.close(err)
}

// lend lends the reading to the caller of x, whose reply the reader task
// just read: the caller takes it when it runs (takeLent), and reads its next
// reply itself.
func (c *conn) lend(x *call) {
	c.rstate, c.lentTo, x.lent = readLent, x, c
}

// takeLent has the running task, the caller of x, take the reading lent to
// it, unless the connection ended meanwhile. It holds it until it next
// gives up its turn.
func (c *conn) takeLent(x *call) {
	if c.rstate != readLent || c.lentTo != x {
		return
	}
	c.rstate, c.lentTo = readHeld, nil
	c.t.parker.OnPark(c.giveBack)
}

// returnHeld gives the reading back to the reader task when the task
// that holds it gives up its turn: the engine calls it.
func (c *conn) returnHeld() {
	if c.rstate == readHeld {
		c.returnReading()
	}
}

// returnReading gives the reading back to the reader task.
func (c *conn) returnReading() {
	c.rstate = readByTask
	c.turn.TrySend(struct{}{})
}

// write is the writer task: it writes what the reader queues (pongs,
// answers of endpoints not found) and what no caller is writing.
func (c *conn) write() error {
	for {
		if err := c.flush(nil); err != nil {
			return err
		}
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return nil
		}
		if _, _, err := c.wake.Recv(c.ctx); err != nil {
			return nil
		}
	}
}

// send has the calling task write what is queued, unless another task is
// writing already, which then writes it too: a caller's request, a
// handler's reply, go out without a hop through the writer task. The
// reader never calls it, so it never waits on a full send buffer: two
// peers that both wait for the other to read would wait forever.
func (c *conn) send() {
	if err := c.flush(nil); err != nil {
		c.close(err)
	}
}

// sendCall is send for the caller of x, whose request it just queued on
// the peer.
func (c *conn) sendCall(x *call) {
	if err := c.flush(x); err != nil {
		c.close(err)
	}
}

// flush writes everything queued for c, unless another task is writing,
// and returns the write's error. own, when not nil, is the call whose
// caller flushes: when its request is all there is to write, it is
// written from the call's own frame, not copied into the connection's
// buffer first. Only its caller may do that: the frame is the call's,
// reused once the caller is done with it.
func (c *conn) flush(own *call) error {
	c.mu.Lock()
	if c.writing || c.closed {
		c.mu.Unlock()
		return nil
	}
	c.writing = true
	buf := c.take()
	c.mu.Unlock()
	for {
		frames := buf
		if c.peer != nil {
			if own != nil && len(buf) == 0 && c.peer.takeOnly(c, own) {
				frames = own.frame
			} else {
				buf = c.peer.takePending(buf, c)
				frames = buf
			}
			own = nil
		}
		var err error
		if len(frames) > 0 {
			_, err = c.nc.Write(frames)
			if err == nil && c.sealed != nil {
				err = c.sealed.drain()
			}
			c.sent.Add(1)
		}
		c.mu.Lock()
		c.spare = buf[:0]
		if err != nil {
			c.writing = false
			c.mu.Unlock()
			return err
		}
		if len(c.out) == 0 && !c.pingDue {
			c.writing = false
			c.mu.Unlock()
			// What another task queued on the peer after the look above,
			// while this one still held the pen, is this one's to write.
			if c.peer == nil || !c.peer.hasPending(c) {
				return nil
			}
			c.mu.Lock()
			if c.writing || c.closed {
				c.mu.Unlock()
				return nil
			}
			c.writing = true
		}
		buf = c.take()
		c.mu.Unlock()
	}
}

// take returns the frames queued on c, and a ping if one is due, leaving
// the spare buffer to queue more in. c.mu is held.
func (c *conn) take() []byte {
	buf := c.out
	c.out, c.spare = c.spare[:0], nil
	if c.pingDue {
		c.pingDue = false
		buf = wire.AppendFrame(buf, wire.Token(tokPing), nil)
	}
	return buf
}

// monitor ends the connection when nothing arrived for PingTimeout, and
// has the writer ping when a dialled connection was quiet either way for
// PingInterval.
func (c *conn) monitor(ctx context.Context) error {
	t := c.t
	var lastR, lastS uint64
	var silent time.Duration
	for {
		if t.p.Time.Sleep(ctx, t.cfg.PingInterval) != nil {
			return nil
		}
		r, s := c.recvd.Load(), c.sent.Load()
		if r != lastR {
			silent = 0
		} else {
			silent += t.cfg.PingInterval
		}
		if buggifyDrop(ctx) {
			// Connections end now and then in production too: a
			// simulation makes sure the reconnects are exercised.
			c.close(errors.New("rpc: the connection was dropped (buggify)"))
			return nil
		}
		if silent >= t.cfg.PingTimeout {
			c.close(fmt.Errorf("rpc: nothing arrived from %s for %v", c.nc.RemoteAddr(), silent))
			return nil
		}
		if c.peer != nil && (r == lastR || s == lastS) {
			c.mu.Lock()
			c.pingDue = true
			c.mu.Unlock()
			c.kick()
		}
		lastR, lastS = r, s
	}
}

// buggifyDrop reports whether the connection is dropped now, on purpose:
// a buggify site that fires with probability 0.02 each time it is
// reached. It names itself to the simulation (simctx.RPCDropSite), which
// counts its firings among the faults a Run's seeds saw; the name changes
// no draw, so the seeds run as they did under a site of file and line.
//
//go:noinline
func buggifyDrop(ctx context.Context) bool {
	const p = 0.02
	if s, ok := simctx.From(ctx).(simctx.NamedBuggifier); ok {
		return s.BuggifyNamed(callsite.Caller(), simctx.RPCDropSite, p)
	}
	return chaos.BuggifyWithProb(ctx, p)
}
