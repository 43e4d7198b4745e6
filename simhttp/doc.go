// Package simhttp serves and calls HTTP/1.1 over a [providers.Network], so
// that an existing net/http service (its handlers, its router, its
// *http.Client calls) runs inside a simulation and, unchanged, in
// production over [providers.Real].
//
// A plain [http.Server] or [http.Transport] starts goroutines of its own,
// which a simulation cannot schedule. [Server] serves an [http.Handler]
// with one task per connection, started through the Providers' Task;
// [Transport] is an [http.RoundTripper] that does a round trip in the
// calling task. Both hand back the standard types: handlers see an
// *http.Request and an http.ResponseWriter, clients get an *http.Response.
// [NewClient] returns an *http.Client over a Transport, and
// [TimeoutHandler] is http.TimeoutHandler on the Providers' clock.
//
//	srv := &simhttp.Server{Providers: p, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
//	p.Task.Go(ctx, "http", func(ctx context.Context) error { return srv.Serve(ctx, l) })
//	c := simhttp.NewClient(p)
//	resp, err := c.Get("http://10.0.0.1/items/7")
//
// Parsing is net/http's own (http.ReadRequest, http.ReadResponse,
// Request.Write); the response framing follows net/http's server.
//
// # Supported
//
//   - HTTP/1.1 and HTTP/1.0 (answered in HTTP/1.0; other major versions
//     get 505), keep-alive, pipelined requests read in turn.
//   - Request bodies sized and chunked; Expect: 100-continue (the 100
//     Continue goes out on the handler's first read of the body; a
//     handler that answers without reading it closes the connection
//     after the answer, lingering as below, so that a client sending the
//     body all the same reads the answer; any other Expect gets 417).
//   - Responses framed as net/http frames them: Content-Length when the
//     handler sets it or finishes within 2 KiB, chunked otherwise, the end
//     of the connection for HTTP/1.0; Date and a sniffed Content-Type added;
//     HEAD, 204 and 304 without a body; informational 1xx answers;
//     trailers, declared in the Trailer header or set with
//     http.TrailerPrefix, which make the answer chunked as in net/http
//     (request trailers reach the handler in Request.Trailer); Flush;
//     http.ResponseController's Flush, SetReadDeadline, SetWriteDeadline.
//   - Hijacking (http.Hijacker, http.ResponseController's Hijack), as
//     net/http's: the handler gets the connection, the Network's, and a
//     bufio.ReadWriter holding what the client sent past the request;
//     the server no longer counts the connection (Shutdown and Close
//     leave it to the handler). The Transport hands back the connection
//     of a 101 Switching Protocols answer as its Body, an
//     io.ReadWriteCloser, as net/http's does. So a protocol upgrade, a
//     websocket's, runs in a simulation, with code (a library) that
//     starts no goroutines of its own.
//   - ReadTimeout, ReadHeaderTimeout, WriteTimeout, IdleTimeout and
//     MaxHeaderBytes, on the Providers' clock.
//   - Request.Context() is cancelled when the client closes or resets its
//     end while the handler runs, or when Close closes its connection,
//     each once the body is read (as net/http's), and when the handler
//     returns. It carries the values of Serve's ctx, the simulation
//     among them, but not its end: Serve returns as Shutdown begins, and
//     when ctx is the context of Serve's task, as above, it ends then,
//     while the requests in flight drain as net/http's do.
//   - A body the handler leaves unread: up to 256 KiB is read and dropped
//     to keep the connection, past that the connection is closed. After
//     an http.MaxBytesReader passed its limit the connection is closed
//     as net/http's server closes it, when the handler set r.Body to the
//     reader; one read where the request does not hold it goes unseen
//     (net/http's reader tells only net/http's server), and its body is
//     read and dropped as an unread one. As
//     net/http's, a connection closed with a request partly unread (that
//     body, or a header past MaxHeaderBytes) is shut for writing first
//     and closed 500 ms later on the Providers' clock, so that a client
//     still sending reads the early answer (413, 431) before the reset.
//   - Shutdown (graceful, polling on the Providers' clock; a connection
//     with no request yet is left 5 seconds for its first),
//     RegisterOnShutdown (each function in a task of its own), Close,
//     SetKeepAlivesEnabled, BaseContext, ConnContext, ConnState. In a
//     simulation BaseContext and ConnContext must derive from the context
//     they have (Serve's ctx, captured, or ConnContext's argument): one that
//     returns context.Background() drops the simulation from every
//     request's context, so Serve panics on it and names the fix.
//   - A handler's panic is logged and its connection closed, as net/http
//     does; http.ErrAbortHandler closes it without a log. In a simulation
//     the panic fails the seed instead of being logged, naming the
//     request, the panic and the handler's stack: the connection is
//     closed all the same, and the seed goes on, as after a failed
//     assertion.
//   - Malformed requests get net/http's answers: 400 (with its reason),
//     431 for a header past MaxHeaderBytes, 501 for an unknown transfer
//     encoding.
//   - Transport: a request's body written while the answer is read, so
//     that an answer that comes before the whole body was sent is
//     returned; a pool of kept-alive connections per host
//     (MaxIdleConnsPerHost, IdleConnTimeout, DisableKeepAlives),
//     ResponseHeaderTimeout, MaxResponseHeaderBytes, cancellation by the
//     request's context (a task watches it while the exchange runs);
//     errors as net/http gives them. [Transport.OpenBodies] names the
//     responses whose body was left open.
//   - http.ResponseController's EnableFullDuplex, as net/http's HTTP/1
//     server: the handler reads the request's body on after it began to
//     answer, for a bidirectional stream.
//   - The Transport's transparent gzip, as net/http's: a request with no
//     Accept-Encoding of its own asks for gzip, and a gzip answer is
//     decompressed as it is read (Response.Uncompressed), so a handler's
//     compression middleware takes the path production takes;
//     DisableCompression turns it off.
//   - An idle connection is watched, as net/http's Transport watches it:
//     a task per idle connection reads it, so a server that closes or
//     resets it while it is idle (its IdleTimeout, a restart) takes it
//     out of the pool at once and the next request dials; with
//     IdleConnTimeout set, the watch closes the connection once it has
//     been idle that long, as net/http's idle timer does. Bytes that
//     arrive on an idle connection answer no request: the connection is
//     closed (net/http logs "Unsolicited response received on idle HTTP
//     channel"; the Transport has no log).
//   - Retries as net/http's Transport makes them, on a new connection,
//     when a kept-alive one turns out closed or reset: a request none of
//     which was written, whatever its method, if it has no body or a
//     GetBody (http.NewRequest sets one for a *bytes.Reader, a
//     *bytes.Buffer, a *strings.Reader); a GET, HEAD, OPTIONS or TRACE,
//     or a request with an Idempotency-Key, whose connection ended before
//     the first byte of the answer. A body without GetBody is never sent
//     twice; a retry whose GetBody fails returns GetBody's error. A
//     request that was written and is not sent again gets the read's
//     error, as from net/http: io.EOF for a connection the server closed
//     (it may have acted on the request).
//
// # Not supported
//
//   - TLS and HTTP/2: the Transport refuses https URLs. In production
//     serve TLS with http.Server and call with http.DefaultTransport.
//   - http.Client's Timeout, which runs on the wall clock: bound a request
//     with a context from p.Time.WithTimeout instead.
//   - CONNECT, and proxies (the Transport's Proxy).
//   - http.TimeoutHandler runs the handler on a goroutine of its own under
//     a deadline on the wall clock: in a simulation the handler's first
//     call into it fails the seed, naming TimeoutHandler, and a handler
//     that makes none passes under a deadline that simulated time never
//     reaches. Use [TimeoutHandler], which runs the handler in a task and
//     times it on the Providers' clock.
//   - httputil.ReverseProxy flushes a streamed answer (one without a
//     Content-Length, or text/event-stream), and any answer under a
//     FlushInterval, from a time.AfterFunc timer on the wall clock: in a
//     simulation whether that flush lands inside the seed is a race, so
//     such seeds fail at random and do not replay. With its Transport a
//     simhttp.Transport, FlushInterval zero and upstream answers of known
//     length, it runs as it does in production; proxy a streamed answer
//     with a handler that copies it and calls Flush after each write.
//   - Smaller differences of the handler's side:
//     r.Context().Value(http.ServerContextKey) is the *Server, not an
//     *http.Server; the ResponseWriter is not an io.ReaderFrom, so
//     io.Copy into it copies through a buffer; response headers go out
//     sorted by name, in another order than net/http's, which matters
//     only to byte-exact comparisons.
//   - A second Host header is not rejected (http.ReadRequest keeps the
//     first), and header values are checked less strictly than net/http's.
//   - The Transport does not wait for 100 Continue before sending a body.
//
// In a simulation, a handler that blocks outside it (a raw channel,
// time.Sleep) is caught by the guards, which report its connection's task
// ("http conn from 10.0.0.2:40001") and the handler's stack; one that waits
// forever through it is reported as a deadlock.
package simhttp
