package simhttp_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// retryCase is a request sent on a kept-alive connection that the server
// reset while it was idle: none of it can be written.
type retryCase struct {
	name string
	new  func(ctx context.Context, url string) *http.Request
	// retried: sent again on a new connection, as net/http's Transport
	// does for a request none of which was written whose body it can
	// have again.
	retried bool
}

func newRequest(ctx context.Context, method, url string, body io.Reader) *http.Request {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		panic(err)
	}
	return req
}

var retryCases = []retryCase{
	{name: "GET", retried: true, new: func(ctx context.Context, url string) *http.Request {
		return newRequest(ctx, http.MethodGet, url, nil)
	}},
	{name: "POST without a body", retried: true, new: func(ctx context.Context, url string) *http.Request {
		return newRequest(ctx, http.MethodPost, url, nil)
	}},
	// http.NewRequest sets GetBody for a *bytes.Reader.
	{name: "POST with GetBody", retried: true, new: func(ctx context.Context, url string) *http.Request {
		return newRequest(ctx, http.MethodPost, url, bytes.NewReader([]byte("deposit 5")))
	}},
	{name: "POST without GetBody", retried: false, new: func(ctx context.Context, url string) *http.Request {
		return newRequest(ctx, http.MethodPost, url, io.NopCloser(bytes.NewReader([]byte("deposit 5"))))
	}},
}

// serveThenReset answers each request on a connection accepted from l
// with "ok" and resets the connection once pause returns (the client has
// read the answer), without Connection: close: the client keeps the
// connection, and its next request finds it reset. It counts the
// connections accepted.
func serveThenReset(l net.Listener, accepted *atomic.Int64, spawn func(func()), pause func()) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		accepted.Add(1)
		spawn(func() {
			req, err := http.ReadRequest(bufio.NewReader(c))
			if err == nil {
				io.Copy(io.Discard, req.Body)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				pause()
			}
			c.(interface{ SetLinger(int) error }).SetLinger(0)
			c.Close()
		})
	}
}

// twoRequests sends a GET, then tc's request on the same client, and
// returns the second's error or body. wait runs between them: once the
// GET's answer has arrived but before its body is read if unread, so
// that the connection is not yet back in the pool (and not yet watched);
// after the body is read otherwise, while the connection is idle.
func twoRequests(ctx context.Context, c *http.Client, url string, tc retryCase, unread bool, wait func()) (string, error) {
	for i, req := range []*http.Request{newRequest(ctx, http.MethodGet, url, nil), tc.new(ctx, url)} {
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		if i == 0 && unread {
			wait()
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return "", err
		}
		if i == 1 {
			return string(b), nil
		}
		if !unread {
			wait()
		}
	}
	panic("unreachable")
}

// TestRetryOnResetKeptConnection: the server resets a kept-alive
// connection while the client holds the answer's body unread, so the
// connection goes back to the pool already reset, before its watch can
// see it; the next request on it fails to write its first byte. simhttp's
// Transport sends it again on a new connection when net/http's would (no
// body, or a body it can have again with GetBody, whatever the method)
// and returns the reset otherwise.
func TestRetryOnResetKeptConnection(t *testing.T) {
	for _, tc := range retryCases {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				p := s.Providers()
				accepted := serveThenResetSim(s, "10.0.0.1")
				ctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
				defer cancel()
				body, err := twoRequests(ctx, simhttp.NewClient(p), "http://10.0.0.1/", tc, true, func() {
					p.Time.Sleep(ctx, time.Second) // the reset arrives
				})
				if tc.retried {
					require.NoError(s, err)
					assert.Equal(s, "ok", body)
					assert.Equal(s, int64(2), accepted.Load(), "sent again on a second connection")
				} else {
					require.ErrorIs(s, err, syscall.ECONNRESET)
					assert.Equal(s, int64(1), accepted.Load(), "not sent again")
				}
			}, quiet(), simtest.Seeds(10), simtest.CheckDeterminism())
		})
	}
}

// TestResetWhileIdleDials: the server resets a kept-alive connection
// while it is idle in the client's pool. simhttp's Transport, as
// net/http's (TestRetryOnResetKeptConnectionOnLoopback), sees the reset
// then and drops the connection, so the next request dials, whatever its
// method and body: none is written to the reset connection.
func TestResetWhileIdleDials(t *testing.T) {
	for _, tc := range retryCases {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				p := s.Providers()
				accepted := serveThenResetSim(s, "10.0.0.1")
				ctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
				defer cancel()
				body, err := twoRequests(ctx, simhttp.NewClient(p), "http://10.0.0.1/", tc, false, func() {
					p.Time.Sleep(ctx, time.Second) // the reset arrives
				})
				require.NoError(s, err)
				assert.Equal(s, "ok", body)
				assert.Equal(s, int64(2), accepted.Load(), "sent on a second connection")
			}, quiet(), simtest.Seeds(10), simtest.CheckDeterminism())
		})
	}
}

// serveThenResetSim runs serveThenReset on host, resetting each
// connection 100 ms after its answer, and returns its count of
// connections.
func serveThenResetSim(s *simtest.S, host string) *atomic.Int64 {
	sp := s.HostProviders(host)
	l, err := sp.Network.Listen(s.Context(), ":80")
	require.NoError(s, err)
	var accepted atomic.Int64
	sp.Task.Go(s.Context(), "server", func(ctx context.Context) error {
		serveThenReset(l, &accepted, func(f func()) {
			sp.Task.Go(ctx, "conn", func(context.Context) error { f(); return nil })
		}, func() { sp.Time.Sleep(ctx, 100*time.Millisecond) })
		return nil
	})
	return &accepted
}

// TestRetryOnResetKeptConnectionOnLoopback: the server resets a
// kept-alive connection while it is idle, over loopback, net/http's
// Transport beside simhttp's over providers.Real: each sees the reset
// while the connection is idle and dials anew for the next request, even
// a POST whose body it cannot have again.
func TestRetryOnResetKeptConnectionOnLoopback(t *testing.T) {
	for _, tc := range retryCases {
		eachLoopbackClient(t, tc.name, func(t *testing.T, ctx context.Context, c *http.Client, l net.Listener) {
			var accepted atomic.Int64
			// Each connection is reset once the client has read its
			// answer, which a reset that came first would discard: the
			// first once the GET's body is read, the next once the test
			// is done. Waiting for those, and for the client to close the
			// first, not for times a loaded machine may overrun, keeps
			// the answers whole and the next request off the connection.
			read, done := make(chan struct{}), make(chan struct{})
			defer close(done)
			var resets atomic.Int64
			go serveThenReset(l, &accepted, func(f func()) { go f() }, func() {
				ch := done
				if resets.Add(1) == 1 {
					ch = read
				}
				select {
				case <-ch:
				case <-ctx.Done():
				}
			})
			closed := clientCloses(t, c)
			body, err := twoRequests(ctx, c, "http://"+l.Addr().String()+"/", tc, false, func() {
				close(read)
				select {
				case <-closed:
				case <-ctx.Done():
				}
			})
			require.NoError(t, err)
			assert.Equal(t, "ok", body)
			assert.Equal(t, int64(2), accepted.Load())
		})
	}
}

// errBodyGone is the error of a GetBody that cannot give the body again.
var errBodyGone = errors.New("the body is gone")

// postWithFailingGetBody is a POST whose GetBody fails: a request that
// could be sent again, were its body still to be had.
func postWithFailingGetBody(ctx context.Context, url string) *http.Request {
	req := newRequest(ctx, http.MethodPost, url, bytes.NewReader([]byte("deposit 5")))
	req.GetBody = func() (io.ReadCloser, error) { return nil, errBodyGone }
	return req
}

// TestRetryWhoseGetBodyFailsGivesItsError: a POST none of which could be
// written on a reset kept-alive connection is sent again on a new one,
// but its GetBody fails. The caller gets GetBody's error, as net/http's
// Transport returns it from rewindBody
// (TestRetryWhoseGetBodyFailsOnLoopback), not the reset that led to the
// retry; nothing is sent again.
func TestRetryWhoseGetBodyFailsGivesItsError(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		accepted := serveThenResetSim(s, "10.0.0.1")
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
		defer cancel()
		tc := retryCase{new: postWithFailingGetBody}
		_, err := twoRequests(ctx, simhttp.NewClient(p), "http://10.0.0.1/", tc, true, func() {
			p.Time.Sleep(ctx, time.Second) // the reset arrives
		})
		require.ErrorIs(s, err, errBodyGone)
		assert.NotErrorIs(s, err, syscall.ECONNRESET, "the reset led to the retry; GetBody's error is why it failed")
		assert.Equal(s, int64(1), accepted.Load(), "not sent again")
	}, quiet(), simtest.Seeds(10), simtest.CheckDeterminism())
}

// breakable is a connection whose writes fail, with nothing written, once
// broken is set: a kept-alive connection that the next request finds
// reset, with no read on it to tell first.
type breakable struct {
	net.Conn
	broken *atomic.Bool
}

func (c breakable) Write(b []byte) (int, error) {
	if c.broken.Load() {
		return 0, &net.OpError{Op: "write", Net: "tcp", Err: syscall.ECONNRESET}
	}
	return c.Conn.Write(b)
}

// breakableNetwork dials breakable connections.
type breakableNetwork struct {
	providers.Network
	broken *atomic.Bool
}

func (n breakableNetwork) Dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := n.Network.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return breakable{c, n.broken}, nil
}

// TestRetryWhoseGetBodyFailsOnLoopback: the same over loopback, with
// net/http's Transport beside simhttp's over providers.Real, each dialing
// connections whose writes fail once the first answer is read. Each
// sends the POST again, since none of it was written, and returns
// GetBody's error.
func TestRetryWhoseGetBodyFailsOnLoopback(t *testing.T) {
	clients := []struct {
		name string
		new  func(broken *atomic.Bool) http.RoundTripper
	}{
		{"net/http client", func(broken *atomic.Bool) http.RoundTripper {
			return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return breakable{c, broken}, nil
			}}
		}},
		{"simhttp client", func(broken *atomic.Bool) http.RoundTripper {
			p := providers.Real()
			p.Network = breakableNetwork{p.Network, broken}
			return &simhttp.Transport{Providers: p}
		}},
	}
	for _, client := range clients {
		t.Run(client.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			srv := &http.Server{Handler: depositHandler()}
			go srv.Serve(l)
			defer srv.Close()
			var broken atomic.Bool
			tr := client.new(&broken)
			defer tr.(interface{ CloseIdleConnections() }).CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tc := retryCase{new: postWithFailingGetBody}
			_, err = twoRequests(ctx, &http.Client{Transport: tr}, "http://"+l.Addr().String()+"/", tc, false, func() {
				broken.Store(true)
			})
			require.ErrorIs(t, err, errBodyGone)
			assert.NotErrorIs(t, err, syscall.ECONNRESET)
		})
	}
}

// serveThenDrop answers the first request on the first connection
// accepted from l with "ok", then reads the second and closes the
// connection without answering it, as a server that crashes while it
// handles a request; it answers every request on later connections. It
// counts the connections accepted.
func serveThenDrop(l net.Listener, accepted *atomic.Int64, spawn func(func())) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		n := accepted.Add(1)
		spawn(func() {
			defer c.Close()
			br := bufio.NewReader(c)
			for i := 0; ; i++ {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				if n == 1 && i == 1 {
					return
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
		})
	}
}

// droppedCases are requests sent on a kept-alive connection that the
// server closes after reading them, without an answer.
var droppedCases = []struct {
	name string
	new  func(ctx context.Context, url string) *http.Request
	// retried: sent again on a new connection, as net/http sends a
	// request that may be replayed; otherwise the caller gets the read's
	// io.EOF, not "server closed idle connection", which would say the
	// request was never sent.
	retried bool
}{
	{name: "GET", retried: true, new: func(ctx context.Context, url string) *http.Request {
		return newRequest(ctx, http.MethodGet, url, nil)
	}},
	{name: "POST", retried: false, new: func(ctx context.Context, url string) *http.Request {
		return newRequest(ctx, http.MethodPost, url, bytes.NewReader([]byte("deposit 5")))
	}},
	{name: "DELETE", retried: false, new: func(ctx context.Context, url string) *http.Request {
		return newRequest(ctx, http.MethodDelete, url, nil)
	}},
}

// checkDropped checks what the request of a dropped case gave: body and
// err of the second request, accepted connections.
func checkDropped(t require.TestingT, retried bool, body string, err error, accepted int64) {
	if retried {
		require.NoError(t, err)
		assert.Equal(t, "ok", body)
		assert.Equal(t, int64(2), accepted)
		return
	}
	require.ErrorIs(t, err, io.EOF)
	assert.NotContains(t, err.Error(), "server closed idle connection")
	assert.Equal(t, int64(1), accepted)
}

// TestDroppedRequestOnKeptConnectionGivesEOF: a request written on a
// kept-alive connection that the server then closes without an answer is
// sent again if it may be replayed, and otherwise fails with the read's
// io.EOF, as with net/http's Transport
// (TestDroppedRequestOnKeptConnectionOnLoopback).
func TestDroppedRequestOnKeptConnectionGivesEOF(t *testing.T) {
	for _, tc := range droppedCases {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				sp := s.HostProviders("10.0.0.1")
				l, err := sp.Network.Listen(s.Context(), ":80")
				require.NoError(s, err)
				var accepted atomic.Int64
				sp.Task.Go(s.Context(), "server", func(ctx context.Context) error {
					serveThenDrop(l, &accepted, func(f func()) {
						sp.Task.Go(ctx, "conn", func(context.Context) error { f(); return nil })
					})
					return nil
				})
				ctx, cancel := s.Providers().Time.WithTimeout(s.Context(), time.Minute)
				defer cancel()
				body, err := twoRequests(ctx, simhttp.NewClient(s.Providers()), "http://10.0.0.1/", retryCase{new: tc.new}, false, func() {})
				checkDropped(s, tc.retried, body, err, accepted.Load())
			}, quiet(), simtest.Seeds(10), simtest.CheckDeterminism())
		})
	}
}

// TestDroppedRequestOnKeptConnectionOnLoopback: the check of
// TestDroppedRequestOnKeptConnectionGivesEOF over loopback, net/http's
// Transport beside simhttp's over providers.Real.
func TestDroppedRequestOnKeptConnectionOnLoopback(t *testing.T) {
	for _, tc := range droppedCases {
		eachLoopbackClient(t, tc.name, func(t *testing.T, ctx context.Context, c *http.Client, l net.Listener) {
			var accepted atomic.Int64
			go serveThenDrop(l, &accepted, func(f func()) { go f() })
			body, err := twoRequests(ctx, c, "http://"+l.Addr().String()+"/", retryCase{new: tc.new}, false, func() {})
			checkDropped(t, tc.retried, body, err, accepted.Load())
		})
	}
}

// TestDroppedPostWhoseWriteReturnsLate: a POST on a kept-alive connection
// that the server reads and then closes without an answer is not sent
// again, even when the connection's Write returns only after the server
// has seen the request and closed, so that the reader meets the close
// before the writer has counted a byte: the request was written, whatever
// the count said when the read failed.
func TestDroppedPostWhoseWriteReturnsLate(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var accepted atomic.Int64
	go serveThenDrop(l, &accepted, func(f func()) { go f() })
	p := providers.Real()
	p.Network = lateWriteNetwork{p.Network}
	tr := &simhttp.Transport{Providers: p}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	post := droppedCases[1]
	require.Equal(t, http.MethodPost, post.name)
	body, err := twoRequests(ctx, &http.Client{Transport: tr}, "http://"+l.Addr().String()+"/", retryCase{new: post.new}, false, func() {})
	checkDropped(t, post.retried, body, err, accepted.Load())
}

// lateWriteNetwork dials connections whose Write returns a while after it
// has written: the window in which a peer may read, answer and close
// before the writer goes on.
type lateWriteNetwork struct{ providers.Network }

func (n lateWriteNetwork) Dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := n.Network.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return lateWriteConn{c}, nil
}

type lateWriteConn struct{ net.Conn }

func (c lateWriteConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	time.Sleep(50 * time.Millisecond)
	return n, err
}

// TestPostBlockedInItsWriteWhenTheServerHangsUp: a POST whose body fills
// the connection's buffers, to a server that reads none of it and then
// shuts its side down, fails at once with the read's io.EOF, and is not
// sent again. The failure waits for the Write under way, to count what
// it wrote; the close of the connection ends that Write, parked on a full
// socket, so the wait does not last.
func TestPostBlockedInItsWriteWhenTheServerHangsUp(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		sp := s.HostProviders("10.0.0.1")
		l, err := sp.Network.Listen(s.Context(), ":80")
		require.NoError(s, err)
		var accepted atomic.Int64
		sp.Task.Go(s.Context(), "server", func(ctx context.Context) error {
			for {
				c, err := l.Accept()
				if err != nil {
					return nil
				}
				accepted.Add(1)
				sp.Task.Go(ctx, "conn", func(context.Context) error {
					sp.Time.Sleep(ctx, time.Second) // the client's body fills the buffers
					require.NoError(s, c.(interface{ CloseWrite() error }).CloseWrite())
					return nil // c stays open, unread
				})
			}
		})
		p := s.Providers()
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
		defer cancel()
		body := bytes.NewReader(make([]byte, 4<<20))
		_, err = simhttp.NewClient(p).Do(newRequest(ctx, http.MethodPost, "http://10.0.0.1/", body))
		require.ErrorIs(s, err, io.EOF)
		require.NoError(s, ctx.Err(), "the request failed before its deadline")
		assert.Equal(s, int64(1), accepted.Load(), "not sent again")
		assert.Positive(s, body.Len(), "the body was not all read: the writer was blocked on the full socket")
	}, quiet(), simtest.Seeds(10), simtest.CheckDeterminism())
}
