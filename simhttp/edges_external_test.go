package simhttp_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestHandlerPanicGivesClientError: a panicking handler ends the
// connection; the client sees an error, not a hang.
func TestHandlerPanicGivesClientError(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		srv, _ := serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic("boom")
		}))
		srv.ErrorLog = discardLog()
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://10.0.0.1/", nil)
		_, err := simhttp.NewClient(p).Do(req)
		require.Error(s, err)
		require.NotErrorIs(s, err, context.DeadlineExceeded)
	}, quiet(), simtest.Seeds(3))
}

// TestCancelDuringBody: the context ends while the client reads the body.
func TestCancelDuringBody(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		sp := s.HostProviders("10.0.0.1")
		serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, strings.Repeat("x", 8000))
			w.(http.Flusher).Flush()
			sp.Time.Sleep(r.Context(), time.Hour)
		}))
		ctx, cancel := p.Time.WithTimeout(s.Context(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://10.0.0.1/", nil)
		c := simhttp.NewClient(p)
		resp, err := c.Do(req)
		require.NoError(s, err)
		_, err = io.ReadAll(resp.Body)
		require.ErrorIs(s, err, context.DeadlineExceeded)
		resp.Body.Close()
		require.Empty(s, c.Transport.(*simhttp.Transport).OpenBodies())
	}, quiet(), simtest.Seeds(3))
}

// TestCancelAfterResponse: a context cancelled after the body was read does
// not spoil the pooled connection for the next request.
func TestCancelAfterResponse(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
		c := simhttp.NewClient(p)
		for range 3 {
			ctx, cancel := context.WithCancel(s.Context())
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://10.0.0.1/", nil)
			resp, err := c.Do(req)
			require.NoError(s, err)
			b, err := io.ReadAll(resp.Body)
			require.NoError(s, err)
			require.Equal(s, "ok", string(b))
			resp.Body.Close()
			cancel()
			p.Time.Sleep(s.Context(), time.Millisecond)
		}
	}, quiet(), simtest.Seeds(3))
}

// TestHijackNotSupported: a handler asking to hijack gets a clear error.
func TestHijackNotSupported(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		errs := make(chan error, 1)
		serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _, err := http.NewResponseController(w).Hijack()
			errs <- err
			io.WriteString(w, "ok")
		}))
		resp, err := simhttp.NewClient(p).Get("http://10.0.0.1/")
		require.NoError(s, err)
		resp.Body.Close()
		require.ErrorIs(s, <-errs, http.ErrNotSupported)
	}, quiet(), simtest.Seeds(1))
}
