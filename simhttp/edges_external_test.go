package simhttp_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

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
			getOK(s, ctx, c)
			cancel()
			p.Time.Sleep(s.Context(), time.Millisecond)
		}
	}, quiet(), simtest.Seeds(3))
}

// TestKeptConnectionAcrossServerCrash: the server's process crashed and
// came back while the client kept a connection to it; the next GET, sent
// on that connection and met by a reset, is retried on a new one, as
// net/http retries a replayable request on a reused connection.
func TestKeptConnectionAcrossServerCrash(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		c := s.Boot(simtest.Processes{Name: "web", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, sp providers.Providers) error {
				l, err := sp.Network.Listen(ctx, ":80")
				if err != nil {
					return err
				}
				srv := &simhttp.Server{Providers: sp, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
				return srv.Serve(ctx, l)
			})
		}})
		host := c.Peers()[0].Host
		client := simhttp.NewClient(p)
		get := func() (string, error) {
			ctx, cancel := p.Time.WithTimeout(s.Context(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/", nil)
			resp, err := client.Do(req)
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			return string(b), err
		}
		p.Time.Sleep(s.Context(), 10*time.Millisecond)
		got, err := get()
		require.NoError(s, err)
		require.Equal(s, "ok", got)
		c.Reboot("web-0", simtest.Crash)
		p.Time.Sleep(s.Context(), time.Second)
		got, err = get()
		require.NoError(s, err)
		require.Equal(s, "ok", got)
	}, quiet(), simtest.Seeds(5))
}

// TestKeptConnectionReset: the server resets a kept-alive connection (a
// crash, a linger of zero); a GET sent on it is retried on a new
// connection, as net/http retries a replayable request on a reused one.
func TestKeptConnectionReset(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		sp := s.HostProviders("10.0.0.1")
		l, err := sp.Network.Listen(s.Context(), ":80")
		require.NoError(s, err)
		sp.Task.Go(s.Context(), "server", func(ctx context.Context) error {
			for n := 0; ; n++ {
				c, err := l.Accept()
				if err != nil {
					return nil
				}
				sp.Task.Go(ctx, "conn", func(ctx context.Context) error {
					br := bufio.NewReader(c)
					if _, err := http.ReadRequest(br); err != nil {
						return nil
					}
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
					if n == 0 {
						// Kept alive, then reset once the client sent its next request.
						br.Peek(1)
						c.(interface{ SetLinger(int) error }).SetLinger(0)
						c.Close()
					}
					return nil
				})
			}
		})
		client := simhttp.NewClient(p)
		for range 2 {
			ctx, cancel := p.Time.WithTimeout(s.Context(), 10*time.Second)
			getOK(s, ctx, client)
			cancel()
		}
	}, quiet(), simtest.Seeds(5))
}

// getOK gets http://10.0.0.1/ with ctx and requires the answer "ok".
func getOK(s *simtest.S, ctx context.Context, c *http.Client) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://10.0.0.1/", nil)
	resp, err := c.Do(req)
	require.NoError(s, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(s, err)
	require.Equal(s, "ok", string(b))
	resp.Body.Close()
}
