package simhttp_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// serve starts srv on host:80 in the simulation.
func serve(s *simtest.S, host string, h http.Handler) (*simhttp.Server, providers.Providers) {
	sp := s.HostProviders(host)
	l, err := sp.Network.Listen(s.Context(), ":80")
	require.NoError(s, err)
	srv := &simhttp.Server{Providers: sp, Handler: h}
	sp.Task.Go(s.Context(), "server", func(ctx context.Context) error {
		if err := srv.Serve(ctx, l); err != http.ErrServerClosed {
			return err
		}
		return nil
	})
	return srv, sp
}

func quiet() simtest.Option { return simtest.Network(chaos.NoNetworkFaults()) }

// loopbackClients are the clients a loopback test runs side by side over
// real TCP: net/http's Transport and simhttp's over providers.Real.
var loopbackClients = []struct {
	name string
	new  func() http.RoundTripper
}{
	{"net/http client", func() http.RoundTripper { return &http.Transport{} }},
	{"simhttp client", func() http.RoundTripper { return &simhttp.Transport{Providers: providers.Real()} }},
}

// eachLoopbackPair runs check in a subtest for each of net/http's server
// and simhttp's serving h on a loopback listener of its own, with each of
// loopbackClients: the same check of the two servers and two clients
// over real sockets, under a deadline of ten seconds.
func eachLoopbackPair(t *testing.T, h http.Handler, check func(t *testing.T, ctx context.Context, c *http.Client, base string)) {
	servers := []struct {
		name  string
		start func(l net.Listener) (stop func() error)
	}{
		{"net/http server", func(l net.Listener) func() error {
			srv := &http.Server{Handler: h, ErrorLog: discardLog()}
			go srv.Serve(l)
			return srv.Close
		}},
		{"simhttp server", func(l net.Listener) func() error {
			srv := &simhttp.Server{Providers: providers.Real(), Handler: h, ErrorLog: discardLog()}
			go srv.Serve(context.Background(), l)
			return srv.Close
		}},
	}
	for _, srv := range servers {
		eachLoopbackClient(t, srv.name, func(t *testing.T, ctx context.Context, c *http.Client, l net.Listener) {
			defer srv.start(l)()
			check(t, ctx, c, "http://"+l.Addr().String())
		})
	}
}

// eachLoopbackClient runs check in a subtest for each of loopbackClients,
// named name/client, with a loopback listener for check to serve on, under
// a deadline of ten seconds; the listener is closed when check returns.
func eachLoopbackClient(t *testing.T, name string, check func(t *testing.T, ctx context.Context, c *http.Client, l net.Listener)) {
	for _, client := range loopbackClients {
		t.Run(name+"/"+client.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer l.Close()
			tr := client.new()
			defer tr.(interface{ CloseIdleConnections() }).CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			check(t, ctx, &http.Client{Transport: tr}, l)
		})
	}
}

func TestRefusedDial(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		s.HostProviders("10.0.0.9") // a host with nothing listening
		_, err := simhttp.NewClient(s.Providers()).Get("http://10.0.0.9/")
		require.ErrorIs(s, err, syscall.ECONNREFUSED)
		var op *net.OpError
		require.ErrorAs(s, err, &op)
		require.Equal(s, "dial", op.Op)
	}, quiet(), simtest.Seeds(3))
}

// A request whose context ends while its connect goes unanswered fails
// with the context's error, as net/http's does, whichever shape the
// dial's own timeout took; an IP address no host holds is such a
// connect, and a name no host has is a DNS error.
func TestADialThatTimesOutEndsWithTheRequestsContext(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		for _, url := range []string{"http://10.9.9.9/", "http://[2001:db8::1]:8080/"} {
			ctx, cancel := p.Time.WithTimeout(s.Context(), time.Second)
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			start := s.Elapsed()
			_, err := simhttp.NewClient(p).Do(req)
			cancel()
			require.ErrorIs(s, err, context.DeadlineExceeded, url)
			var ne net.Error
			require.ErrorAs(s, err, &ne, url)
			require.True(s, ne.Timeout(), url)
			require.Equal(s, time.Second, s.Elapsed()-start, "%s: the connect goes unanswered", url)
		}
		_, err := simhttp.NewClient(p).Get("http://nosuch/")
		var de *net.DNSError
		require.ErrorAs(s, err, &de)
		require.True(s, de.IsNotFound)
	}, quiet(), simtest.Seeds(16))
}

func TestContextTimeoutOnSimulatedClock(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.Time.Sleep(r.Context(), time.Hour)
		}))
		ctx, cancel := p.Time.WithTimeout(s.Context(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://10.0.0.1/", nil)
		_, err := simhttp.NewClient(p).Do(req)
		require.ErrorIs(s, err, context.DeadlineExceeded)
		var ne net.Error
		require.ErrorAs(s, err, &ne)
		require.True(s, ne.Timeout())
	}, quiet(), simtest.Seeds(5))
}

func TestResponseHeaderTimeout(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.Time.Sleep(r.Context(), time.Minute)
		}))
		c := &http.Client{Transport: &simhttp.Transport{Providers: p, ResponseHeaderTimeout: time.Second}}
		_, err := c.Get("http://10.0.0.1/")
		var ne net.Error
		require.ErrorAs(s, err, &ne)
		require.True(s, ne.Timeout())
		require.Contains(s, err.Error(), "timeout awaiting response headers")
		require.ErrorIs(s, err, context.DeadlineExceeded, "as net/http's (TestResponseHeaderTimeoutOnLoopback)")
	}, quiet(), simtest.Seeds(3))
}

// TestResponseHeaderTimeoutOnLoopback: net/http's Transport and simhttp's
// give the same error when ResponseHeaderTimeout passes.
func TestResponseHeaderTimeoutOnLoopback(t *testing.T) {
	clients := []struct {
		name string
		new  func(d time.Duration) http.RoundTripper
	}{
		{"net/http client", func(d time.Duration) http.RoundTripper { return &http.Transport{ResponseHeaderTimeout: d} }},
		{"simhttp client", func(d time.Duration) http.RoundTripper {
			return &simhttp.Transport{Providers: providers.Real(), ResponseHeaderTimeout: d}
		}},
	}
	for _, client := range clients {
		t.Run(client.name, func(t *testing.T) {
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			})}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			go srv.Serve(l)
			defer srv.Close()
			tr := client.new(20 * time.Millisecond)
			defer tr.(interface{ CloseIdleConnections() }).CloseIdleConnections()
			_, err = (&http.Client{Transport: tr}).Get("http://" + l.Addr().String() + "/")
			var ne net.Error
			require.ErrorAs(t, err, &ne)
			require.True(t, ne.Timeout())
			require.Contains(t, err.Error(), "timeout awaiting response headers")
			require.ErrorIs(t, err, context.DeadlineExceeded)
		})
	}
}

func TestClientGoneCancelsRequestContext(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		sp := s.HostProviders("10.0.0.1")
		ended := providers.NewChan[error](p.Task, 1)
		serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			providers.Wait(r.Context(), sp.Task)
			ended.Send(context.Background(), r.Context().Err())
		}))
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:80")
		require.NoError(s, err)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
		p.Time.Sleep(s.Context(), time.Second)
		c.Close()
		err, _, rerr := ended.Recv(s.Context())
		require.NoError(s, rerr)
		require.ErrorIs(s, err, context.Canceled, "the handler's context ends when its client goes away")
	}, quiet(), simtest.Seeds(10))
}

func TestReadHeaderTimeoutClosesSlowClient(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		sp := s.HostProviders("10.0.0.1")
		l, err := sp.Network.Listen(s.Context(), ":80")
		require.NoError(s, err)
		srv := &simhttp.Server{Providers: sp, Handler: http.NotFoundHandler(), ReadHeaderTimeout: time.Second, IdleTimeout: 5 * time.Second}
		sp.Task.Go(s.Context(), "server", func(ctx context.Context) error { srv.Serve(ctx, l); return nil })
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:80")
		require.NoError(s, err)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n") // never finished
		_, err = c.Read(make([]byte, 1))
		require.ErrorIs(s, err, io.EOF, "the server closes the connection")

		c, err = p.Network.Dial(s.Context(), "10.0.0.1:80")
		require.NoError(s, err)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
		r := bufio.NewReader(c)
		resp, err := http.ReadResponse(r, nil)
		require.NoError(s, err)
		io.Copy(io.Discard, resp.Body)
		require.Equal(s, http.StatusNotFound, resp.StatusCode)
		_, err = r.ReadByte()
		require.ErrorIs(s, err, io.EOF, "the idle connection is closed")
	}, quiet(), simtest.Seeds(3))
}

func TestExpectContinue(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Write(b)
		}))
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:80")
		require.NoError(s, err)
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
		r := bufio.NewReader(c)
		line, err := r.ReadString('\n')
		require.NoError(s, err)
		require.Equal(s, "HTTP/1.1 100 Continue\r\n", line)
		blank, _ := r.ReadString('\n')
		require.Equal(s, "\r\n", blank)
		io.WriteString(c, "hello")
		resp, err := http.ReadResponse(r, nil)
		require.NoError(s, err)
		b, _ := io.ReadAll(resp.Body)
		require.Equal(s, "hello", string(b))
	}, quiet(), simtest.Seeds(3))
}

func TestKeepAliveReusesOneConnection(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		var states []http.ConnState
		srv, _ := serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
		srv.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				states = append(states, st)
			}
		}
		c := simhttp.NewClient(s.Providers())
		for range 5 {
			resp, err := c.Get("http://10.0.0.1/")
			require.NoError(s, err)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		require.Len(s, states, 1, "five requests over one connection")
	}, quiet(), simtest.Seeds(3))
}

// lateWriter is a Network whose connections return from each Write a
// while after the bytes left, as a loaded machine's writer may.
type lateWriter struct {
	providers.Network
	p    providers.Providers
	late time.Duration
}

func (n lateWriter) Dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := n.Network.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return lateConn{c, n}, nil
}

type lateConn struct {
	net.Conn
	n lateWriter
}

func (c lateConn) Write(b []byte) (int, error) {
	k, err := c.Conn.Write(b)
	_ = c.n.p.Time.Sleep(context.Background(), c.n.late)
	return k, err
}

// An answer read before the request's writer has returned from its last
// Write does not cost the connection: as net/http's, the transport waits
// up to 50ms for the writer, and the next request goes on the same
// connection. A writer later than that loses it, as with net/http.
func TestKeepAliveWaitsALittleForTheRequestsWriter(t *testing.T) {
	for _, tc := range []struct {
		late  time.Duration
		conns int
	}{{20 * time.Millisecond, 1}, {200 * time.Millisecond, 3}} {
		t.Run(tc.late.String(), func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				var conns int
				srv, _ := serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					b, _ := io.ReadAll(r.Body)
					w.Write(b)
				}))
				srv.ConnState = func(_ net.Conn, st http.ConnState) {
					if st == http.StateNew {
						conns++
					}
				}
				p := s.HostProviders("10.0.0.2")
				p.Network = lateWriter{p.Network, p, tc.late}
				c := simhttp.NewClient(p)
				for i := range 3 {
					resp, err := c.Post("http://10.0.0.1/", "text/plain", strings.NewReader(fmt.Sprint(i)))
					require.NoError(s, err)
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					require.Equal(s, fmt.Sprint(i), string(b))
				}
				assert.Equal(s, tc.conns, conns)
			}, quiet(), simtest.Seeds(3))
		})
	}
}

func TestShutdownWaitsForActiveRequest(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		srv, sp := serve(s, "10.0.0.1", nil)
		srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sp.Time.Sleep(context.Background(), 3*time.Second)
			io.WriteString(w, "done")
		})
		got := providers.NewChan[string](p.Task, 1)
		p.Task.Go(s.Context(), "client", func(ctx context.Context) error {
			resp, err := simhttp.NewClient(p).Get("http://10.0.0.1/")
			if err != nil {
				got.Send(ctx, err.Error())
				return nil
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return got.Send(ctx, string(b))
		})
		p.Time.Sleep(s.Context(), time.Second)
		require.NoError(s, srv.Shutdown(s.Context()))
		v, _, err := got.Recv(s.Context())
		require.NoError(s, err)
		require.Equal(s, "done", v, "the active request finished before Shutdown returned")
		_, err = simhttp.NewClient(p).Get("http://10.0.0.1/")
		require.ErrorIs(s, err, syscall.ECONNREFUSED, "the listener is closed")
	}, quiet(), simtest.Seeds(3))
}

func TestHTTPSRefused(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		_, err := simhttp.NewClient(s.Providers()).Get("https://10.0.0.1/")
		require.Error(s, err)
		require.True(s, strings.Contains(err.Error(), "https is not supported"), err.Error())
		require.False(s, errors.Is(err, context.Canceled))
	}, quiet(), simtest.Seeds(1))
}

// TestDeterministic runs keep-alive, several clients, a shutdown with
// idle and active connections, twice per seed: the traces must agree.
func TestDeterministic(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		srv, sp := serve(s, "10.0.0.1", nil)
		srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sp.Time.Sleep(r.Context(), time.Duration(sp.Random.IntN(50))*time.Millisecond)
			io.WriteString(w, r.URL.Path)
		})
		g, _ := providers.NewGroup(s.Context(), p.Task)
		for i := range 4 {
			g.Go("client", func(ctx context.Context) error {
				c := simhttp.NewClient(p)
				for j := range 5 {
					// The default network's faults refuse a dial or
					// leave it hanging: a request has a deadline, and
					// those that fail are the same ones each run.
					rctx, cancel := p.Time.WithTimeout(ctx, time.Second)
					req, _ := http.NewRequestWithContext(rctx, "GET", "http://10.0.0.1/"+strings.Repeat("x", i+j), nil)
					resp, err := c.Do(req)
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					cancel()
				}
				return nil
			})
		}
		require.NoError(s, g.Wait(s.Context()))
		require.NoError(s, srv.Shutdown(s.Context()))
	}, simtest.CheckDeterminism(), simtest.Seeds(10))
}

// TestResetReachesClient: a server that resets the connection gives the
// client net/http's error, wrapping ECONNRESET.
func TestResetReachesClient(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		sp := s.HostProviders("10.0.0.1")
		l, err := sp.Network.Listen(s.Context(), ":80")
		require.NoError(s, err)
		sp.Task.Go(s.Context(), "resetter", func(ctx context.Context) error {
			c, err := l.Accept()
			if err != nil {
				return err
			}
			http.ReadRequest(bufio.NewReader(c))
			c.(interface{ SetLinger(int) error }).SetLinger(0)
			return c.Close()
		})
		_, err = simhttp.NewClient(s.Providers()).Get("http://10.0.0.1/")
		require.ErrorIs(s, err, syscall.ECONNRESET)
	}, quiet(), simtest.Seeds(5))
}

// TestWriteTimeout: a client that does not read fills the send buffer; the
// handler's Write fails with the deadline's error once WriteTimeout passes
// on the simulated clock.
func TestWriteTimeout(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		srv, _ := serve(s, "10.0.0.1", nil)
		srv.WriteTimeout = time.Second
		werr := providers.NewChan[error](p.Task, 1)
		srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			chunk := make([]byte, 32<<10)
			for {
				if _, err := w.Write(chunk); err != nil {
					werr.TrySend(err)
					return
				}
			}
		})
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:80")
		require.NoError(s, err)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n") // and never read
		err, _, rerr := werr.Recv(s.Context())
		require.NoError(s, rerr)
		var ne net.Error
		require.ErrorAs(s, err, &ne)
		require.True(s, ne.Timeout(), "the handler's write ends with the write deadline: %v", err)
	}, quiet(), simtest.Seeds(3))
}

// TestShutdownSparesNewConnection: a connection accepted but not yet
// carrying its first request is left its chance, as net/http leaves it 5
// seconds.
func TestShutdownSparesNewConnection(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		srv, _ := serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "late but served") }))
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:80")
		require.NoError(s, err)
		p.Time.Sleep(s.Context(), 10*time.Millisecond) // accepted by now
		done := p.Task.Go(s.Context(), "shutdown", func(ctx context.Context) error { return srv.Shutdown(ctx) })
		p.Time.Sleep(s.Context(), 100*time.Millisecond)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(s, err)
		b, _ := io.ReadAll(resp.Body)
		require.Equal(s, "late but served", string(b))
		require.True(s, resp.Close, "a server shutting down closes after the answer")
		require.NoError(s, done.Join(s.Context()))
	}, quiet(), simtest.Seeds(5))
}

// http.Client.Timeout sets a deadline on the wall clock, which simulated
// time does not keep pace with: the request is refused with the fix, not
// left to pass, or hang, as though it had another timeout; so is a
// handler's wait under such a deadline, which the server's recovery of
// handlers' panics lets through.
func TestWallClockTimeoutsAreRefusedWithTheFix(t *testing.T) {
	for name, tc := range map[string]struct {
		handler func(p providers.Providers) http.HandlerFunc
		timeout time.Duration
	}{
		"client": {func(providers.Providers) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {}
		}, 5 * time.Second},
		"handler": {func(p providers.Providers) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				ctx, cancel := context.WithTimeout(r.Context(), time.Second)
				defer cancel()
				p.Time.Sleep(ctx, 10*time.Millisecond)
			}
		}, 0},
	} {
		t.Run(name, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				serve(s, "10.0.0.1", tc.handler(s.HostProviders("10.0.0.1")))
				c := simhttp.NewClient(s.Providers())
				c.Timeout = tc.timeout
				resp, err := c.Get("http://10.0.0.1/")
				if err == nil {
					resp.Body.Close()
				}
			}, quiet(), simtest.Seeds(1))
			require.Equal(t, 1, res.Failed, res.Report)
			require.Regexp(t, `failed: wall-clock deadline at \S+ in task "[^"]+": `, res.Report)
			require.Contains(t, res.Report, "http.Client.Timeout")
			require.Contains(t, res.Report, "make the context with p.Time.WithTimeout or p.Time.WithDeadline")
		})
	}
}
