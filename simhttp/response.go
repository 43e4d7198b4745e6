package simhttp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// response is the http.ResponseWriter of one request. It frames the body
// as net/http does: a Content-Length when the handler set one or finished
// within the first 2 KiB, chunked otherwise (HTTP/1.1), or the end of the
// connection (HTTP/1.0).
type response struct {
	c      *conn
	req    *http.Request
	body   *requestBody
	cancel func()

	handlerHeader http.Header
	header        http.Header // as sent, a copy taken at WriteHeader
	wroteHeader   bool
	headerSent    bool
	status        int
	contentLength int64 // from the handler's Content-Length, -1 if none
	written       int64
	buf           []byte // body held until the framing is decided
	chunking      bool
	trailers      []string // declared in the Trailer header, canonical

	expectContinue bool
	wroteContinue  bool
	expectFailed   bool
	keepAlive10    bool
	closeAfter     bool
	fullDuplex     bool // EnableFullDuplex: the handler reads the body on after the header
	handlerDone    bool
	werr           error // the first failed write to the connection
}

var (
	_ http.ResponseWriter = (*response)(nil)
	_ http.Flusher        = (*response)(nil)
	_ http.Hijacker       = (*response)(nil)
)

// Hijack hands the connection to the handler, as net/http's does: a
// header already written goes out first, the server stops its read of
// the connection and leaves it to the handler, who closes it. The
// bufio.ReadWriter's reader holds what the client sent past the request.
// The connection is the Network's, so the handler reads and writes it
// through the simulation as any other.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.handlerDone {
		panic("simhttp: Hijack called after the handler returned")
	}
	c := w.c
	if c.hijacked {
		return nil, nil, http.ErrHijacked
	}
	w.expectContinue = false // no 100 Continue on a connection that is the handler's
	if w.wroteHeader {
		if !w.headerSent {
			w.sendHeaderAndHeld()
		}
		if err := c.bw.Flush(); err != nil {
			w.fail(err)
		}
	}
	c.r.abortPendingRead()
	c.hijacked = true
	c.rwc.SetDeadline(time.Time{})
	if c.r.hasByte {
		// The background read's byte goes to the handler with the rest.
		if _, err := c.br.Peek(c.br.Buffered() + 1); err != nil {
			return nil, nil, fmt.Errorf("simhttp: Hijack: reading the byte the server had read: %w", err)
		}
	}
	c.setState(http.StateHijacked)
	return c.rwc, bufio.NewReadWriter(c.br, bufio.NewWriter(c.rwc)), nil
}

func (w *response) Header() http.Header { return w.handlerHeader }

func (w *response) WriteHeader(code int) {
	if w.c.hijacked {
		w.c.s.logf("http: response.WriteHeader on hijacked connection")
		return
	}
	if w.wroteHeader {
		w.c.s.logf("http: superfluous response.WriteHeader call")
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// An informational answer goes out at once; the final one follows.
		if code == http.StatusContinue && (w.wroteContinue || !w.expectContinue) {
			return
		}
		if code == http.StatusContinue {
			w.wroteContinue = true
		}
		fmt.Fprintf(w.c.bw, "HTTP/1.1 %d %s\r\n", code, http.StatusText(code))
		w.handlerHeader.Write(w.c.bw)
		w.c.bw.WriteString("\r\n")
		w.c.bw.Flush()
		return
	}
	w.wroteHeader = true
	w.status = code
	w.header = w.handlerHeader.Clone()
	if cl := w.header.Get("Content-Length"); cl != "" {
		v, err := strconv.ParseInt(cl, 10, 64)
		if err == nil && v >= 0 {
			w.contentLength = v
		} else {
			w.c.s.logf("http: invalid Content-Length of %q", cl)
			w.header.Del("Content-Length")
		}
	}
}

func (w *response) bodyAllowed() bool {
	return !(w.status >= 100 && w.status <= 199 || w.status == http.StatusNoContent || w.status == http.StatusNotModified)
}

func (w *response) Write(p []byte) (int, error) {
	if w.c.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !w.bodyAllowed() {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.contentLength != -1 && w.written > w.contentLength {
		return 0, http.ErrContentLength
	}
	if w.werr != nil {
		return 0, w.werr
	}
	if !w.headerSent {
		w.buf = append(w.buf, p...)
		if len(w.buf) > bufferBeforeChunking {
			w.sendHeaderAndHeld()
		}
		return len(p), w.err()
	}
	w.writeBody(p)
	return len(p), w.err()
}

// WriteString lets io.WriteString skip a copy.
func (w *response) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *response) err() error {
	return w.werr
}

// Flush sends the header and what the body holds so far.
func (w *response) Flush() { w.FlushError() }

// FlushError is Flush that reports the connection's error, for
// http.ResponseController.
func (w *response) FlushError() error {
	if w.c.hijacked {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headerSent {
		w.sendHeaderAndHeld()
	}
	if err := w.c.bw.Flush(); err != nil {
		w.fail(err)
		return err
	}
	return nil
}

// EnableFullDuplex lets the handler read the request's body after it has
// begun to answer, for http.ResponseController, as net/http's HTTP/1
// server does: the server no longer reads what is left of the body when
// it sends the header.
func (w *response) EnableFullDuplex() error {
	w.fullDuplex = true
	return nil
}

// SetReadDeadline sets the connection's read deadline, for
// http.ResponseController; t is on the Providers' clock.
func (w *response) SetReadDeadline(t time.Time) error { return w.c.rwc.SetReadDeadline(t) }

// SetWriteDeadline sets the connection's write deadline, for
// http.ResponseController; t is on the Providers' clock.
func (w *response) SetWriteDeadline(t time.Time) error { return w.c.rwc.SetWriteDeadline(t) }

func (w *response) writeBody(p []byte) {
	if len(p) == 0 || w.req.Method == http.MethodHead || !w.bodyAllowed() {
		return
	}
	bw := w.c.bw
	if w.chunking {
		fmt.Fprintf(bw, "%x\r\n", len(p))
	}
	if _, err := bw.Write(p); err != nil {
		w.fail(err)
	}
	if w.chunking {
		bw.WriteString("\r\n")
	}
}

func (w *response) fail(err error) {
	if w.werr == nil {
		w.werr = err
	}
}

// closeIfBodyLimitHit ends the connection after the answer, as net/http's
// server does, when the handler read the request's body through an
// http.MaxBytesReader that passed its limit (a 413): the rest of the body
// is not read, and the close lingers for the client still sending it.
// net/http's reader tells net/http's server through a method no other
// package's ResponseWriter can have; asked to read nothing, it returns
// its error, once it has one, without reading.
func (w *response) closeIfBodyLimitHit() {
	b := w.req.Body
	if w.closeAfter || w.body.sawEOF || b == nil || b == http.NoBody || b == io.ReadCloser(w.body) || reflect.TypeOf(b) != maxBytesReaderType {
		return
	}
	var tooLarge *http.MaxBytesError
	if _, err := b.Read(nil); errors.As(err, &tooLarge) {
		w.closeAfter, w.c.lingerOnClose = true, true
	}
}

// maxBytesReaderType is the type of http.MaxBytesReader's readers, which
// net/http does not export.
var maxBytesReaderType = reflect.TypeOf(http.MaxBytesReader(nil, nil, 0))

// sendHeaderAndHeld sends the header and the body held until now.
func (w *response) sendHeaderAndHeld() {
	w.sendHeader()
	w.writeBody(w.buf)
	w.buf = nil
}

// sendHeader decides the framing and keep-alive, and writes the status
// line and header.
func (w *response) sendHeader() {
	w.headerSent = true
	h := w.header
	isHEAD := w.req.Method == http.MethodHead
	_, hasTE := h["Transfer-Encoding"]
	// As net/http: a handler that declares trailers, or sets a header
	// with http.TrailerPrefix, gets a chunked answer to carry them,
	// unless it set a Content-Length; the prefixed ones go only in the
	// trailer.
	hasTrailers := false
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			delete(h, k)
			hasTrailers = true
		}
	}
	for _, v := range h["Trailer"] {
		hasTrailers = true
		for k := range strings.SplitSeq(v, ",") {
			if k = http.CanonicalHeaderKey(strings.TrimSpace(k)); k != "" && validTrailer(k) {
				w.trailers = append(w.trailers, k)
			}
		}
	}
	if w.handlerDone && w.contentLength == -1 && w.bodyAllowed() && !hasTE && !hasTrailers && (!isHEAD || len(w.buf) > 0) {
		w.contentLength = int64(len(w.buf))
		h.Set("Content-Length", strconv.Itoa(len(w.buf)))
	}
	w.closeIfBodyLimitHit()
	// Read what the handler left of the request body, a bounded amount,
	// so that the connection can carry the next request.
	// A full-duplex handler reads the body on after the header: it is
	// left for it.
	if !w.body.sawEOF && w.req.ContentLength != 0 && !w.closeAfter && !w.fullDuplex {
		if !w.body.discard(maxPostHandlerReadBytes) {
			w.closeAfter = true
		}
	}
	if strings.EqualFold(h.Get("Connection"), "close") || w.c.s.keepAlivesOff() {
		w.closeAfter = true
	}
	if _, ok := h["Date"]; !ok {
		h.Set("Date", w.c.p.Time.Now().UTC().Format(http.TimeFormat))
	}
	if _, ok := h["Content-Type"]; !ok && w.bodyAllowed() && !hasTE && len(w.buf) > 0 {
		h.Set("Content-Type", http.DetectContentType(w.buf))
	}
	switch {
	case isHEAD || !w.bodyAllowed():
	case hasTE && strings.EqualFold(h.Get("Transfer-Encoding"), "identity"):
		h.Del("Transfer-Encoding")
		w.closeAfter = true
	case w.contentLength != -1 && !hasTE:
	case w.req.ProtoAtLeast(1, 1):
		w.chunking = true
		h.Del("Content-Length")
		h.Set("Transfer-Encoding", "chunked")
	default:
		w.closeAfter = true
		h.Del("Transfer-Encoding")
	}
	if w.status == http.StatusNoContent {
		h.Del("Transfer-Encoding")
		h.Del("Content-Length")
	}
	if w.closeAfter {
		h.Set("Connection", "close")
	} else if w.keepAlive10 {
		h.Set("Connection", "keep-alive")
	}
	bw := w.c.bw
	text := http.StatusText(w.status)
	if text == "" {
		text = "status code " + strconv.Itoa(w.status)
	}
	proto := "HTTP/1.1"
	if !w.req.ProtoAtLeast(1, 1) {
		proto = "HTTP/1.0" // as net/http answers an HTTP/1.0 request
	}
	fmt.Fprintf(bw, "%s %d %s\r\n", proto, w.status, text)
	h.Write(bw)
	bw.WriteString("\r\n")
}

// finish completes the response after the handler returned.
func (w *response) finish() {
	w.handlerDone = true
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headerSent {
		w.sendHeaderAndHeld()
	}
	if w.chunking {
		w.c.bw.WriteString("0\r\n")
		w.finalTrailers().Write(w.c.bw)
		w.c.bw.WriteString("\r\n")
	}
	if w.contentLength != -1 && w.bodyAllowed() && w.req.Method != http.MethodHead && w.written != w.contentLength {
		// Too short: the client would wait for the rest.
		w.closeAfter = true
	}
	if err := w.c.bw.Flush(); err != nil {
		w.fail(err)
	}
	w.closeIfBodyLimitHit()
	if !w.body.sawEOF && !w.closeAfter {
		if !w.body.discard(maxPostHandlerReadBytes) {
			w.closeAfter = true
		}
	}
}

// finalTrailers is the trailer sent after the last chunk, as net/http
// makes it: the values of the declared keys as the handler left them, and
// every header set with http.TrailerPrefix, without it.
func (w *response) finalTrailers() http.Header {
	t := http.Header{}
	for k, vv := range w.handlerHeader {
		if kk, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			t[kk] = vv
		}
	}
	for _, k := range w.trailers {
		for _, v := range w.handlerHeader[k] {
			t.Add(k, v)
		}
	}
	return t
}

// validTrailer reports whether k, canonical, may be sent in a trailer: RFC
// 7230's section 4.1.2 forbids those that frame, route, authenticate or
// make a request conditional, and net/http drops them (httpguts'
// ValidTrailerHeader).
func validTrailer(k string) bool {
	if strings.HasPrefix(k, "If-") {
		return false
	}
	switch k {
	case "Authorization", "Cache-Control", "Connection", "Content-Encoding",
		"Content-Length", "Content-Range", "Content-Type", "Expect", "Host",
		"Keep-Alive", "Max-Forwards", "Pragma", "Proxy-Authenticate",
		"Proxy-Authorization", "Proxy-Connection", "Range", "Realm", "Te",
		"Trailer", "Transfer-Encoding", "Www-Authenticate":
		return false
	}
	return true
}
