package simhttp_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// depositHandler answers "stored" and the body it read.
func depositHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, "stored "+string(b))
	})
}

// countConns counts the connections a server sees.
func countConns(n *atomic.Int64) func(net.Conn, http.ConnState) {
	return func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			n.Add(1)
		}
	}
}

// getThenPost sends a GET, waits for wait to pass, then sends a POST
// whose body the client cannot have again (no GetBody), which no
// Transport sends twice; it returns the POST's answer.
func getThenPost(ctx context.Context, c *http.Client, base string, wait func()) (string, error) {
	resp, err := c.Do(newRequest(ctx, http.MethodGet, base+"/", nil))
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	wait()
	resp, err = c.Do(newRequest(ctx, http.MethodPost, base+"/", io.NopCloser(strings.NewReader("deposit 5"))))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.Status + " " + string(b), err
}

// TestServerClosesIdleConnection: a server closes a kept-alive connection
// once its IdleTimeout passes. The client notices while the connection is
// idle and drops it, so its next request, a POST it may not send twice,
// goes out on a new connection and is answered.
// TestServerClosesIdleConnectionOnLoopback shows net/http's Transport
// doing the same.
func TestServerClosesIdleConnection(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		var conns atomic.Int64
		srv, _ := serve(s, "10.0.0.1", depositHandler())
		srv.IdleTimeout = time.Second
		srv.ConnState = countConns(&conns)
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
		defer cancel()
		got, err := getThenPost(ctx, simhttp.NewClient(p), "http://10.0.0.1", func() {
			p.Time.Sleep(ctx, 2*time.Second) // past the server's IdleTimeout
		})
		require.NoError(s, err)
		assert.Equal(s, "200 OK stored deposit 5", got)
		assert.Equal(s, int64(2), conns.Load(), "the POST went out on a new connection")
	}, quiet(), simtest.Seeds(20), simtest.CheckDeterminism())
}

// TestServerClosesIdleConnectionOnLoopback: the same exchange over
// loopback, with net/http's server and simhttp's over providers.Real, each
// called by net/http's Transport and by simhttp's.
func TestServerClosesIdleConnectionOnLoopback(t *testing.T) {
	servers := []struct {
		name  string
		start func(l net.Listener, conns *atomic.Int64) (stop func() error)
	}{
		{"net/http server", func(l net.Listener, conns *atomic.Int64) func() error {
			srv := &http.Server{Handler: depositHandler(), IdleTimeout: 50 * time.Millisecond, ConnState: countConns(conns)}
			go srv.Serve(l)
			return srv.Close
		}},
		{"simhttp server", func(l net.Listener, conns *atomic.Int64) func() error {
			srv := &simhttp.Server{Providers: providers.Real(), Handler: depositHandler(), IdleTimeout: 50 * time.Millisecond, ConnState: countConns(conns)}
			go srv.Serve(context.Background(), l)
			return srv.Close
		}},
	}
	for _, srv := range servers {
		eachLoopbackClient(t, srv.name, func(t *testing.T, ctx context.Context, c *http.Client, l net.Listener) {
			var conns atomic.Int64
			defer srv.start(l, &conns)()
			closed := clientCloses(t, c)
			got, err := getThenPost(ctx, c, "http://"+l.Addr().String(), func() {
				// The client closes the connection once it has seen the
				// server close it, past the server's IdleTimeout: waiting
				// for that, not for a time a loaded machine may overrun
				// (the server's timer, the client's read), keeps the POST
				// off it.
				select {
				case <-closed:
				case <-ctx.Done():
				}
			})
			require.NoError(t, err)
			assert.Equal(t, "200 OK stored deposit 5", got)
			assert.Equal(t, int64(2), conns.Load(), "the POST went out on a new connection")
		})
	}
}

// clientCloses has the Transport of c, not used yet, say on the channel
// it returns when it closes a connection it dialled. Each closes a kept
// connection only once it has taken it out of its pool (net/http's marks
// it broken first), so that no later request is written on it.
func clientCloses(t *testing.T, c *http.Client) <-chan struct{} {
	closed := make(chan struct{}, 8)
	wrap := func(nc net.Conn) net.Conn { return &closeSignalConn{Conn: nc, closed: closed} }
	switch tr := c.Transport.(type) {
	case *http.Transport:
		var d net.Dialer
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return wrap(nc), nil
		}
	case *simhttp.Transport:
		tr.Providers.Network = closeSignalNetwork{tr.Providers.Network, wrap}
	default:
		t.Fatalf("clientCloses cannot watch the connections of a %T", tr)
	}
	return closed
}

// closeSignalNetwork dials connections that say when they are closed.
type closeSignalNetwork struct {
	providers.Network
	wrap func(net.Conn) net.Conn
}

func (n closeSignalNetwork) Dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := n.Network.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return n.wrap(c), nil
}

// closeSignalConn sends on closed at its first Close.
type closeSignalConn struct {
	net.Conn
	once   sync.Once
	closed chan<- struct{}
}

func (c *closeSignalConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		select {
		case c.closed <- struct{}{}:
		default: // no one waits for more
		}
	})
	return err
}

// unsolicited is an answer no request asked for.
const unsolicited = "HTTP/1.1 500 Unsolicited\r\nContent-Length: 0\r\n\r\n"

// serveThenBabble answers the first request on each connection accepted
// from l with "ok" and, with the answer's bytes or once pause returns,
// sends an unsolicited answer; it reads on and answers nothing more, and
// closes the connection when the client does, then calls closed if it is
// not nil. It counts the connections.
func serveThenBabble(l net.Listener, accepted *atomic.Int64, spawn func(func()), pause, closed func()) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		accepted.Add(1)
		spawn(func() {
			defer c.Close()
			br := bufio.NewReader(c)
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			answer := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
			if pause == nil {
				io.WriteString(c, answer+unsolicited)
			} else {
				io.WriteString(c, answer)
				pause()
				io.WriteString(c, unsolicited)
			}
			io.Copy(io.Discard, br)
			if closed != nil {
				closed()
			}
		})
	}
}

// babbleCases: the unsolicited answer comes with the answer's bytes, or
// later, while the connection is idle.
var babbleCases = []struct {
	name  string
	later bool
}{{"with the answer", false}, {"while idle", true}}

// TestUnsolicitedAnswerEndsIdleConnection: bytes that arrive on a
// kept-alive connection while no request is out on it are no answer to
// anything: as net/http's Transport (TestUnsolicitedAnswerOnLoopback),
// simhttp's closes the connection, and the next request dials and gets
// its own answer, not the unsolicited one.
func TestUnsolicitedAnswerEndsIdleConnection(t *testing.T) {
	for _, tc := range babbleCases {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				p := s.Providers()
				sp := s.HostProviders("10.0.0.1")
				l, err := sp.Network.Listen(s.Context(), ":80")
				require.NoError(s, err)
				var accepted atomic.Int64
				var pause func()
				if tc.later {
					pause = func() { sp.Time.Sleep(s.Context(), 100*time.Millisecond) }
				}
				sp.Task.Go(s.Context(), "server", func(ctx context.Context) error {
					serveThenBabble(l, &accepted, func(f func()) {
						sp.Task.Go(ctx, "conn", func(context.Context) error { f(); return nil })
					}, pause, nil)
					return nil
				})
				ctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
				defer cancel()
				got, err := getThenPost(ctx, simhttp.NewClient(p), "http://10.0.0.1", func() {
					p.Time.Sleep(ctx, time.Second) // the unsolicited answer arrives
				})
				require.NoError(s, err)
				assert.Equal(s, "200 OK ok", got)
				assert.Equal(s, int64(2), accepted.Load(), "the POST went out on a new connection")
			}, quiet(), simtest.Seeds(10), simtest.CheckDeterminism())
		})
	}
}

// TestUnsolicitedAnswerOnLoopback: the same exchange over loopback,
// net/http's Transport beside simhttp's over providers.Real.
func TestUnsolicitedAnswerOnLoopback(t *testing.T) {
	for _, tc := range babbleCases {
		eachLoopbackClient(t, tc.name, func(t *testing.T, ctx context.Context, c *http.Client, l net.Listener) {
			var accepted atomic.Int64
			var pause func()
			if tc.later {
				pause = func() { time.Sleep(20 * time.Millisecond) }
			}
			closed := make(chan struct{}, 2)
			go serveThenBabble(l, &accepted, func(f func()) { go f() }, pause, func() { closed <- struct{}{} })
			got, err := getThenPost(ctx, c, "http://"+l.Addr().String(), func() {
				// The client closes the connection once the unsolicited
				// answer arrives: waiting for that, not for a time a
				// loaded machine may overrun, keeps the POST off it.
				select {
				case <-closed:
				case <-ctx.Done():
				}
			})
			require.NoError(t, err)
			assert.Equal(t, "200 OK ok", got)
			assert.Equal(t, int64(2), accepted.Load(), "the POST went out on a new connection")
		})
	}
}

// TestIdleConnTimeoutClosesOnTime: a connection idle in the client's pool
// for IdleConnTimeout is closed then, by its idle watch, as net/http's
// idle timer closes it (TestIdleConnTimeoutOnLoopback): the server sees
// the close at the timeout, not when the client next asks for a
// connection, and the next request dials.
func TestIdleConnTimeoutClosesOnTime(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		srv, sp := serve(s, "10.0.0.1", depositHandler())
		var conns atomic.Int64
		var closedAt time.Time
		srv.ConnState = func(c net.Conn, st http.ConnState) {
			countConns(&conns)(c, st)
			if st == http.StateClosed {
				closedAt = sp.Time.Now()
			}
		}
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Hour)
		defer cancel()
		c := &http.Client{Transport: &simhttp.Transport{Providers: p, IdleConnTimeout: 5 * time.Second}}
		var idle time.Time
		got, err := getThenPost(ctx, c, "http://10.0.0.1", func() {
			idle = p.Time.Now()
			p.Time.Sleep(ctx, time.Minute)
			require.False(s, closedAt.IsZero(), "the server saw the idle connection closed")
			assert.WithinRange(s, closedAt, idle.Add(5*time.Second), idle.Add(6*time.Second),
				"closed at the timeout, %v after the connection went idle", closedAt.Sub(idle))
		})
		require.NoError(s, err)
		assert.Equal(s, "200 OK stored deposit 5", got)
		assert.Equal(s, int64(2), conns.Load(), "the POST went out on a new connection")
	}, quiet(), simtest.Seeds(20), simtest.CheckDeterminism())
}

// TestIdleConnTimeoutOnLoopback: the same over loopback, net/http's
// Transport beside simhttp's over providers.Real, with net/http's server:
// each closes the idle connection once IdleConnTimeout has passed, with
// no request to notice it.
func TestIdleConnTimeoutOnLoopback(t *testing.T) {
	clients := []struct {
		name string
		new  func(d time.Duration) http.RoundTripper
	}{
		{"net/http client", func(d time.Duration) http.RoundTripper { return &http.Transport{IdleConnTimeout: d} }},
		{"simhttp client", func(d time.Duration) http.RoundTripper {
			return &simhttp.Transport{Providers: providers.Real(), IdleConnTimeout: d}
		}},
	}
	for _, client := range clients {
		t.Run(client.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			closed := make(chan struct{}, 1)
			srv := &http.Server{Handler: depositHandler(), ConnState: func(_ net.Conn, st http.ConnState) {
				if st == http.StateClosed {
					closed <- struct{}{}
				}
			}}
			go srv.Serve(l)
			defer srv.Close()
			tr := client.new(50 * time.Millisecond)
			defer tr.(interface{ CloseIdleConnections() }).CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp, err := (&http.Client{Transport: tr}).Do(newRequest(ctx, http.MethodGet, "http://"+l.Addr().String()+"/", nil))
			require.NoError(t, err)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			select {
			case <-closed:
			case <-ctx.Done():
				t.Fatal("the server never saw the idle connection closed")
			}
		})
	}
}
