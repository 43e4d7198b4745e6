package simhttp

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// Transport is an [http.RoundTripper] over a [providers.Network]: HTTP/1.1
// without TLS, with kept-alive connections pooled per host, each read by
// a task of its own while it is idle so that a server's close of it is
// noticed there, as net/http's Transport notices it. A round trip
// runs in the caller's task: it writes the request, then reads the
// response's header; a request with a body is written by a task of its
// own meanwhile, as net/http's writes it, so that a server that answers
// before it has read the whole body (a 413) is heard. The response's body
// is read from the connection as the caller reads resp.Body. Its fields
// copy [http.Transport]'s names and meanings. Set Providers; a Transport
// must not be copied after first use.
type Transport struct {
	// Providers gives the network to dial, the clock of the timeouts and
	// the tasks that watch a request's context and an idle connection.
	// Required.
	Providers providers.Providers
	// DisableKeepAlives, if true, closes each connection after one request.
	DisableKeepAlives bool
	// MaxIdleConnsPerHost bounds the idle connections kept per host; zero
	// means http.DefaultMaxIdleConnsPerHost (2).
	MaxIdleConnsPerHost int
	// IdleConnTimeout closes a connection idle for longer: its idle watch
	// closes it when the time has passed, as net/http's idle timer does,
	// so the server sees the close then. Zero means no limit.
	IdleConnTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for a response's header once
	// the request is written; zero means no limit. As net/http's, its
	// error is a net.Error whose Timeout is true, and matches
	// context.DeadlineExceeded under errors.Is.
	ResponseHeaderTimeout time.Duration
	// MaxResponseHeaderBytes bounds a response's header; zero means 10 MB.
	MaxResponseHeaderBytes int64
	// DisableCompression, if true, keeps the Transport from asking for a
	// gzip answer. As net/http's, a request with no Accept-Encoding of
	// its own (and no Range, and not a HEAD) goes out with
	// "Accept-Encoding: gzip", and a gzip answer to it is decompressed as
	// the Body is read, with its Content-Encoding and Content-Length
	// removed and Response.Uncompressed set.
	DisableCompression bool

	mu   sync.Mutex // held only between calls that never block
	idle map[string][]*persistConn
	open map[*bodyEOFSignal]string
}

// NewClient returns an *http.Client whose Transport is a [Transport] over
// p. Its Timeout stays zero: http.Client's Timeout runs on the wall clock,
// so bound requests with a context from p.Time.WithTimeout instead.
func NewClient(p providers.Providers) *http.Client {
	return &http.Client{Transport: &Transport{Providers: p}}
}

// timeoutError is a timeout of the Transport's own, shaped as net/http's.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string   { return e.msg }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

// Is makes errors.Is(err, context.DeadlineExceeded) true, as for
// net/http's: code that tells a timeout from other failures so sees one.
func (e *timeoutError) Is(err error) bool { return err == context.DeadlineExceeded }

// readFromServerError is a read that failed on a kept-alive connection
// before the first byte of the answer (its end, a reset): as net/http, the
// request is sent again on a new connection if it is replayable, and
// otherwise its caller gets err.
type readFromServerError struct{ err error }

func (e readFromServerError) Error() string { return e.err.Error() }
func (e readFromServerError) Unwrap() error { return e.err }

// nothingWrittenError is a request that failed on a connection before
// any byte of it was written (a write met by the reset of a kept-alive
// connection the server closed): as net/http, it is sent again on a new
// connection if it has no body or its body can be had again (GetBody),
// whatever its method, since the server saw none of it.
type nothingWrittenError struct{ error }

func (e nothingWrittenError) Unwrap() error { return e.error }

// errHeaderTimeout is ResponseHeaderTimeout's error. net/http's other
// error of a kept-alive connection, "http: server closed idle connection",
// has no counterpart: it comes from its idle read loop, whose close of a
// connection a request has just taken fails that request, where getIdle
// drops such a connection before a byte is written and takes another.
var errHeaderTimeout = &timeoutError{"net/http: timeout awaiting response headers"}

// RoundTrip sends req and reads the response's header; see
// http.RoundTripper. Its errors are net/http's: the dial's *net.OpError
// (connection refused), the connection's read or write error (a reset),
// ctx's error when req's context ends first, a timeout whose Timeout
// method reports true.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := t.providers()
	closeBody := func() {
		if req.Body != nil {
			req.Body.Close()
		}
	}
	switch {
	case t.MaxResponseHeaderBytes < 0:
		// Every response would end at its first byte, as a bare EOF.
		closeBody()
		return nil, fmt.Errorf("simhttp: Transport.MaxResponseHeaderBytes is %d; give a positive limit in bytes, or zero for 10 MB", t.MaxResponseHeaderBytes)
	case req.URL == nil:
		closeBody()
		return nil, errors.New("http: nil Request.URL")
	case req.URL.Scheme == "https":
		closeBody()
		return nil, errors.New("simhttp: https is not supported: TLS is not simulated; in production use http.DefaultTransport")
	case req.URL.Scheme != "http":
		closeBody()
		return nil, fmt.Errorf("unsupported protocol scheme %q", req.URL.Scheme)
	case req.URL.Host == "":
		closeBody()
		return nil, errors.New("http: no Host in request URL")
	}
	addr := req.URL.Host
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), "80")
	}
	ctx := req.Context()
	for {
		if err := ctx.Err(); err != nil {
			closeBody()
			return nil, err
		}
		pc, reused := t.getIdle(ctx, addr, p.Time.Now())
		if pc == nil {
			c, err := p.Network.Dial(ctx, addr)
			if err != nil {
				closeBody()
				if ctx.Err() != nil {
					// As net/http: the request's end is what ended the
					// dial, whichever shape the dial's error took.
					return nil, context.Cause(ctx)
				}
				return nil, err
			}
			pc = t.newConn(addr, c)
		}
		resp, err := pc.roundTrip(req, reused)
		if err == nil {
			return resp, nil
		}
		if !reused || !shouldRetry(req, err) {
			// As net/http: the connection's own error, unwrapped.
			if nw, ok := err.(nothingWrittenError); ok {
				err = nw.error
			}
			if rerr, ok := err.(readFromServerError); ok {
				err = rerr.err
			}
			return nil, err
		}
		if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
			body, gerr := req.GetBody()
			if gerr != nil {
				// As net/http's rewindBody: GetBody's own error, which
				// says why the request could not be sent again; the
				// connection's is what made it try.
				return nil, gerr
			}
			req = req.Clone(ctx)
			req.Body = body
		}
	}
}

// shouldRetry reports whether req, which failed with err on a kept-alive
// connection, is sent again on a new one, as net/http's
// shouldRetryRequest decides: a request none of which was written, if its
// body (if any) can be had again; a replayable request met by a closed or
// reset connection before the first byte of the answer. A request whose
// body cannot be had again, or that is neither idempotent nor marked with
// an Idempotency-Key and was (partly) written, is not.
func shouldRetry(req *http.Request, err error) bool {
	if _, ok := err.(nothingWrittenError); ok {
		return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	}
	if !replayable(req) {
		return false
	}
	_, ok := err.(readFromServerError)
	return ok
}

// replayable reports whether req may be sent again after a kept-alive
// connection turned out closed, as net/http decides.
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// CloseIdleConnections closes the connections kept for later requests.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	// In order: a simulation must not see map order.
	addrs := slices.Sorted(maps.Keys(idle))
	for _, addr := range addrs {
		for _, pc := range idle[addr] {
			pc.idle = false // its watch, woken by the close, ends
		}
	}
	t.mu.Unlock()
	for _, addr := range addrs {
		for _, pc := range idle[addr] {
			pc.conn.Close()
		}
	}
}

// OpenBodies returns the requests ("GET http://10.0.0.1/x") whose
// response Body was neither read to its end nor closed, sorted: each holds
// a connection. A simulation's check can assert that none is left.
func (t *Transport) OpenBodies() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, what := range t.open {
		out = append(out, what)
	}
	sort.Strings(out)
	return out
}

func (t *Transport) providers() providers.Providers {
	if t.Providers.Task == nil || t.Providers.Time == nil || t.Providers.Network == nil {
		panic("simhttp: Transport.Providers is not set; set it to the process's providers (providers.Real() in production)")
	}
	return t.Providers
}

// getIdle takes the most recently idled connection to addr from the
// pool, or returns nil. A connection it takes leaves its watch: a watch
// that reads is cut short and waited for, and a connection whose watch
// saw the server's close (or a byte no request asked for) as it was taken
// is closed and the next one tried, as net/http's Transport drops it.
func (t *Transport) getIdle(ctx context.Context, addr string, now time.Time) (*persistConn, bool) {
	for {
		t.mu.Lock()
		pcs := t.idle[addr]
		if len(pcs) == 0 {
			t.mu.Unlock()
			return nil, false
		}
		pc := pcs[len(pcs)-1]
		t.idle[addr] = pcs[:len(pcs)-1]
		pc.idle = false
		reading, h := pc.watchReading, pc.watch
		t.mu.Unlock()
		if t.IdleConnTimeout > 0 && now.Sub(pc.idleAt) > t.IdleConnTimeout {
			pc.conn.Close()
			continue
		}
		if reading {
			// A deadline in the past wakes the watch's read; the
			// connection is the request's once the watch has returned
			// (roundTrip clears the deadline).
			pc.conn.SetReadDeadline(aLongTimeAgo)
			if err := h.Join(ctx); err != nil {
				pc.conn.Close()
				continue
			}
			t.mu.Lock()
			dead := pc.watchDead
			t.mu.Unlock()
			if dead {
				pc.conn.Close()
				continue
			}
		}
		return pc, true
	}
}

// putIdle keeps pc for a later request to its host and has it watched,
// or closes it. ctx is the context of the request that has just ended on
// pc, which the watch's task is started with.
func (t *Transport) putIdle(ctx context.Context, pc *persistConn) {
	// Bytes past the answer, which no request asked for, end pc: net/http
	// logs "Unsolicited response received on idle HTTP channel" and
	// closes the connection.
	if pc.br.Buffered() > 0 || !t.pool(ctx, pc) {
		pc.conn.Close()
	}
}

// pool puts pc in the pool and starts its watch, unless keep-alives are
// off or the host has its fill of idle connections.
func (t *Transport) pool(ctx context.Context, pc *persistConn) bool {
	max := t.MaxIdleConnsPerHost
	if max == 0 {
		max = http.DefaultMaxIdleConnsPerHost
	}
	t.mu.Lock()
	defer t.mu.Unlock() // deferred: Go may unwind a killed task
	if t.DisableKeepAlives || len(t.idle[pc.addr]) >= max {
		return false
	}
	if t.idle == nil {
		t.idle = map[string][]*persistConn{}
	}
	pc.idleAt = t.Providers.Time.Now()
	t.idle[pc.addr] = append(t.idle[pc.addr], pc)
	pc.idle = true
	if pc.watchPending {
		return true // a watch started for an earlier spell, not begun yet, takes this one
	}
	if pc.watchFn == nil {
		pc.watchName = "http idle conn to " + pc.addr
		pc.watchFn = func(context.Context) error {
			t.watchIdle(pc)
			return nil
		}
	}
	// Started under mu, which Go does not block on, so that pc.watch is
	// the watch's handle before the watch can begin.
	pc.watchPending, pc.watchDead = true, false
	pc.watch = t.Providers.Task.Go(ctx, pc.watchName, pc.watchFn)
	return true
}

// watchIdle is the task that watches pc while it is idle, as net/http's
// Transport reads every connection it keeps (persistConn's readLoop): a
// server that closes pc while it is idle (its IdleTimeout, a restart) is
// noticed at once, and pc leaves the pool, so that the next request dials
// instead of being written to a closed connection. A byte that arrives is
// no answer to any request, and ends pc too.
func (t *Transport) watchIdle(pc *persistConn) {
	t.mu.Lock()
	pc.watchPending = false
	if !pc.idle {
		t.mu.Unlock()
		return // taken before the watch began
	}
	pc.watchReading = true
	if t.IdleConnTimeout > 0 {
		// As net/http's idle timer (closeConnIfStillIdle): the read ends
		// when the connection has been idle for IdleConnTimeout, and the
		// connection is closed below, so the server sees it closed then.
		// Set under mu, before a getIdle can cut the read short: its
		// deadline in the past must be the last one set.
		pc.conn.SetReadDeadline(pc.idleAt.Add(t.IdleConnTimeout))
	}
	t.mu.Unlock()
	// pc.br holds nothing (putIdle made sure), so the watch reads the
	// connection itself.
	var b [1]byte
	n, err := pc.conn.Read(b[:])
	t.mu.Lock()
	pc.watchReading = false
	if !pc.idle {
		// Taken meanwhile (its taker cut the read short and waits), or
		// closed by CloseIdleConnections: the taker learns whether the
		// read saw anything first.
		var ne net.Error
		pc.watchDead = n > 0 || !errors.As(err, &ne) || !ne.Timeout()
		t.mu.Unlock()
		return
	}
	pc.idle = false
	if pcs := t.idle[pc.addr]; len(pcs) > 0 {
		if i := slices.Index(pcs, pc); i >= 0 {
			t.idle[pc.addr] = slices.Delete(pcs, i, i+1)
		}
	}
	t.mu.Unlock()
	pc.conn.Close()
}

func (t *Transport) newConn(addr string, c net.Conn) *persistConn {
	pc := &persistConn{t: t, addr: addr, conn: c, wmu: providers.NewMutex(t.providers().Task)}
	pc.lr = &limitReader{r: c}
	pc.br = bufio.NewReaderSize(pc.lr, 4096)
	pc.bw = bufio.NewWriterSize(countingWriter{pc}, 4096)
	return pc
}

// countingWriter counts the bytes written to a connection, so that a
// request that failed can tell whether any of it left. It holds the
// connection's wmu while it writes: bytes a Write has handed on may reach
// the server, and its answer or close reach the reader, before that Write
// returns to count them.
type countingWriter struct{ pc *persistConn }

func (w countingWriter) Write(p []byte) (int, error) {
	w.pc.wmu.Lock(context.Background())
	defer w.pc.wmu.Unlock()
	n, err := w.pc.conn.Write(p)
	w.pc.nwrite.Add(int64(n))
	return n, err
}

// written returns how many bytes were written to the connection, once a
// Write under way has returned: the caller has closed the connection, so
// that such a Write returns at once, as net/http's mapRoundTripError waits
// for its write loop. A body still being read for the next Write is not
// waited for.
func (pc *persistConn) written() int64 {
	pc.wmu.Lock(context.Background())
	defer pc.wmu.Unlock()
	return pc.nwrite.Load()
}

// persistConn is one connection to a host, used by one request at a time.
type persistConn struct {
	t      *Transport
	addr   string
	conn   net.Conn
	lr     *limitReader
	br     *bufio.Reader
	bw     *bufio.Writer
	idleAt time.Time
	// The idle watch (see watchIdle), guarded by the Transport's mu: idle
	// while pc is in the pool; watch, the last watch task started, which
	// is pending until it begins and reading while it reads; watchDead,
	// what it tells the getIdle that cut its read short: that the read
	// saw the end, an error or a byte first. watchFn and watchName are
	// made once.
	idle, watchPending, watchReading, watchDead bool
	watch                                       providers.Handle
	watchFn                                     func(context.Context) error
	watchName                                   string
	// nwrite counts the bytes written to conn; the request writer's task
	// adds to it, under wmu, while the caller reads.
	nwrite atomic.Int64
	wmu    *providers.Mutex
}

// limitReader ends reading with io.EOF after n bytes while n >= 0.
type limitReader struct {
	r   io.Reader
	n   int64
	on  bool
	hit bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.on {
		if l.n <= 0 {
			l.hit = true
			return 0, io.EOF
		}
		if int64(len(p)) > l.n {
			p = p[:l.n]
		}
	}
	n, err := l.r.Read(p)
	if l.on {
		l.n -= int64(n)
	}
	return n, err
}

// exchange is one request on a persistConn: what its context watch, its
// request writer and its body share.
type exchange struct {
	mu       sync.Mutex
	done     bool
	canceled error
	watch    providers.Handle
	// writing: a task writes the request while the caller reads the
	// answer; wrote and werr say how it ended.
	writing bool
	wrote   bool
	werr    error
	// written is closed as the writer records how it ended.
	written *providers.Chan[struct{}]
	// answered: the answer's header was read; the header timeout that
	// starts once the request is written no longer applies.
	answered bool
}

// wroteRequest reports whether the whole request was written, so that the
// connection can carry another once the answer is read. As net/http's, it
// waits up to maxWriteWait for a writer still at work, and is false for a
// request whose answer came while it was still being sent.
func (x *exchange) wroteRequest(ctx context.Context, tm providers.Time) bool {
	x.mu.Lock()
	waiting := x.writing && !x.wrote
	x.mu.Unlock()
	if waiting {
		wctx, cancel := tm.WithTimeout(context.WithoutCancel(ctx), maxWriteWait)
		_, _, _ = x.written.Recv(wctx)
		cancel()
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return !x.writing || x.wrote && x.werr == nil
}

// maxWriteWait is how long an answered request's writer has to finish for
// its connection to carry another request: net/http's
// maxWriteWaitBeforeConnReuse.
const maxWriteWait = 50 * time.Millisecond

// writeFailed returns the error of a request writer that failed.
func (x *exchange) writeFailed() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.writing && x.wrote {
		return x.werr
	}
	return nil
}

// finish ends the exchange's watch; it reports ctx's error if the watch
// already acted on it.
func (x *exchange) finish() error {
	x.mu.Lock()
	x.done = true
	err := x.canceled
	x.mu.Unlock()
	if x.watch != nil {
		x.watch.Cancel()
	}
	return err
}

func (pc *persistConn) roundTrip(req *http.Request, reused bool) (*http.Response, error) {
	t := pc.t
	p := t.Providers
	ctx := req.Context()
	x := &exchange{}
	if ctx.Done() != nil {
		// The watch closes the connection when ctx ends first, so that a
		// read or write parked on it returns: net/http's cancellation.
		x.watch = p.Task.Go(ctx, "http request "+req.Method+" "+req.URL.String(), func(wctx context.Context) error {
			providers.Wait(wctx, p.Task)
			if ctx.Err() == nil {
				return nil
			}
			x.mu.Lock()
			act := !x.done
			if act {
				x.canceled = ctx.Err()
			}
			x.mu.Unlock()
			if act {
				pc.conn.Close()
			}
			return nil
		})
	}
	start := pc.nwrite.Load()
	fail := func(err error) (*http.Response, error) {
		pc.conn.Close()
		if cerr := x.finish(); cerr != nil {
			return nil, cerr
		}
		// As net/http's mapRoundTripError: a connection that failed
		// before any of the request left it says so, so that RoundTrip
		// may send the request again whatever its method.
		if pc.written() == start {
			err = nothingWrittenError{err}
		}
		return nil, err
	}
	w := req
	if t.DisableKeepAlives && !req.Close {
		w = req.WithContext(ctx)
		w.Close = true
	}
	// As net/http's: ask for gzip where the caller did not choose, on
	// the request written, not the caller's.
	addedGzip := !t.DisableCompression && req.Header.Get("Accept-Encoding") == "" &&
		req.Header.Get("Range") == "" && req.Method != http.MethodHead
	if addedGzip {
		if w == req {
			w = req.WithContext(ctx)
		}
		w.Header = req.Header.Clone()
		if w.Header == nil {
			w.Header = http.Header{}
		}
		w.Header.Set("Accept-Encoding", "gzip")
	}
	pc.conn.SetDeadline(time.Time{})
	write := func() error {
		err := w.Write(pc.bw)
		if err == nil {
			err = pc.bw.Flush()
		}
		return err
	}
	if req.Body == nil || req.Body == http.NoBody {
		if err := write(); err != nil {
			return fail(err)
		}
		if d := t.ResponseHeaderTimeout; d > 0 {
			pc.conn.SetReadDeadline(p.Time.Now().Add(d))
		}
	} else {
		// As net/http, a request with a body is written while the answer
		// is read: a server may answer (a 413 to an upload past its limit)
		// and close before it reads the whole body, and a client that
		// wrote on would lose that answer to the reset.
		x.writing, x.written = true, providers.NewChan[struct{}](p.Task, 0)
		p.Task.Go(ctx, "http request body "+req.Method+" "+req.URL.String(), func(context.Context) error {
			err := write()
			defer x.written.Close()
			x.mu.Lock()
			x.wrote, x.werr = true, err
			if d := t.ResponseHeaderTimeout; d > 0 && err == nil && !x.answered {
				pc.conn.SetReadDeadline(p.Time.Now().Add(d))
			}
			x.mu.Unlock()
			if err != nil {
				// Wake the reader: the request failed.
				pc.conn.Close()
			}
			return nil
		})
		fail0 := fail
		fail = func(err error) (*http.Response, error) {
			// A read that failed because the write did gives the write's
			// error, as when the write came first.
			if werr := x.writeFailed(); werr != nil {
				err = werr
			}
			return fail0(err)
		}
	}
	max := t.MaxResponseHeaderBytes
	if max == 0 {
		max = 10 << 20
	}
	var resp *http.Response
	var err error
	for {
		pc.lr.on, pc.lr.n, pc.lr.hit = true, max, false
		// As net/http: a connection that ends before the first byte of
		// the answer gives the read's own error (io.EOF, a reset); kept
		// alive from an earlier request, it lets RoundTrip send a
		// replayable request again. One that ends within the answer is
		// a broken connection.
		if _, err := pc.br.Peek(1); err != nil {
			var ne net.Error
			switch {
			case t.ResponseHeaderTimeout > 0 && errors.As(err, &ne) && ne.Timeout():
				err = errHeaderTimeout
			case reused:
				err = readFromServerError{err}
			}
			return fail(err)
		}
		resp, err = http.ReadResponse(pc.br, req)
		if err != nil {
			var ne net.Error
			switch {
			case pc.lr.hit:
				err = fmt.Errorf("net/http: server response headers exceeded %d bytes; aborted", max)
			case t.ResponseHeaderTimeout > 0 && errors.As(err, &ne) && ne.Timeout():
				return fail(errHeaderTimeout)
			}
			return fail(fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", err))
		}
		if resp.StatusCode >= 100 && resp.StatusCode <= 199 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue // an informational answer: the final one follows
		}
		break
	}
	pc.lr.on = false
	x.mu.Lock()
	x.answered = true
	pc.conn.SetReadDeadline(time.Time{})
	x.mu.Unlock()
	if resp.StatusCode == http.StatusSwitchingProtocols && resp.Header.Get("Upgrade") != "" && hasToken(resp.Header["Connection"], "upgrade") {
		// As net/http: the connection is the caller's now, as the
		// Body, an io.ReadWriteCloser; the request's context no longer
		// ends it.
		if cerr := x.finish(); cerr != nil {
			pc.conn.Close()
			return nil, cerr
		}
		body := &switchedBody{ReadWriteCloser: pc.conn}
		if pc.br.Buffered() != 0 { // else a first Read would return 0, nil
			body.br = pc.br
		}
		resp.Body = body
		return resp, nil
	}
	keep := !resp.Close && !w.Close && !t.DisableKeepAlives
	if resp.Body == nil || resp.Body == http.NoBody || req.Method == http.MethodHead {
		if cerr := x.finish(); cerr != nil {
			pc.conn.Close()
			return nil, cerr
		}
		if keep && x.wroteRequest(ctx, p.Time) {
			t.putIdle(ctx, pc)
		} else {
			pc.conn.Close()
		}
		return resp, nil
	}
	b := &bodyEOFSignal{body: resp.Body, pc: pc, x: x, ctx: ctx, keep: keep}
	t.mu.Lock()
	if t.open == nil {
		t.open = map[*bodyEOFSignal]string{}
	}
	t.open[b] = req.Method + " " + req.URL.String()
	t.mu.Unlock()
	resp.Body = b
	if addedGzip && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		resp.Body = &gzipReader{body: b}
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
	}
	return resp, nil
}

// gzipReader is the Body of a gzip answer the Transport asked for: it
// decompresses body as it is read, the decompressor made at the first
// Read, as net/http's is.
type gzipReader struct {
	body io.ReadCloser
	zr   *gzip.Reader
	err  error // the decompressor's error, once it failed to start
}

func (g *gzipReader) Read(p []byte) (int, error) {
	if g.zr == nil {
		if g.err == nil {
			g.zr, g.err = gzip.NewReader(g.body)
		}
		if g.err != nil {
			return 0, g.err
		}
	}
	return g.zr.Read(p)
}

func (g *gzipReader) Close() error { return g.body.Close() }

// bodyEOFSignal is a response's Body: it hands the connection back to the
// pool when read to its end, and closes it when closed before.
type bodyEOFSignal struct {
	body io.ReadCloser
	pc   *persistConn
	x    *exchange
	ctx  context.Context // the request's, for the connection's idle watch
	keep bool
	done bool
	err  error
}

func (b *bodyEOFSignal) Read(p []byte) (int, error) {
	if b.done {
		if b.err != nil {
			return 0, b.err
		}
		return 0, io.EOF
	}
	n, err := b.body.Read(p)
	if err == io.EOF {
		b.end(true)
		if b.err != nil {
			return n, b.err
		}
		return n, io.EOF
	}
	if err != nil {
		b.end(false)
		if b.err != nil {
			return n, b.err
		}
		b.err = err
	}
	return n, err
}

func (b *bodyEOFSignal) Close() error {
	if !b.done {
		b.end(false)
		b.err = errors.New("http: read on closed response body")
	} else if b.err == nil {
		b.err = errors.New("http: read on closed response body")
	}
	return nil
}

func (b *bodyEOFSignal) end(eof bool) {
	b.done = true
	t := b.pc.t
	t.mu.Lock()
	delete(t.open, b)
	t.mu.Unlock()
	if cerr := b.x.finish(); cerr != nil {
		b.err = cerr
		b.pc.conn.Close()
		return
	}
	if eof && b.keep && b.x.wroteRequest(b.ctx, t.providers().Time) {
		t.putIdle(b.ctx, b.pc)
		return
	}
	b.pc.conn.Close()
}

// hasToken reports whether the comma-separated values vv hold token,
// whatever its case.
func hasToken(vv []string, token string) bool {
	for _, v := range vv {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// switchedBody is the Body of a 101 Switching Protocols answer, as
// net/http's: the connection, read first from what the Transport had
// buffered past the answer's header.
type switchedBody struct {
	br *bufio.Reader // used until empty
	io.ReadWriteCloser
}

func (b *switchedBody) Read(p []byte) (int, error) {
	if b.br != nil {
		if n := b.br.Buffered(); len(p) > n {
			p = p[:n]
		}
		n, err := b.br.Read(p)
		if b.br.Buffered() == 0 {
			b.br = nil
		}
		return n, err
	}
	return b.ReadWriteCloser.Read(p)
}
