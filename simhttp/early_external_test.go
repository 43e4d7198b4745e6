package simhttp_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// limitedUpload stores uploads of at most 1 KiB and answers a larger one
// with 413 as soon as it passes the limit, leaving the rest unread.
func limitedUpload() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "upload too large", http.StatusRequestEntityTooLarge)
			return
		}
		io.WriteString(w, "stored")
	})
}

// earlyCase is a request that a server refuses before reading all of it.
type earlyCase struct {
	name       string
	header     int // bytes of an extra header
	body       int // bytes of body
	wantStatus int
	wantBody   string
}

var earlyCases = []earlyCase{
	// Past the 256 KiB a server reads of an unread body to keep the
	// connection, so it closes the connection under the client's upload.
	{name: "413 body past the discard", body: 300 << 10, wantStatus: http.StatusRequestEntityTooLarge, wantBody: "upload too large\n"},
	// Far past it, and past what the network buffers: the client is
	// still writing when the answer comes.
	{name: "413 body of 4 MiB", body: 4 << 20, wantStatus: http.StatusRequestEntityTooLarge, wantBody: "upload too large\n"},
	// Within it: read and dropped.
	{name: "413 body within the discard", body: 8 << 10, wantStatus: http.StatusRequestEntityTooLarge, wantBody: "upload too large\n"},
	// Past MaxHeaderBytes (1 KiB here, and 4 KiB of slack).
	{name: "431 header", header: 32 << 10, wantStatus: http.StatusRequestHeaderFieldsTooLarge, wantBody: "431 Request Header Fields Too Large"},
}

// earlyRequest sends c's request for tc to base and returns the status
// and body, or the error.
func earlyRequest(ctx context.Context, c *http.Client, base string, tc earlyCase) (int, string, error) {
	var body io.Reader
	if tc.body > 0 {
		body = strings.NewReader(strings.Repeat("u", tc.body))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/upload", body)
	if err != nil {
		return 0, "", err
	}
	if tc.header > 0 {
		req.Header.Set("X-Big", strings.Repeat("h", tc.header))
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestEarlyAnswerOnLoopback: net/http's server answers a request it
// refuses before reading all of it, and net/http's client gets the
// answer; so do simhttp's, on loopback in production, each against the
// other's counterpart. TestEarlyAnswerInSimulation checks the same in a
// simulation.
func TestEarlyAnswerOnLoopback(t *testing.T) {
	servers := []struct {
		name  string
		start func(l net.Listener) (stop func() error)
	}{
		{"net/http server", func(l net.Listener) func() error {
			srv := &http.Server{Handler: limitedUpload(), MaxHeaderBytes: 1 << 10, ErrorLog: discardLog()}
			go srv.Serve(l)
			return srv.Close
		}},
		{"simhttp server", func(l net.Listener) func() error {
			srv := &simhttp.Server{Providers: providers.Real(), Handler: limitedUpload(), MaxHeaderBytes: 1 << 10, ErrorLog: discardLog()}
			go srv.Serve(context.Background(), l)
			return srv.Close
		}},
	}
	for _, tc := range earlyCases {
		for _, srv := range servers {
			eachLoopbackClient(t, tc.name+"/"+srv.name, func(t *testing.T, ctx context.Context, c *http.Client, l net.Listener) {
				defer srv.start(l)()
				code, body, err := earlyRequest(ctx, c, "http://"+l.Addr().String(), tc)
				require.NoError(t, err)
				assert.Equal(t, tc.wantStatus, code)
				assert.Equal(t, tc.wantBody, body)
			})
		}
	}
}

// TestEarlyAnswerInSimulation: simhttp's server and client, over the
// simulated network, give the answer net/http's give on loopback.
func TestEarlyAnswerInSimulation(t *testing.T) {
	for _, tc := range earlyCases {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				srv, _ := serve(s, "10.0.0.1", limitedUpload())
				srv.MaxHeaderBytes = 1 << 10
				ctx, cancel := s.Providers().Time.WithTimeout(s.Context(), time.Minute)
				defer cancel()
				code, body, err := earlyRequest(ctx, simhttp.NewClient(s.Providers()), "http://10.0.0.1", tc)
				require.NoError(s, err)
				assert.Equal(s, tc.wantStatus, code)
				assert.Equal(s, tc.wantBody, body)
			}, quiet(), simtest.Seeds(20), simtest.CheckDeterminism())
		})
	}
}

// rejectUnread answers 401 without reading the request's body, as an
// auth check in front of an upload does.
func rejectUnread() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	})
}

// expectRequest PUTs size bytes with Expect: 100-continue to base and
// returns the status, or the error.
func expectRequest(ctx context.Context, c *http.Client, base string, size int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, base+"/upload", strings.NewReader(strings.Repeat("y", size)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Expect", "100-continue")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return resp.StatusCode, err
}

// TestExpectContinueAnsweredUnread: a handler that answers an upload sent
// with Expect: 100-continue without reading it gets its answer to the
// client, which (simhttp's Transport, and net/http's without an
// ExpectContinueTimeout) sends the body without waiting for the 100
// Continue: the server closes the connection after the answer, and does
// not reset it under the client's upload. With no faults, every seed.
func TestExpectContinueAnsweredUnread(t *testing.T) {
	for _, size := range []int{100 << 10, 300 << 10, 4 << 20} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				serve(s, "10.0.0.1", rejectUnread())
				ctx, cancel := s.Providers().Time.WithTimeout(s.Context(), time.Minute)
				defer cancel()
				code, err := expectRequest(ctx, simhttp.NewClient(s.Providers()), "http://10.0.0.1", size)
				require.NoError(s, err)
				assert.Equal(s, http.StatusUnauthorized, code)
			}, quiet(), simtest.Seeds(30), simtest.CheckDeterminism())
		})
	}
}

// TestExpectContinueAnsweredUnreadOnLoopback: the same on loopback, with
// net/http's server and simhttp's, and each client.
func TestExpectContinueAnsweredUnreadOnLoopback(t *testing.T) {
	eachLoopbackPair(t, rejectUnread(), func(t *testing.T, ctx context.Context, c *http.Client, base string) {
		code, err := expectRequest(ctx, c, base, 100<<10)
		require.NoError(t, err)
		assert.Equal(t, http.StatusUnauthorized, code)
	})
}

// uploadTwice sends two uploads of size bytes to base, each answered 413.
func uploadTwice(t require.TestingT, ctx context.Context, c *http.Client, base string, size int) {
	for range 2 {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/upload", strings.NewReader(strings.Repeat("u", size)))
		require.NoError(t, err)
		resp, err := c.Do(req)
		require.NoError(t, err)
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		assert.True(t, resp.Close, "the answer says the connection closes")
	}
}

// A 413 to an upload past an http.MaxBytesReader's limit closes the
// connection, as net/http's server closes it, even when the rest of the
// body is short enough to be read and dropped: simhttp's server as
// net/http's on loopback, and in a simulation. The next upload dials.
func TestA413ToAnUploadPastItsLimitClosesTheConnection(t *testing.T) {
	const size = 8 << 10 // within the 256 KiB a server reads of an unread body
	counting := func(conns *atomic.Int32) func(net.Conn, http.ConnState) {
		return func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
	}
	for _, server := range []string{"net/http server", "simhttp server"} {
		eachLoopbackClient(t, server, func(t *testing.T, ctx context.Context, c *http.Client, l net.Listener) {
			var conns atomic.Int32
			if server == "net/http server" {
				srv := &http.Server{Handler: limitedUpload(), ErrorLog: discardLog(), ConnState: counting(&conns)}
				go srv.Serve(l)
				defer srv.Close()
			} else {
				srv := &simhttp.Server{Providers: providers.Real(), Handler: limitedUpload(), ErrorLog: discardLog(), ConnState: counting(&conns)}
				go srv.Serve(context.Background(), l)
				defer srv.Close()
			}
			uploadTwice(t, ctx, c, "http://"+l.Addr().String(), size)
			assert.Equal(t, int32(2), conns.Load())
		})
	}
	t.Run("simulation", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			var conns atomic.Int32
			srv, _ := serve(s, "10.0.0.1", limitedUpload())
			srv.ConnState = counting(&conns)
			ctx, cancel := s.Providers().Time.WithTimeout(s.Context(), time.Minute)
			defer cancel()
			uploadTwice(s, ctx, simhttp.NewClient(s.Providers()), "http://10.0.0.1", size)
			assert.Equal(s, int32(2), conns.Load())
		}, quiet(), simtest.Seeds(5), simtest.CheckDeterminism())
	})
}
