package simhttp

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/providers"
)

// Server serves HTTP/1.1 with an [http.Handler] on listeners from a
// [providers.Network], one task per connection. Its fields copy
// [http.Server]'s names and meanings; the zero value of each is
// http.Server's default. Set Providers; a Server must not be copied after
// first use.
type Server struct {
	// Providers gives the tasks, the clock and (for ListenAndServe) the
	// network. Required.
	Providers providers.Providers
	// Addr is the address ListenAndServe listens on, ":80" if empty.
	Addr string
	// Handler answers each request; nil means http.DefaultServeMux.
	Handler http.Handler
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration
	// ReadHeaderTimeout bounds reading a request's headers; zero means
	// ReadTimeout.
	ReadHeaderTimeout time.Duration
	// WriteTimeout bounds writing a response, from the end of the
	// request's headers.
	WriteTimeout time.Duration
	// IdleTimeout bounds the wait for the next request on a kept-alive
	// connection; zero means ReadTimeout, and both zero means no limit.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's header; zero means
	// http.DefaultMaxHeaderBytes (1 MB).
	MaxHeaderBytes int
	// ErrorLog receives handler panics and framing errors; nil means the
	// Providers' Logger at level error (or log's standard logger). In a
	// simulation a handler's panic fails the seed instead.
	ErrorLog *log.Logger
	// BaseContext, if set, gives the base context of requests on l. In a
	// simulation it must carry the simulation, as Serve's ctx does: derive
	// it from that ctx, never from context.Background(), or assertions and
	// buggify in handlers do nothing and their waits leave the simulation.
	// Serve panics on a BaseContext that drops it. As net/http's, its end
	// cancels every request's context: to keep only ctx's values, as
	// Serve does without a BaseContext, derive it from
	// context.WithoutCancel(ctx).
	BaseContext func(l net.Listener) context.Context
	// ConnContext, if set, derives the context of a connection's requests
	// from ctx; as for BaseContext, Serve panics on one that drops the
	// simulation ctx carries.
	ConnContext func(ctx context.Context, c net.Conn) context.Context
	// ConnState, if set, is called on each change of a connection's state.
	ConnState func(net.Conn, http.ConnState)

	mu         sync.Mutex               // held only between calls that never block
	listeners  map[*net.Listener]uint64 // in the order Serve took them
	conns      map[*conn]http.ConnState
	onShutdown []func()
	shutdown   bool
	keepAlives bool // set: keep-alives disabled
	nconns     uint64
}

// maxPostHandlerReadBytes is how much of an unread request body the server
// reads, as net/http does, to keep the connection for the next request.
const maxPostHandlerReadBytes = 256 << 10

// bufferBeforeChunking is how much of a response body the server holds
// before it decides on chunking, as net/http's bufferBeforeChunkingSize.
const bufferBeforeChunking = 2048

// aLongTimeAgo is a read deadline in the past, to end a pending read now.
var aLongTimeAgo = time.Unix(1, 0)

// ListenAndServe listens on s.Addr through the Providers' Network and
// serves on it; see [Server.Serve].
func (s *Server) ListenAndServe(ctx context.Context) error {
	if s.isShutdown() {
		return http.ErrServerClosed
	}
	addr := s.Addr
	if addr == "" {
		addr = ":80"
	}
	l, err := s.providers().Network.Listen(ctx, addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, l)
}

// Serve accepts connections on l and serves each in its own task, started
// through the Providers' Task with ctx's values. It returns
// http.ErrServerClosed after Shutdown or Close, or l's Accept error.
//
// Requests' contexts carry ctx's values (the simulation among them) but
// not its end: as net/http's, a request's context ends only when its
// client goes away or Close closes its connection (each noticed once the
// request's body has been read), or when its handler returns. So ctx may be the context of the task that calls Serve, which
// ends as Serve returns at Shutdown: the requests in flight still finish
// gracefully. Cancelling ctx stops nothing (use Shutdown or Close); a
// simulation that kills the process kills the connections' tasks with it.
// A BaseContext or ConnContext that returns a context that can end is
// taken as net/http takes it: its end cancels the requests' contexts.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	p := s.providers()
	if l == nil {
		return errors.New("simhttp: Server.Serve: the listener is nil; pass the one that Providers.Network.Listen returned, or call ListenAndServe")
	}
	if !s.trackListener(&l, true) {
		return http.ErrServerClosed
	}
	defer s.trackListener(&l, false)
	// ctx's end is not the requests': Serve returns at Shutdown, and
	// when ctx is its task's, that ends ctx while the requests drain.
	base := context.WithoutCancel(ctx)
	if s.BaseContext != nil {
		base = s.BaseContext(l)
		if base == nil {
			panic("simhttp: BaseContext returned a nil context; return the listener's base context, such as context.Background() or one derived from it")
		}
		if simctx.From(ctx) != nil && simctx.From(base) == nil {
			panic("simhttp: BaseContext returned a context without the simulation that Serve's ctx carries, so handlers' assertions and buggify would do nothing and their waits would leave the simulation; derive it from the ctx given to Serve (capture it in the closure) instead of context.Background()")
		}
	}
	base = context.WithValue(base, http.ServerContextKey, s)
	for {
		rw, err := l.Accept()
		if err != nil {
			if s.isShutdown() {
				return http.ErrServerClosed
			}
			return err
		}
		cctx := context.WithValue(base, http.LocalAddrContextKey, rw.LocalAddr())
		if s.ConnContext != nil {
			cctx = s.ConnContext(cctx, rw)
			if cctx == nil {
				panic("simhttp: ConnContext returned a nil context; return the context it is given, or one derived from it")
			}
			if simctx.From(base) != nil && simctx.From(cctx) == nil {
				panic("simhttp: ConnContext returned a context without the simulation of the context it is given, so handlers' assertions and buggify would do nothing and their waits would leave the simulation; derive it from the context it is given instead of context.Background()")
			}
		}
		s.mu.Lock()
		s.nconns++
		c := &conn{s: s, p: p, rwc: rw, remote: rw.RemoteAddr().String(), id: s.nconns, acceptedAt: p.Time.Now()}
		s.mu.Unlock()
		c.setState(http.StateNew)
		p.Task.Go(cctx, "http conn from "+c.remote, func(tctx context.Context) error {
			c.serve(cctx, tctx)
			return nil
		})
	}
}

// Shutdown stops the server gracefully: it closes the listeners, starts
// the functions given to RegisterOnShutdown, then closes the idle
// connections and waits on the Providers' clock for the active ones to
// finish their response and close, or for ctx to end, whose error it then
// returns.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	lnerr := s.closeListenersLocked()
	onShutdown := slices.Clone(s.onShutdown)
	s.mu.Unlock()
	for _, f := range onShutdown {
		s.providers().Task.Go(context.WithoutCancel(ctx), "http on shutdown", func(context.Context) error {
			f()
			return nil
		})
	}
	wait := time.Millisecond
	for {
		if s.closeIdleConns() {
			return lnerr
		}
		if err := s.providers().Time.Sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// RegisterOnShutdown registers f to be called as Shutdown begins, in a
// task of its own started through the Providers' Task, as
// http.Server.RegisterOnShutdown calls it on a goroutine of its own. f
// should start the graceful end of what Shutdown does not see (long
// polls, streams, websockets: tell them to finish), and not wait for it.
func (s *Server) RegisterOnShutdown(f func()) {
	s.mu.Lock()
	s.onShutdown = append(s.onShutdown, f)
	s.mu.Unlock()
}

// Close closes the listeners and every connection at once, as
// http.Server.Close does.
func (s *Server) Close() error {
	s.mu.Lock()
	s.shutdown = true
	err := s.closeListenersLocked()
	conns := s.connsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.rwc.Close()
	}
	return err
}

// SetKeepAlivesEnabled controls whether connections are kept for further
// requests; they are by default.
func (s *Server) SetKeepAlivesEnabled(v bool) {
	s.mu.Lock()
	s.keepAlives = !v
	s.mu.Unlock()
}

func (s *Server) providers() providers.Providers {
	if s.Providers.Task == nil || s.Providers.Time == nil {
		panic("simhttp: Server.Providers is not set; set it to the process's providers (providers.Real() in production)")
	}
	return s.Providers
}

func (s *Server) isShutdown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdown
}

func (s *Server) trackListener(l *net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.shutdown {
			return false
		}
		if s.listeners == nil {
			s.listeners = map[*net.Listener]uint64{}
		}
		s.nconns++
		s.listeners[l] = s.nconns
	} else {
		delete(s.listeners, l)
	}
	return true
}

func (s *Server) closeListenersLocked() error {
	var err error
	ls := make([]*net.Listener, 0, len(s.listeners))
	for l := range s.listeners {
		ls = append(ls, l)
	}
	slices.SortFunc(ls, func(a, b *net.Listener) int { return cmp.Compare(s.listeners[a], s.listeners[b]) })
	for _, l := range ls {
		if cerr := (*l).Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// closeIdleConns closes the idle connections and reports whether none is
// left.
func (s *Server) closeIdleConns() bool {
	s.mu.Lock()
	var idle []*conn
	quiet := true
	now := s.providers().Time.Now()
	for _, c := range s.connsLocked() {
		// As net/http: a new connection is taken for idle once it has
		// carried nothing for 5 seconds; before, its first request may
		// be on its way.
		switch st := s.conns[c]; {
		case st == http.StateIdle, st == http.StateNew && now.Sub(c.acceptedAt) >= 5*time.Second:
			idle = append(idle, c)
		default:
			quiet = false
		}
	}
	s.mu.Unlock()
	for _, c := range idle {
		c.rwc.Close()
	}
	return quiet && len(idle) == 0
}

// connsLocked returns the connections in the order they were accepted: a
// simulation must not see map order.
func (s *Server) connsLocked() []*conn {
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *conn) int { return cmp.Compare(a.id, b.id) })
	return out
}

func (s *Server) keepAlivesOff() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keepAlives || s.shutdown
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
		return
	}
	if s.Providers.Logger != nil {
		s.Providers.Logger.Error(fmt.Sprintf(format, args...))
		return
	}
	log.Printf(format, args...)
}

func (s *Server) maxHeaderBytes() int64 {
	if s.MaxHeaderBytes > 0 {
		return int64(s.MaxHeaderBytes)
	}
	return http.DefaultMaxHeaderBytes
}

func (s *Server) idleTimeout() time.Duration {
	if s.IdleTimeout != 0 {
		return s.IdleTimeout
	}
	return s.ReadTimeout
}

// A conn is one accepted connection and the task that serves it.
type conn struct {
	s      *Server
	p      providers.Providers
	rwc    net.Conn
	remote string
	id     uint64 // in the order of acceptance
	// acceptedAt is when the connection was accepted, on the Providers'
	// clock.
	acceptedAt time.Time
	r          *connReader
	br         *bufio.Reader
	bw         *bufio.Writer
	// lingerOnClose: the connection is closed with a request partly
	// unread, so the answer goes out before the close (see closeWriteAndWait).
	lingerOnClose bool
	// hijacked: a handler took the connection (Hijack); the server
	// neither reads, writes nor closes it any more.
	hijacked bool
}

func (c *conn) setState(st http.ConnState) {
	s := c.s
	s.mu.Lock()
	if s.conns == nil {
		s.conns = map[*conn]http.ConnState{}
	}
	if st == http.StateClosed || st == http.StateHijacked {
		delete(s.conns, c)
	} else {
		s.conns[c] = st
	}
	s.mu.Unlock()
	if s.ConnState != nil {
		s.ConnState(c.rwc, st)
	}
}

// errTooLarge is what reading a request reports once its header passed
// MaxHeaderBytes.
var errTooLarge = errors.New("http: request too large")

// serve reads requests from the connection and answers them until the
// connection ends or is not to be kept.
func (c *conn) serve(ctx, tctx context.Context) {
	defer func() {
		if c.hijacked {
			return // the handler's now, to close
		}
		if c.lingerOnClose {
			c.closeWriteAndWait(tctx)
		}
		c.rwc.Close()
		c.setState(http.StateClosed)
	}()
	c.r = &connReader{c: c, tctx: tctx}
	c.br = bufio.NewReaderSize(c.r, 4096)
	c.bw = bufio.NewWriterSize(c.rwc, 4096)
	for first := true; ; first = false {
		if !first {
			// Wait for the next request's first byte under the idle timeout.
			if d := c.s.idleTimeout(); d > 0 {
				c.rwc.SetReadDeadline(c.p.Time.Now().Add(d))
			} else {
				c.rwc.SetReadDeadline(time.Time{})
			}
			if _, err := c.br.Peek(1); err != nil {
				return
			}
		}
		w, err := c.readRequest(ctx)
		c.setState(http.StateActive)
		if err != nil {
			c.answerBadRequest(err)
			return
		}
		if !c.handle(w) {
			return
		}
		c.setState(http.StateIdle)
		if c.s.keepAlivesOff() {
			return
		}
	}
}

// rstAvoidanceDelay is how long a connection closed with a request
// partly unread stays half open, as net/http's: closing it at once would
// reset it, and a reset can discard the answer before the client reads it.
const rstAvoidanceDelay = 500 * time.Millisecond

// closeWriteAndWait sends what is buffered and a FIN, then waits
// rstAvoidanceDelay on the Providers' clock before the caller closes the
// connection, as net/http's server does after an early answer (a 413 to
// an upload it will not read, a 431): the client, still writing, reads
// the answer and the end of the stream before the reset that the close
// of a connection with unread data sends.
func (c *conn) closeWriteAndWait(ctx context.Context) {
	c.bw.Flush()
	if cw, ok := c.rwc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.p.Time.Sleep(ctx, rstAvoidanceDelay)
}

// answerBadRequest writes net/http's answer to a request it cannot read.
func (c *conn) answerBadRequest(err error) {
	const errorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
	var nerr net.Error
	switch {
	case err == errTooLarge:
		const publicErr = "431 Request Header Fields Too Large"
		io.WriteString(c.rwc, "HTTP/1.1 "+publicErr+errorHeaders+publicErr)
		// The rest of the header may still be on its way.
		c.lingerOnClose = true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &nerr):
		// The client went away or timed out: nothing to answer.
	case strings.Contains(err.Error(), "unsupported transfer encoding"):
		const publicErr = "501 Not Implemented"
		io.WriteString(c.rwc, "HTTP/1.1 "+publicErr+errorHeaders+"Unsupported transfer encoding")
	case errors.As(err, new(statusError)):
		var se statusError
		errors.As(err, &se)
		publicErr := fmt.Sprintf("%d %s: %s", se.code, http.StatusText(se.code), se.text)
		io.WriteString(c.rwc, "HTTP/1.1 "+publicErr+errorHeaders+publicErr)
	default:
		publicErr := "400 Bad Request"
		if v, ok := err.(badRequestError); ok {
			publicErr = publicErr + ": " + string(v)
		}
		io.WriteString(c.rwc, "HTTP/1.1 "+publicErr+errorHeaders+publicErr)
	}
}

type badRequestError string

// statusError is a request refused with a status of its own, as net/http's.
type statusError struct {
	code int
	text string
}

func (e statusError) Error() string { return http.StatusText(e.code) + ": " + e.text }

func (e badRequestError) Error() string { return "bad request: " + string(e) }

// readRequest reads the next request's header under the read timeouts and
// makes its response.
func (c *conn) readRequest(ctx context.Context) (*response, error) {
	now := c.p.Time.Now()
	var hdrDeadline, wholeDeadline time.Time
	if d := c.s.ReadHeaderTimeout; d > 0 {
		hdrDeadline = now.Add(d)
	}
	if d := c.s.ReadTimeout; d > 0 {
		wholeDeadline = now.Add(d)
		if hdrDeadline.IsZero() {
			hdrDeadline = wholeDeadline
		}
	}
	c.rwc.SetReadDeadline(hdrDeadline)
	if d := c.s.WriteTimeout; d > 0 {
		defer func() { c.rwc.SetWriteDeadline(c.p.Time.Now().Add(d)) }()
	}
	c.r.setReadLimit(c.s.maxHeaderBytes() + 4096)
	req, err := http.ReadRequest(c.br)
	if err != nil {
		if c.r.hitReadLimit() {
			return nil, errTooLarge
		}
		return nil, err
	}
	c.r.setReadLimit(1<<63 - 1)
	if req.ProtoMajor != 1 {
		return nil, statusError{http.StatusHTTPVersionNotSupported, "unsupported protocol version"}
	}
	if !wholeDeadline.Equal(hdrDeadline) {
		c.rwc.SetReadDeadline(wholeDeadline)
	}
	// http.ReadRequest keeps the first Host header in req.Host: a second
	// one is not seen, and not rejected as net/http's server does.
	switch {
	case req.ProtoAtLeast(1, 1) && req.Host == "" && req.Method != "CONNECT":
		return nil, badRequestError("missing required Host header")
	case strings.ContainsAny(req.Host, " \t\r\n/"):
		return nil, badRequestError("malformed Host header")
	}
	for k, vv := range req.Header {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") {
			return nil, badRequestError("invalid header name")
		}
		for _, v := range vv {
			if strings.ContainsAny(v, "\r\n\x00") {
				return nil, badRequestError("invalid header value")
			}
		}
	}
	req.RemoteAddr = c.remote
	rctx, cancel := context.WithCancel(ctx)
	req = req.WithContext(rctx)
	w := &response{
		c: c, req: req, cancel: cancel,
		handlerHeader: make(http.Header),
		contentLength: -1,
		closeAfter:    req.Close || !req.ProtoAtLeast(1, 1) && !strings.EqualFold(req.Header.Get("Connection"), "keep-alive"),
	}
	if req.ProtoAtLeast(1, 0) && !req.ProtoAtLeast(1, 1) && !w.closeAfter {
		w.keepAlive10 = true
	}
	switch expect := req.Header.Get("Expect"); {
	case strings.EqualFold(expect, "100-continue") && req.ProtoAtLeast(1, 1) && req.ContentLength != 0:
		w.expectContinue = true
	case expect != "" && !strings.EqualFold(expect, "100-continue"):
		w.expectFailed = true
	}
	c.r.cancel = cancel
	w.body = &requestBody{rc: req.Body, w: w}
	if req.Body != http.NoBody {
		req.Body = w.body
	} else {
		w.body.sawEOF = true
	}
	return w, nil
}

// handle runs the handler for w's request and finishes the response. It
// reports whether the connection can carry another request.
func (c *conn) handle(w *response) (keep bool) {
	defer w.cancel()
	if w.expectFailed {
		w.closeAfter = true
		w.WriteHeader(http.StatusExpectationFailed)
		w.finish()
		return false
	}
	if w.body.sawEOF {
		c.r.startBackgroundRead()
	}
	if !c.serveHTTP(w) || c.hijacked {
		return false
	}
	c.r.abortPendingRead()
	w.finish()
	if w.closeAfter || w.werr != nil {
		return false
	}
	return true
}

// serveHTTP calls the handler and recovers its panic as net/http does: the
// panic is logged (but for http.ErrAbortHandler) and the connection is
// closed without the rest of the response. In a simulation the panic
// fails the seed instead of being logged: a log line passes unseen, and
// the client, seeing only a closed connection, may well retry. It
// reports false on a panic.
func (c *conn) serveHTTP(w *response) (ok bool) {
	defer func() {
		if ok {
			return
		}
		r := recover()
		if r == nil {
			return // runtime.Goexit (a t.FailNow in the handler): let it go on
		}
		if providers.Unwinding(r) {
			panic(r)
		}
		if r != http.ErrAbortHandler {
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			if !c.reportPanic(w.req, r, buf) {
				c.s.logf("http: panic serving %v: %v\n%s", c.remote, r, buf)
			}
		}
		c.r.abortPendingRead()
	}()
	h := c.s.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	if w.req.RequestURI == "*" && w.req.Method == "OPTIONS" {
		h = globalOptionsHandler{}
	}
	h.ServeHTTP(w, w.req)
	return true
}

// reportPanic fails the simulation req's context carries, if any, with
// the handler's panic r, whose goroutine's stack is stack. It reports
// whether a simulation took it; outside one it does nothing.
func (c *conn) reportPanic(req *http.Request, r any, stack []byte) bool {
	path := req.URL.Path
	if path == "" {
		path = req.RequestURI
	}
	return simctx.ReportPanic(req.Context(), r, stack, "simhttp: handler panic serving %s %s to %s: %v", req.Method, path, c.remote, r)
}

type globalOptionsHandler struct{}

func (globalOptionsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "0")
	if r.ContentLength != 0 {
		io.Copy(io.Discard, io.LimitReader(r.Body, 256<<10))
	}
}

// connReader sits under the connection's bufio.Reader: it limits how much
// a request's header may take, and runs the background read that notices
// a client going away while its request is handled (net/http's connReader).
type connReader struct {
	c      *conn
	tctx   context.Context
	cancel context.CancelFunc // the current request's

	mu      sync.Mutex // held only between calls that never block
	remain  int64
	hasByte bool
	byteBuf [1]byte
	inRead  bool
	bg      providers.Handle
	aborted bool
}

func (cr *connReader) setReadLimit(n int64) { cr.mu.Lock(); cr.remain = n; cr.mu.Unlock() }
func (cr *connReader) hitReadLimit() bool {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	return cr.remain <= 0
}

func (cr *connReader) Read(p []byte) (int, error) {
	cr.mu.Lock()
	if cr.inRead {
		cr.mu.Unlock()
		panic("simhttp: Read of a connection while its background read runs")
	}
	if cr.remain <= 0 {
		cr.mu.Unlock()
		return 0, io.EOF
	}
	if len(p) == 0 {
		cr.mu.Unlock()
		return 0, nil
	}
	if int64(len(p)) > cr.remain {
		p = p[:cr.remain]
	}
	if cr.hasByte {
		p[0] = cr.byteBuf[0]
		cr.hasByte = false
		cr.remain--
		cr.mu.Unlock()
		return 1, nil
	}
	cr.inRead = true
	cr.mu.Unlock()
	n, err := cr.c.rwc.Read(p)
	cr.mu.Lock()
	cr.inRead = false
	cr.remain -= int64(n)
	cr.mu.Unlock()
	return n, err
}

// startBackgroundRead reads one byte in its own task while the handler
// runs, so that a client that closes or resets its end cancels the
// request's context.
func (cr *connReader) startBackgroundRead() {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if cr.inRead || cr.hasByte {
		return
	}
	cr.inRead = true
	cancel := cr.cancel
	cr.c.rwc.SetReadDeadline(time.Time{})
	cr.bg = cr.c.p.Task.Go(cr.tctx, "http background read from "+cr.c.remote, func(context.Context) error {
		n, err := cr.c.rwc.Read(cr.byteBuf[:])
		cr.mu.Lock()
		defer cr.mu.Unlock()
		if n == 1 {
			cr.hasByte = true
		}
		var ne net.Error
		if !(cr.aborted && errors.As(err, &ne) && ne.Timeout()) && err != nil {
			cancel()
		}
		cr.aborted = false
		cr.inRead = false
		return nil
	})
}

// abortPendingRead ends the background read, if one runs, and waits for
// its task.
func (cr *connReader) abortPendingRead() {
	cr.mu.Lock()
	h := cr.bg
	cr.bg = nil
	if h == nil {
		cr.mu.Unlock()
		return
	}
	cr.aborted = cr.inRead
	cr.mu.Unlock()
	cr.c.rwc.SetReadDeadline(aLongTimeAgo)
	h.Join(context.WithoutCancel(cr.tctx))
	cr.c.rwc.SetReadDeadline(time.Time{})
	cr.mu.Lock()
	cr.aborted = false
	cr.mu.Unlock()
}

// requestBody is a request's Body as the handler sees it: it sends the
// 100 Continue an Expect asked for before the first read, and starts the
// background read once the body has been read to its end.
type requestBody struct {
	rc     io.ReadCloser
	w      *response
	sawEOF bool
	closed bool
}

func (b *requestBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.sawEOF {
		return 0, io.EOF
	}
	w := b.w
	if w.expectContinue && !w.wroteContinue && !w.headerSent {
		w.wroteContinue = true
		w.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		w.c.bw.Flush()
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.sawEOF = true
		w.c.r.startBackgroundRead()
	}
	return n, err
}

func (b *requestBody) Close() error {
	b.closed = true
	return nil
}

// discard reads what is left of the body, at most max bytes, and reports
// whether it reached the end.
func (b *requestBody) discard(max int64) bool {
	if b.sawEOF {
		return true
	}
	if b.w.expectContinue && !b.w.wroteContinue {
		// The client may wait for our word before it sends the body, so
		// the connection cannot be kept; or it may be sending it all the
		// same (simhttp's Transport does, and net/http's without an
		// ExpectContinueTimeout), and a close at once would reset the
		// connection under it before it reads the answer. So the close
		// lingers, as after any answer to a request partly unread.
		b.w.c.lingerOnClose = true
		return false
	}
	switch _, err := io.CopyN(io.Discard, b.rc, max+1); err {
	case io.EOF:
	case nil:
		// More than max is left: the client may still be sending it.
		b.w.c.lingerOnClose = true
		return false
	default:
		return false
	}
	b.sawEOF = true
	return true
}
