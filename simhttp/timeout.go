package simhttp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// TimeoutHandler is http.TimeoutHandler on the Providers' clock: it runs h
// in a task of its own, started through p's Task, under a context from
// p.Time.WithTimeout(r.Context(), dt), and answers 503 Service Unavailable
// with msg (or net/http's default page, if msg is empty) if h has not
// returned when dt has passed. As net/http's, it holds h's answer until h
// returns, so h cannot Flush or Hijack; once the time is up, h's Writes
// fail with http.ErrHandlerTimeout (and once the request's context ended,
// with its error), and h should return. A panic of h's
// is raised again in the server's task, as net/http's raises it in the
// server's goroutine.
//
// http.TimeoutHandler itself runs h on a goroutine and times it on the
// wall clock, which a simulation cannot run.
func TimeoutHandler(p providers.Providers, h http.Handler, dt time.Duration, msg string) http.Handler {
	return &timeoutHandler{p: p, h: h, dt: dt, msg: msg}
}

type timeoutHandler struct {
	p   providers.Providers
	h   http.Handler
	dt  time.Duration
	msg string
}

// handlerEnd is how a TimeoutHandler's task ended: h returned, or
// panicked with v.
type handlerEnd struct {
	panicked bool
	v        any
}

func (th *timeoutHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := th.p.Time.WithTimeout(r.Context(), th.dt)
	defer cancel()
	r = r.WithContext(ctx)
	tw := &timeoutWriter{h: make(http.Header), req: r}
	ended := providers.NewChan[handlerEnd](th.p.Task, 1)
	th.p.Task.Go(ctx, "http timeout handler "+r.Method+" "+r.URL.Path, func(context.Context) error {
		returned := false
		defer func() {
			if returned {
				return
			}
			v := recover()
			if v == nil {
				return // runtime.Goexit (a t.FailNow in h): the time runs out
			}
			if providers.Unwinding(v) {
				panic(v)
			}
			ended.TrySend(handlerEnd{panicked: true, v: v})
		}()
		th.h.ServeHTTP(tw, r)
		returned = true
		ended.TrySend(handlerEnd{})
		return nil
	})
	end, _, err := ended.Recv(ctx)
	tw.mu.Lock()
	defer tw.mu.Unlock()
	switch {
	case err == nil && end.panicked:
		panic(end.v)
	case err == nil:
		maps.Copy(w.Header(), tw.h)
		if !tw.wroteHeader {
			tw.code = http.StatusOK
		}
		w.WriteHeader(tw.code)
		w.Write(tw.wbuf.Bytes())
	default:
		// The time is up, or the request's own context ended (its
		// client went away): h's writes fail from now on.
		tw.checkTimeLocked()
		w.WriteHeader(http.StatusServiceUnavailable)
		if tw.err == http.ErrHandlerTimeout {
			io.WriteString(w, th.errorBody())
		}
	}
}

func (th *timeoutHandler) errorBody() string {
	if th.msg != "" {
		return th.msg
	}
	return "<html><head><title>Timeout</title></head><body><h1>Timeout</h1></body></html>"
}

// timeoutWriter holds a TimeoutHandler's answer until its handler
// returns, as net/http's.
type timeoutWriter struct {
	h    http.Header
	wbuf bytes.Buffer
	req  *http.Request

	mu          sync.Mutex // held only between calls that never block
	err         error
	wroteHeader bool
	code        int
}

func (tw *timeoutWriter) Header() http.Header { return tw.h }

func (tw *timeoutWriter) Write(p []byte) (int, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.checkTimeLocked()
	if tw.err != nil {
		return 0, tw.err
	}
	if !tw.wroteHeader {
		tw.writeHeaderLocked(http.StatusOK)
	}
	return tw.wbuf.Write(p)
}

func (tw *timeoutWriter) WriteHeader(code int) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.writeHeaderLocked(code)
}

func (tw *timeoutWriter) writeHeaderLocked(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	tw.checkTimeLocked()
	if tw.err != nil || tw.wroteHeader {
		return
	}
	tw.wroteHeader = true
	tw.code = code
}

// checkTimeLocked fails the writer once its request's context has ended.
// ServeHTTP does too, once it hears of the end; a handler woken by the
// same end may write first, and net/http's writer takes such a write (it
// is lost). Here it fails, whichever of the two runs first.
func (tw *timeoutWriter) checkTimeLocked() {
	if tw.err != nil {
		return
	}
	switch err := tw.req.Context().Err(); err {
	case nil:
	case context.DeadlineExceeded:
		tw.err = http.ErrHandlerTimeout
	default:
		tw.err = err
	}
}
