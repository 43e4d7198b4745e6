package rpc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/providers"
)

// Endpoint is the address of a served endpoint that takes requests of type
// Req and answers with Resp: plain data, which can itself travel in a
// message (a server hands out the endpoints of its parts; a client keeps
// them). The transport is passed at each call.
type Endpoint[Req, Resp any] struct {
	Addr  string // the serving transport's address, host:port
	Token Token
}

// At returns the endpoint at tok of the transport at addr: how a client
// names a well-known endpoint, rpc.At[Req, Resp](addr, rpc.WellKnown(1)).
func At[Req, Resp any](addr string, tok Token) Endpoint[Req, Resp] {
	return Endpoint[Req, Resp]{Addr: addr, Token: tok}
}

func (e Endpoint[Req, Resp]) String() string { return e.Token.String() + "@" + e.Addr }

// Handler answers a request. A returned error reaches the caller as a
// [*RemoteError], which carries its message and those of the errors it
// wraps (errors.Is matches them by message). A reply the transport
// cannot send (it does not encode, or is larger than a frame) reaches
// the caller as [ErrReplyLost]: the handler ran, and its reply is gone.
// An error that matches [ErrBrokenPromise] breaks the promise instead,
// as if the handler had returned without replying; so does one that
// matches the error or the cause of the transport's context once it has
// ended (the transport is closing, as its process stops), which is no
// answer to the request. The end of the caller's deadline, which ctx
// carries too, is no close: an error it causes is an answer, which
// nobody may be waiting for. Once the caller is gone (ctx's cause
// matches [ErrCallerGone]) or gave up on the request (ctx's cause
// matches [ErrCallerCanceled]), whatever the handler returns is
// dropped, quietly: no reply can reach it, or none is wanted.
type Handler[Req, Resp any] func(ctx context.Context, req Req) (Resp, error)

// Serve serves h at tok on tr and returns the endpoint. Each request runs
// h in a task of its own. Its context carries the request's caller
// ([CallerOf]) and, when the caller's context had a deadline, that
// deadline: the time the caller had left, from the request's arrival on
// this server's clock (see docs/rpc.md, "Deadlines travel"), so that the
// handler's nested calls inherit it. It ends at that deadline, when the
// transport closes or its context ends (its process stopping), and when
// the connection the request came on closes or fails, since no reply
// could reach the caller then (its cause matches [ErrCallerGone]), and
// when the caller gives up on the request before its reply (its
// context cancelled, or ended before its deadline): the caller's
// transport tells the server, and the cause matches
// [ErrCallerCanceled]. Close gives a cause of its own, matching
// [ErrClosed], only to a request's handler; the end of the transport's
// context gives [context.Canceled]. A request whose caller's context
// can end before the caller's transport does has a context of its own,
// which ends too as h returns; any other runs in its connection's, made
// once, which does not (see docs/rpc.md, "When the caller cancels"). A
// Send's handler, which no caller waits on, is not cancelled by its
// connection's end, and has nothing to cancel. The handler's return is
// the reply; the tasks are reused, up to 16 of them waiting for work per
// endpoint. (In a simulation h runs in the connection's reader until it
// first blocks, and the reading then moves to a new task: the same
// behaviour, one task switch fewer per request.) A handler that panics
// breaks the promise: the caller gets ErrBrokenPromise, and the panic and
// its stack are logged, or, in a simulation, fail the seed.
//
// Serve fails with ErrTokenInUse when tok is served already, and with
// ErrClosed on a closed transport. A transport that listens answers
// ErrEndpointNotFound to requests for tokens it does not serve, except
// that for [Config.ServeGrace] (a second by default) after NewTransport
// it holds those for well-known tokens, and Serve hands them to h: serve
// the well-known endpoints right after NewTransport, before anything
// that waits.
func Serve[Req, Resp any](tr *Transport, tok Token, h Handler[Req, Resp]) (Endpoint[Req, Resp], error) {
	if tr == nil {
		return Endpoint[Req, Resp]{}, nilTransport("Serve")
	}
	if h == nil {
		return Endpoint[Req, Resp]{}, fmt.Errorf("rpc: serve %v: the handler is nil; pass the function that answers the requests, or read them with ServeStream", tok)
	}
	s := &server[Req, Resp]{t: tr, tok: tok, h: h, name: handlerName(tok, h), mu: mutex{off: tr.sim}}
	if err := tr.register(tok, s); err != nil {
		return Endpoint[Req, Resp]{}, err
	}
	return Endpoint[Req, Resp]{Addr: tr.Addr(), Token: tok}, nil
}

// handlerName names the tasks that run h at tok on the timeline: by the
// token, and by the function when h is a named function or method, so
// that a timeline of a server of many endpoints reads which one ran
// ("rpc handler wellknown/1 (*lockServer).acquire"). A function literal's
// compiler-made name (TestX.func1) would say nothing: it is left out.
func handlerName(tok Token, h any) string {
	name := "rpc handler " + tok.String()
	f := runtime.FuncForPC(reflect.ValueOf(h).Pointer())
	if f == nil {
		return name
	}
	fn := f.Name() // path/to/pkg.(*T).method-fm
	fn = fn[strings.LastIndexByte(fn, '/')+1:]
	fn = strings.TrimSuffix(fn[strings.IndexByte(fn, '.')+1:], "-fm")
	if fn == "" || strings.Contains(fn, ".func") || strings.HasPrefix(fn, "func") {
		return name
	}
	return name + " " + fn
}

// Unserve stops serving tok: requests that arrive later are answered
// ErrEndpointNotFound (a well-known token's, in the transport's first
// [Config.ServeGrace], once the grace is over, unless tok is served again
// meanwhile), whose message says that the token was unserved; handlers
// running go on.
func Unserve(tr *Transport, tok Token) {
	if tr == nil {
		panic(nilTransport("Unserve"))
	}
	tr.mu.Lock()
	r := tr.endpoints[tok]
	tr.mu.Unlock()
	if s, ok := r.(interface{ closeStream() }); ok {
		s.closeStream()
		return
	}
	if _, ok := r.(*call); !ok && r != nil {
		tr.unregister(tok, r)
	}
}

// server is a served endpoint: a handler, or a stream.
type server[Req, Resp any] struct {
	t      *Transport
	tok    Token
	h      Handler[Req, Resp]
	name   string
	stream *Stream[Req, Resp]
	// inlineName is name with the transport's process first, the name of
	// a reader that runs the handler inline (in a simulation).
	inlineName string

	mu   mutex
	idle []*worker[Req, Resp] // handler tasks waiting for a request
}

// maxIdle bounds the handler tasks an endpoint keeps waiting for work.
const maxIdle = 16

// A worker is a task that runs the handler for one request after
// another, so that a request does not start a task of its own unless all
// are busy. It keeps the request, the reply and the promise of the one it
// runs, so that a request costs no allocation of its own: the codec gets
// pointers into the worker. In a simulation, where handlers run inline in
// their connection's reader, a worker is that storage alone, with no task
// (and no wake).
type worker[Req, Resp any] struct {
	wake *providers.Chan[struct{}]
	req  msgBox[Req]
	resp msgBox[Resp]
	pr   promise
	// deadline is the caller's, on this server's clock: the time the
	// caller had left, from the request's arrival; zero for none.
	deadline time.Time
}

// worker takes an idle worker, or makes one not yet started (fresh).
func (s *server[Req, Resp]) worker() (w *worker[Req, Resp], fresh bool) {
	s.mu.Lock()
	if n := len(s.idle); n > 0 {
		w := s.idle[n-1]
		s.idle[n-1] = nil
		s.idle = s.idle[:n-1]
		s.mu.Unlock()
		return w, false
	}
	s.mu.Unlock()
	w = &worker[Req, Resp]{pr: promise{t: s.t, from: s.tok, mu: mutex{off: s.t.sim}}}
	w.req.init(s.t)
	w.resp.init(s.t)
	if s.t.parker == nil {
		w.wake = providers.NewChan[struct{}](s.t.p.Task, 1)
	}
	return w, true
}

// idled puts w back on the idle list, unless the list is full; it
// reports whether it did.
func (s *server[Req, Resp]) idled(w *worker[Req, Resp]) bool {
	s.mu.Lock()
	ok := len(s.idle) < maxIdle
	if ok {
		s.idle = append(s.idle, w)
	}
	s.mu.Unlock()
	return ok
}

// run has w handle the request it holds: a fresh worker starts its task,
// an idle one is woken.
func (s *server[Req, Resp]) run(w *worker[Req, Resp], fresh bool) {
	if !fresh {
		w.wake.TrySend(struct{}{})
		return
	}
	s.t.spawn(s.t.ctx, s.name, func(ctx context.Context) error {
		for {
			s.handle(ctx, w)
			if !s.idled(w) {
				return nil
			}
			if _, _, err := w.wake.Recv(ctx); err != nil {
				return nil
			}
		}
	})
}

func (s *server[Req, Resp]) receive(c *conn, _ Token, payload []byte) {
	s.take(c, payload, time.Time{})
}

// receiveHeld is receive for a frame held until the endpoint was served
// (see Transport.hold), handed over by the task that served it, which is
// no connection's reader; it arrived at arrived.
func (s *server[Req, Resp]) receiveHeld(c *conn, payload []byte, arrived time.Time) {
	s.take(c, payload, arrived)
}

// take takes a request or a message that arrived on c. A frame held
// until the endpoint was served has its arrival, arrived (zero for one
// that arrives now): the running task is not c's reader (receiveHeld),
// so in a simulation the handler then runs in a task of its own, not
// inline.
func (s *server[Req, Resp]) take(c *conn, payload []byte, arrived time.Time) {
	t := s.t
	if len(payload) == 0 {
		return
	}
	held := !arrived.IsZero()
	var tok Token
	var body []byte
	var deadline time.Time
	kind := payload[0]
	cancelable := kind == kindRequestCancelable || kind == kindRequestByCancelable
	if cancelable && c.proto < cancelVersion {
		kind = 0 // a connection of version 2 has no such kind
	}
	switch {
	case (kind == kindRequest || kind == kindRequestCancelable) && len(payload) >= 17:
		tok = Token(payload[1:17])
		body = payload[17:]
	case (kind == kindRequestBy || kind == kindRequestByCancelable) && len(payload) >= 25:
		tok = Token(payload[1:17])
		// The time left counts from the arrival, on this server's clock
		// (the clocks of the two ends need not agree), however long the
		// request was held.
		// A nanosecond is the budget of a caller whose deadline had
		// passed (Transport.budget): it is spent, and no handler starts.
		left := time.Duration(min(binary.LittleEndian.Uint64(payload[17:]), math.MaxInt64))
		if left <= 1 {
			left = 0
		}
		if !held {
			arrived = t.p.Time.Now()
		}
		deadline = arrived.Add(left)
		body = payload[25:]
	case kind == kindSend:
		body = payload[1:]
	default:
		t.stats.orphans.Add(1)
		return
	}
	if s.stream != nil {
		pr := &promise{t: t, c: c, tok: tok, from: s.tok, inReader: true, mu: mutex{off: t.sim}}
		if cancelable {
			pr.track(time.Time{}) // a stream's requests carry no deadline
		}
		var req Req
		if err := t.cfg.Codec.Decode(body, &req); err != nil {
			s.undecodable(pr, err)
			return
		}
		s.stream.deliver(&Request[Req, Resp]{Req: req, p: pr})
		return
	}
	w, fresh := s.worker()
	var zero Req
	w.req.v = zero
	// The promise's transport, endpoint and mutex stay from the last.
	w.pr.c, w.pr.tok, w.pr.inReader, w.pr.done = c, tok, false, false
	w.pr.ctx, w.pr.cancel, w.pr.canceled, w.pr.timed = nil, nil, false, false
	if cancelable {
		// Before the next frame is read, which may be its cancel.
		w.pr.track(deadline)
	}
	w.deadline = deadline
	if err := w.req.decode(t, body); err != nil {
		w.req.v = zero
		w.pr.inReader = true
		s.undecodable(&w.pr, err)
		if !fresh || s.t.parker != nil {
			s.idled(w)
		}
		return
	}
	switch {
	case s.t.parker == nil:
		s.run(w, fresh)
	case c.rstate == readByCaller || held:
		// A caller reads for its reply, and cannot hand its reading on
		// should the handler block (or the running task does not read c
		// at all): the handler gets a task of its own, unless the
		// transport's process was killed, when nothing serves.
		if s.t.spawn(s.t.ctx, s.name, func(ctx context.Context) error {
			s.handle(ctx, w)
			s.idled(w)
			return nil
		}) == nil {
			w.pr.breakPromise()
			s.idled(w)
		}
	default:
		s.inline(c, w)
	}
}

// inline runs the handler on w's request in the connection's reader,
// which is the running task; if the handler parks, the reading passes to
// a new reader (see reader), and this task ends once it has answered.
func (s *server[Req, Resp]) inline(c *conn, w *worker[Req, Resp]) {
	r := c.rd
	r.handling = true
	pk := s.t.parker
	pk.OnPark(r.pass)
	// The reader is named for the handler while it runs one, as the task
	// of its own would be, so that the timeline tells which endpoint
	// did what; the name is made once per endpoint.
	if s.inlineName == "" {
		s.inlineName = strings.TrimSuffix(pk.TaskName(), c.readName) + s.name
	}
	pk.SetTaskName(&s.inlineName)
	s.handle(s.t.ctx, w)
	r.handling = false // the reader's next park, in its read, passes nothing
	if !r.moved {
		pk.SetTaskName(nil)
	}
	s.idled(w)
}

// undecodable answers a request that does not decode.
func (s *server[Req, Resp]) undecodable(pr *promise, err error) {
	s.t.log.Warn("rpc: a request does not decode", "token", s.tok, "err", err)
	if pr.settle() {
		pr.queueText(kindUndecodable, err.Error())
	}
}

// reportPanic fails the simulation ctx carries, if any, with the
// handler's panic r, whose goroutine's stack is stack, as it ran the
// request of pr, and reports whether a simulation took it. A log line
// would pass unseen in a seed that passes, and the caller, seeing only a
// broken promise, may well retry.
func (s *server[Req, Resp]) reportPanic(ctx context.Context, pr *promise, r any, stack []byte) bool {
	caller := "its caller gets ErrBrokenPromise"
	if pr.tok.IsZero() {
		caller = "the request came by Send, which no caller waits on"
	}
	return simctx.ReportPanic(ctx, r, stack, "%s panicked: %v; %s", s.name, r, caller)
}

// handle runs the handler on w's request and answers w's promise.
func (s *server[Req, Resp]) handle(ctx context.Context, w *worker[Req, Resp]) {
	pr := &w.pr
	hctx := pr.handlerCtx() // none is made per request
	if !w.deadline.IsZero() && !w.deadline.After(s.t.p.Time.Now()) || hctx.Err() != nil {
		// The caller's deadline has passed, or its connection ended
		// before the handler could start: it waits no more here, and a
		// handler would start with its budget spent, or for nobody.
		w.req.v = *new(Req)
		pr.breakPromise()
		return
	}
	returned := false
	defer func() {
		if returned {
			return
		}
		r := recover()
		if providers.Unwinding(r) {
			panic(r) // the process is being killed: nothing reaches the world
		}
		if r != nil {
			stack := debug.Stack()
			if !s.reportPanic(ctx, pr, r, stack) {
				s.t.log.Error("rpc: a handler panicked; its promise is broken", "token", s.tok, "panic", r, "stack", string(stack))
			}
		}
		pr.breakPromise()
	}()
	req := w.req.v
	var zeroReq Req
	w.req.v = zeroReq
	switch {
	case pr.timed:
		// The request's own context has the deadline (track); ended
		// here when the handler returns. A crash that kills the handler
		// ends it through its parent, the connection's, instead: a
		// crashed task's deferred cancel does nothing.
		defer pr.cancel(nil)
	case !w.deadline.IsZero():
		var cancel context.CancelFunc
		hctx, cancel = s.t.p.Time.WithDeadline(hctx, w.deadline)
		defer cancel()
	}
	resp, err := s.h(hctx, req)
	returned = true
	switch {
	case err == nil:
		w.resp.v = resp
		pr.reply(&w.resp)
		var zero Resp
		w.resp.v = zero
	case errors.Is(err, ErrBrokenPromise), endedBy(ctx, err):
		pr.breakPromise()
	default:
		pr.fail(err)
	}
}

// endedBy reports whether err is ctx's own end, its error or its cause: a
// handler that returns it stopped because the transport is closing, which
// says nothing of the request, where a RemoteError would say it was
// handled and refused.
func endedBy(ctx context.Context, err error) bool {
	done := ctx.Err()
	return done != nil && (errors.Is(err, done) || errors.Is(err, context.Cause(ctx)))
}

// promise is a reply owed: to the reply token tok, on the connection the
// request came on. A zero tok is a Send's: nothing is owed.
type promise struct {
	t    *Transport
	c    *conn
	tok  Token
	from Token
	// inReader is set while the connection's reader holds the promise:
	// an answer then goes through the writer task, which the reader must
	// never wait for.
	inReader bool
	// ctx is the request's own context, made (track) for a request its
	// caller may cancel: it ends at the caller's cancel, or as the
	// request is answered; cancel ends it. Both are nil for a request
	// whose handler runs in its connection's context.
	ctx    context.Context
	cancel context.CancelCauseFunc
	// timed: ctx has the caller's deadline too, where a simulation's
	// clock made it one context (track).
	timed bool
	mu    mutex
	done  bool
	// canceled: the caller gave up on the request, and its answer goes
	// nowhere, as it would for a caller gone.
	canceled bool
}

// queue queues an answer and has it written, unless its caller gave up
// on it.
func (p *promise) queue(kind byte, v appender, failure error) error {
	if p.ctx != nil && p.wasCanceled() {
		return nil
	}
	_, err := p.c.queueMessage(p.tok, kind, v, failure)
	if err != nil {
		return err
	}
	if p.inReader {
		p.c.kick()
	} else {
		p.c.send()
	}
	return nil
}

func (p *promise) settle() bool {
	p.mu.Lock()
	first := !p.done
	p.done = true
	p.mu.Unlock()
	if first && p.ctx != nil {
		p.release()
	}
	return first && !p.tok.IsZero()
}

// track gives p's request a context of its own, under its connection's,
// which the caller's cancel ends (conn.cancelRequest) and which ends as
// the request is answered (release), and has the connection know it by
// its reply token. A request costs this only when its caller can cancel
// it sooner than its connection ends (Transport.cancelable). In a
// simulation the context is one of the world's, which has the caller's
// deadline too (none if zero): one context where package context's
// cancel context and a deadline under it would be two, and their links.
func (p *promise) track(deadline time.Time) {
	c := p.c
	if c.reqParent == nil {
		return
	}
	if cc := p.t.causeClock; cc != nil {
		p.ctx, p.cancel = cc.WithDeadlineCancelCause(c.handlerCtx, deadline)
		p.timed = !deadline.IsZero()
	} else {
		p.ctx, p.cancel = context.WithCancelCause(c.reqParent)
	}
	c.mu.Lock()
	if c.running == nil {
		c.running = make(map[Token]*promise)
	}
	c.running[p.tok] = p
	c.mu.Unlock()
}

// release forgets p's request, answered: a cancel for it changes nothing
// now, and its context ends, as a context of package context's must to
// be let go of.
func (p *promise) release() {
	c := p.c
	c.mu.Lock()
	if c.running[p.tok] == p {
		delete(c.running, p.tok)
	}
	c.mu.Unlock()
	p.cancel(nil)
}

// wasCanceled reports whether the caller gave up on p's request.
func (p *promise) wasCanceled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.canceled
}

func (p *promise) reply(v appender) error {
	if !p.settle() {
		return p.answered()
	}
	if err := p.queue(kindReply, v, nil); err != nil {
		p.t.log.Error("rpc: a reply does not encode; the caller gets ErrReplyLost", "token", p.from, "err", err)
		p.queueText(kindReplyLost, "encode the reply: "+err.Error())
		return fmt.Errorf("rpc: encode the reply: %w", err)
	}
	return nil
}

// queueText queues an answer of kind whose body is msg, cut to fit a
// frame.
func (p *promise) queueText(kind byte, msg string) {
	if room := p.c.maxOut() - 64; len(msg) > room {
		msg = cutToFit(msg, room) + "..."
	}
	_ = p.queue(kind, text(msg), nil)
}

// text is a message's body as it is: an appender of its bytes.
type text string

func (s text) appendTo(_ *Transport, dst []byte) ([]byte, error) { return append(dst, s...), nil }

func (p *promise) fail(err error) error {
	if !p.settle() {
		return p.answered()
	}
	p.queueFailure(err)
	return nil
}

// queueFailure queues err as the answer. An error too large for a frame
// goes as its message alone, and a message too large as its start, so
// that the caller still learns of it rather than waiting for an answer
// that never comes.
func (p *promise) queueFailure(err error) {
	if p.queue(kindRemoteErr, nil, err) == nil {
		return
	}
	msg := err.Error()
	if p.queue(kindRemoteErr, nil, errors.New(msg)) == nil {
		return
	}
	// What fits: the kind, then as much of msg as the note that it was
	// cut leaves room for; a frame too small for the note has "...".
	room := p.c.maxOut() - 1
	note := fmt.Sprintf("... (cut: the error was %d bytes, more than a frame holds)", len(msg))
	if len(note) >= room {
		note = "..."
	}
	if p.queue(kindRemoteErr, nil, errors.New(cutToFit(msg, room-len(note))+note)) != nil {
		p.queue(kindRemoteErr, nil, errors.New("")) // never no answer
	}
}

// cutToFit returns the start of msg that fits in room bytes, whole runes.
func cutToFit(msg string, room int) string {
	if len(msg) <= room {
		return msg
	}
	cut := max(room, 0)
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut]
}

func (p *promise) breakPromise() {
	if p.settle() {
		p.queue(kindBroken, nil, nil)
	}
}

func (p *promise) answered() error {
	if p.tok.IsZero() {
		return nil // a Send's: there is no one to answer
	}
	return ErrAnswered
}

// Stream is an endpoint served by reading its requests, each with the
// promise of its reply, as FoundationDB's RequestStream: one task serves
// many requests, in order, and may answer them later, in any order.
type Stream[Req, Resp any] struct {
	s  *server[Req, Resp]
	ep Endpoint[Req, Resp]

	mu     mutex
	closed bool
	queue  []*Request[Req, Resp]
	ready  *providers.Chan[struct{}]
}

// Request is a request read from a [Stream], with its reply owed. Answer
// it once, with Reply, Fail or Break; a request that is never answered
// keeps its caller waiting until the stream closes, its connection ends
// or the caller gives up: there are no finalizers to notice that it was
// dropped.
type Request[Req, Resp any] struct {
	Req Req
	p   *promise
}

// Reply answers the request with resp. A second answer returns
// ErrAnswered. A reply that does not encode, or is too large, returns
// the error, and the caller gets [ErrReplyLost]. A Send's request needs no answer; answering it does
// nothing.
func (r *Request[Req, Resp]) Reply(resp Resp) error {
	b := &msgBox[Resp]{v: resp}
	b.init(r.p.t)
	return r.p.reply(b)
}

// Fail answers the request with an error: the caller gets a [*RemoteError]
// with its message and those of the errors it wraps.
func (r *Request[Req, Resp]) Fail(err error) error {
	if err == nil {
		return errors.New("rpc: Request.Fail(nil): give the error the caller is to get, or answer with Reply")
	}
	return r.p.fail(err)
}

// Break breaks the promise: the caller gets ErrBrokenPromise.
func (r *Request[Req, Resp]) Break() { r.p.breakPromise() }

// ServeStream serves tok on tr as a stream of requests and returns it.
// Requests queue without bound until read; stop the stream with Close.
func ServeStream[Req, Resp any](tr *Transport, tok Token) (*Stream[Req, Resp], error) {
	if tr == nil {
		return nil, nilTransport("ServeStream")
	}
	st := &Stream[Req, Resp]{ready: providers.NewChan[struct{}](tr.p.Task, 1), mu: mutex{off: tr.sim}}
	st.s = &server[Req, Resp]{t: tr, tok: tok, stream: st, mu: mutex{off: tr.sim}}
	if err := tr.register(tok, st.s); err != nil {
		return nil, err
	}
	st.ep = Endpoint[Req, Resp]{Addr: tr.Addr(), Token: tok}
	return st, nil
}

// Endpoint returns the stream's endpoint.
func (st *Stream[Req, Resp]) Endpoint() Endpoint[Req, Resp] { return st.ep }

// Next returns the next request, waiting for one until ctx is done. After
// Close or Unserve, or when the transport closes, it returns an error
// that matches ErrClosed and says which.
func (st *Stream[Req, Resp]) Next(ctx context.Context) (*Request[Req, Resp], error) {
	for {
		st.mu.Lock()
		if len(st.queue) > 0 {
			r := st.queue[0]
			st.queue[0] = nil
			st.queue = st.queue[1:]
			st.mu.Unlock()
			return r, nil
		}
		closed := st.closed
		st.mu.Unlock()
		if closed {
			return nil, st.closedErr()
		}
		if _, _, err := st.ready.Recv(ctx); err != nil {
			return nil, fmt.Errorf("rpc: Next of %v: %w", st.ep.Token, err)
		}
	}
}

// closedErr is Next's error on a closed stream: ErrClosed itself says
// that the transport closed, which a stream closed alone must not.
func (st *Stream[Req, Resp]) closedErr() error {
	t := st.s.t
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return &streamClosedError{tok: st.ep.Token}
}

func (st *Stream[Req, Resp]) deliver(r *Request[Req, Resp]) {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		r.Break()
		return
	}
	r.p.inReader = false
	st.queue = append(st.queue, r)
	st.mu.Unlock()
	st.ready.TrySend(struct{}{})
}

// Close stops serving the stream's token and breaks the promises of the
// requests not yet read. Requests already read are still theirs to answer.
func (st *Stream[Req, Resp]) Close() { st.s.closeStream() }

func (s *server[Req, Resp]) closeStream() {
	s.t.unregister(s.tok, s)
	st := s.stream
	if st == nil {
		return
	}
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return
	}
	st.closed = true
	q := st.queue
	st.queue = nil
	st.mu.Unlock()
	for _, r := range q {
		r.Break()
	}
	st.ready.TrySend(struct{}{})
}

// Send sends req to the endpoint and returns without waiting: fire and
// forget. The message goes on the peer's unreliable queue, and is dropped
// if the connection ends first, or the queue is full (counted in
// [Stats.Dropped]).
//
//	Send returns   the request was delivered
//	nil            zero or one times
//	an error       zero times (ctx has ended, the transport is closed,
//	               the message does not encode, or it is larger than
//	               Config.MaxPayload); it matches ErrNotSent
func (e Endpoint[Req, Resp]) Send(ctx context.Context, tr *Transport, req Req) error {
	if tr == nil {
		return nilTransport("Send")
	}
	if err := context.Cause(ctx); err != nil {
		return notSent(fmt.Errorf("%s: its context ended before it was queued: %w", callAt("Send", e.Token, e.Addr), err))
	}
	return tr.send(e.Addr, e.Token, req)
}

// TryGetReply sends req once, on the peer's current connection or the next
// one made, and waits for the reply: at most once. Use it where a
// duplicate would do harm and the caller can find out what happened (read
// back the state) or accept not knowing.
//
//	TryGetReply returns          the request was delivered
//	a reply                      exactly once
//	*RemoteError                 exactly once; the handler failed (or
//	                             zero times: the request does not decode,
//	                             and its HandlerRan reports false)
//	ErrReplyLost                 exactly once; the handler replied, and its
//	                             reply could not be sent (it does not
//	                             encode, or is too large)
//	ErrBrokenPromise             exactly once; the handler did not reply
//	ErrMaybeDelivered            zero or one times: the connection ended first
//	ErrNotSent (and the above)   zero times: dropped unsent (no connection
//	                             could be made, the connection ended before
//	                             the request was written, or the queue was
//	                             full)
//	ErrEndpointNotFound          zero times (with ErrNotSent when the
//	                             token is permanently failed)
//	ctx's error (wrapped)        zero or one times
//	ctx's error and ErrNotSent   zero times: it ended before the request
//	                             was written, which is taken out of the
//	                             queue and never goes out
//	ErrClosed and ErrNotSent     zero times: closed before it was written
//	ErrClosed and                zero or one times: closed after it was
//	ErrMaybeDelivered            written, before the reply
//	an encode error, or a        zero times; it matches ErrNotSent
//	request over MaxPayload
//
// A caller whose context ends before its request was written takes the
// request out of the queue, so ErrNotSent is true: sending it again
// cannot deliver it twice.
func (e Endpoint[Req, Resp]) TryGetReply(ctx context.Context, tr *Transport, req Req) (Resp, error) {
	x, stop, err := start(ctx, tr, "TryGetReply", e.Addr, e.Token, &req, modeTry, 0)
	if x != nil {
		err = tr.wait(ctx, x, x.tok, "TryGetReply", e.Addr)
	}
	return finish[Resp](tr, x, stop, err, "TryGetReply", e.Addr, e.Token)
}

// GetReply sends req and waits for the reply, resending the request on
// every new connection to the peer until the reply comes: at least once.
// Like every request, it is written by the calling task when the
// connection is idle, so a caller may wait on a full send buffer before
// it waits for its reply.
// The server may see the request more than once, so its handler must be
// idempotent (or deduplicate by an id in the request).
//
//	GetReply returns             the request was delivered
//	a reply                      one or more times
//	*RemoteError                 one or more times; the handler failed (or
//	                             zero times: the request does not decode,
//	                             and its HandlerRan reports false)
//	ErrReplyLost                 one or more times; the handler replied,
//	                             and its reply could not be sent
//	ErrBrokenPromise             one or more times; a handler did not reply
//	ErrEndpointNotFound          zero or more times (not at the last try);
//	                             with ErrNotSent, zero times: the token is
//	                             permanently failed
//	ErrQueueFull                 zero times; it matches ErrNotSent
//	ctx's error (wrapped)        zero or more times
//	ctx's error and ErrNotSent   zero times: it ended before the request
//	                             was first written on a connection, and
//	                             the request was taken out of the queue
//	ErrClosed and ErrNotSent     zero times: closed before it was written
//	ErrClosed and                zero or more times: closed after it was
//	ErrMaybeDelivered            written, before the reply
//	an encode error, or a        zero times; it matches ErrNotSent
//	request over MaxPayload
func (e Endpoint[Req, Resp]) GetReply(ctx context.Context, tr *Transport, req Req) (Resp, error) {
	x, stop, err := start(ctx, tr, "GetReply", e.Addr, e.Token, &req, modeReliable, 0)
	if x != nil {
		err = tr.wait(ctx, x, x.tok, "GetReply", e.Addr)
	}
	return finish[Resp](tr, x, stop, err, "GetReply", e.Addr, e.Token)
}

// GetReplyUnlessFailedFor is GetReply that gives up when the server has
// failed: when the failure monitor has seen its address unreachable for d
// without a break while the request waited (a failure that began earlier
// counts from the request's start), or when the peer's process restarted
// while it held the request. Then the error matches both ErrBrokenPromise
// and ErrMaybeDelivered, and ErrNotSent too when the request was never
// written: it leaves the queue and never goes out. With a request the
// server never answers, it is the WaitFailure pattern: it returns when the
// server dies.
//
//	GetReplyUnlessFailedFor returns        the request was delivered
//	a reply                                one or more times
//	ErrBrokenPromise and ErrMaybeDelivered zero or more times; the server failed
//	ErrBrokenPromise and ErrNotSent        zero times; the address failed
//	                                       before the request was written
//	the rest                               as GetReply
func (e Endpoint[Req, Resp]) GetReplyUnlessFailedFor(ctx context.Context, tr *Transport, req Req, d time.Duration) (Resp, error) {
	x, stop, err := start(ctx, tr, "GetReplyUnlessFailedFor", e.Addr, e.Token, &req, modeUnlessFailed, d)
	if x != nil {
		err = tr.wait(ctx, x, x.tok, "GetReplyUnlessFailedFor", e.Addr)
	}
	return finish[Resp](tr, x, stop, err, "GetReplyUnlessFailedFor", e.Addr, e.Token)
}

// The three methods that wait for a reply do so in three steps, start,
// Transport.wait and finish, each called from the method itself: the
// caller parks in wait, and a task that resumes returns through each
// frame it parked under.

// start makes the call of req to tok at addr in mode m and sends it. On
// an error x is nil; otherwise the caller waits for x with wait, then
// finishes it.
func start[Req any](ctx context.Context, tr *Transport, method, addr string, tok Token, req *Req, m mode, d time.Duration) (x *call, stop func(), err error) {
	if tr == nil {
		return nil, nil, nilTransport(method)
	}
	if cerr := ctx.Err(); cerr != nil {
		// Its caller has given up already: the request would only run a
		// handler for nobody.
		err := fmt.Errorf("%s: %w", callAt(method, tok, addr), cerr)
		return nil, nil, &notSentError{msg: err.Error() + ": the request was not sent", err: err}
	}
	x, err = tr.newCall(method, addr, tok, m)
	if err != nil {
		return nil, nil, err
	}
	in := box[Req](tr, &x.reqBox)
	in.v = *req
	err = encode(ctx, x, in)
	var zeroReq Req
	in.v = zeroReq
	return x, tr.exchange(x, err, method, addr, d), nil
}

// finish ends the call x to tok at addr that start made and wait waited
// for with the outcome err: it stops the watch that start returned, and
// decodes the reply.
func finish[Resp any](tr *Transport, x *call, stop func(), err error, method, addr string, tok Token) (Resp, error) {
	var resp Resp
	if stop != nil {
		stop()
	}
	if err != nil {
		return resp, err
	}
	out := box[Resp](tr, &x.respBox)
	data := x.reply
	if x.view != nil {
		data = x.view // read by the caller itself, decoded in place
	}
	err = out.decode(tr, data)
	resp = out.v
	out.v = *new(Resp)
	tr.putCall(x)
	if err != nil {
		return resp, fmt.Errorf("%s: decode the reply: %w", callAt(method, tok, addr), err)
	}
	return resp, nil
}

// box returns the box of a T that b holds, or a new one that it then
// holds: a call keeps one box for its request and one for its reply, so
// that messages reach the codec as pointers without an allocation per
// call once the call is reused.
func box[T any](t *Transport, b *any) *msgBox[T] {
	if p, ok := (*b).(*msgBox[T]); ok {
		return p
	}
	p := new(msgBox[T])
	p.init(t)
	*b = p
	return p
}
