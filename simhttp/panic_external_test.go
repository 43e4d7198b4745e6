package simhttp_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// panicky serves GET /boom with a handler that panics with a bug's value,
// GET /abort with one that aborts on purpose, and GET /ok with an answer.
func panicky() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", boomHandler)
	mux.HandleFunc("GET /abort", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	return mux
}

func boomHandler(w http.ResponseWriter, r *http.Request) {
	var ledger map[string]int
	ledger[r.URL.Path]++ // a bug: the map was never made
}

// simulatePanicky runs one seed that serves panicky and asks for path,
// then for /ok. It returns the Run's result, the first request's error,
// the second's body, the timeline's error entries, and what the server's
// ErrorLog got.
func simulatePanicky(t *testing.T, path string) (res simtest.Result, first error, second string, errs []simtest.Entry, logged string) {
	t.Helper()
	var logBuf testenv.Buffer
	res = simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		srv, _ := serve(s, "10.0.0.1", panicky())
		srv.ErrorLog = log.New(&logBuf, "", 0)
		p := s.Providers()
		c := simhttp.NewClient(p)
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://10.0.0.1"+path, nil)
		if resp, err := c.Do(req); err != nil {
			first = err
		} else {
			resp.Body.Close()
		}
		// The failure records and goes on: the server answers the next
		// request, and the seed runs to its end.
		resp, err := c.Get("http://10.0.0.1/ok")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			second = string(b)
		}
		for _, e := range tl.Snapshot() {
			if e.Name == "error" {
				errs = append(errs, e)
			}
		}
	}, quiet(), simtest.Seeds(1))
	return res, first, second, errs, logBuf.String()
}

// TestHandlerPanicFailsTheSeed: in a simulation a handler's panic fails
// the seed, with a report that names the request, the panic and the
// handler's frames, at the connection's task; the client sees what
// net/http's would, and the seed goes on.
func TestHandlerPanicFailsTheSeed(t *testing.T) {
	res, first, second, errs, logged := simulatePanicky(t, "/boom")
	require.Equal(t, 1, res.Failed, res.Report)

	require.Error(t, first, "the connection is closed without an answer, as net/http closes it")
	assert.NotErrorIs(t, first, context.DeadlineExceeded)
	assert.Equal(t, "ok", second, "the server goes on, and so does the seed")

	report := res.Report
	assert.Regexp(t, `http conn from 10\.0\.0\.254:\d+: panic_external_test\.go:\d+: simhttp: handler panic serving GET /boom to 10\.0\.0\.254:\d+: assignment to entry in nil map\n`, report,
		"the error names the request, the panic and the line that panicked, at the connection's task")
	assert.Contains(t, report, "simhttp_test.boomHandler\n", "the handler's frame")
	assert.Contains(t, report, "net/http.(*ServeMux).ServeHTTP", "the frames between the server and the handler stay")
	assert.NotContains(t, report, "simhttp.(*conn)", "the server's own frames are trimmed, as the engine's are from a task's panic")
	assert.NotContains(t, report, "goroutine ", "the goroutine's header is trimmed")
	assert.NotContains(t, report, "runtime.", "the runtime's frames are trimmed")
	assert.NotContains(t, report, "http: panic serving", "the failure tells the panic; the log does not repeat it")
	assert.Empty(t, logged, "the failure tells the panic; the ErrorLog does not repeat it")

	require.Len(t, errs, 1, "the timeline has the failure")
	assert.True(t, strings.HasPrefix(errs[0].Task, "10.0.0.1/http conn from 10.0.0.254:"), "the failure is the handler's task's, named after the server's host: %v", errs[0])
	assert.Contains(t, errs[0].Msg, "simhttp: handler panic serving GET /boom")
	assert.Contains(t, errs[0].Msg, "boomHandler", "the timeline's entry carries the stack")
}

// TestHandlerAbortDoesNotFail: http.ErrAbortHandler is how a handler
// aborts a response on purpose; as net/http logs nothing for it, it fails
// nothing.
func TestHandlerAbortDoesNotFail(t *testing.T) {
	res, first, second, errs, logged := simulatePanicky(t, "/abort")
	require.True(t, res.OK(), res.Report)
	require.Error(t, first, "the connection is closed without an answer")
	assert.Equal(t, "ok", second)
	assert.Empty(t, errs)
	assert.Empty(t, logged)
}

// TestHandlerPanicInProduction: outside a simulation the panic is
// recovered as net/http's server recovers it: logged with the client's
// address and the goroutine's stack, the connection closed, the server
// serving on; ErrAbortHandler is not logged. net/http's own server, given
// the same handler, logs the same.
func TestHandlerPanicInProduction(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	type server struct {
		name  string
		serve func(l net.Listener, errorLog *log.Logger) (stop func())
	}
	for _, sv := range []server{
		{"simhttp", func(l net.Listener, errorLog *log.Logger) func() {
			p := providers.Real()
			p.Logger = nil
			srv := &simhttp.Server{Providers: p, Handler: panicky(), ErrorLog: errorLog}
			done := make(chan struct{})
			go func() { defer close(done); srv.Serve(context.Background(), l) }()
			return func() { srv.Close(); <-done }
		}},
		{"net/http", func(l net.Listener, errorLog *log.Logger) func() {
			srv := &http.Server{Handler: panicky(), ErrorLog: errorLog}
			done := make(chan struct{})
			go func() { defer close(done); srv.Serve(l) }()
			return func() { srv.Close(); <-done }
		}},
	} {
		t.Run(sv.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			var logBuf testenv.Buffer
			stop := sv.serve(l, log.New(&logBuf, "", 0))
			defer stop()
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			base := "http://" + l.Addr().String()

			_, err = c.Get(base + "/abort")
			require.Error(t, err)
			_, err = c.Get(base + "/boom")
			require.Error(t, err)
			var urlErr interface{ Timeout() bool }
			if errors.As(err, &urlErr) {
				assert.False(t, urlErr.Timeout(), "the connection is closed, not left hanging")
			}
			resp, err := c.Get(base + "/ok")
			require.NoError(t, err, "the server goes on")
			resp.Body.Close()

			got := logBuf.String()
			assert.Regexp(t, `^http: panic serving 127\.0\.0\.1:\d+: assignment to entry in nil map\ngoroutine \d+ \[running\]:\n`, got)
			assert.Contains(t, got, "simhttp_test.boomHandler(")
			assert.Equal(t, 1, strings.Count(got, "http: panic serving"), "one panic logged, the abort not")
		})
	}
}
