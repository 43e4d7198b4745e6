package simhttp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// items is an unmodified net/http service: a ServeMux with method and
// wildcard patterns.
func items() http.Handler {
	store := map[string]string{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		v, ok := store[r.PathValue("id")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, v)
	})
	mux.HandleFunc("PUT /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		store[r.PathValue("id")] = string(b)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		for i := range 3 {
			fmt.Fprintf(w, "part %d\n", i)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 10000))
	})
	mux.HandleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]int{"n": 1})
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	mux.HandleFunc("GET /abort", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	return mux
}

// exercise runs the same client calls against a server at base, in a
// simulation or on loopback. With panics, it asks for a handler that
// panics, which the server recovers from; in a simulation such a panic
// fails the seed (TestHandlerPanicFailsTheSeed), so a simulation asks for
// the handler that aborts only.
func exercise(t require.TestingT, c *http.Client, base string, panics bool) {
	put := func(id, body string, chunked bool) {
		var r io.Reader = strings.NewReader(body)
		if chunked {
			r = io.MultiReader(r) // unknown length: sent chunked
		}
		req, err := http.NewRequest(http.MethodPut, base+"/items/"+id, r)
		require.NoError(t, err)
		resp, err := c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
	}
	get := func(path string) (int, string, http.Header) {
		resp, err := c.Get(base + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b), resp.Header
	}
	put("a", "apple", false)
	put("b", strings.Repeat("banana", 1000), true)
	code, body, h := get("/items/a")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "apple", body)
	require.Equal(t, "5", h.Get("Content-Length"))
	require.Equal(t, "text/plain; charset=utf-8", h.Get("Content-Type"))
	code, body, _ = get("/items/b")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, strings.Repeat("banana", 1000), body)
	code, _, _ = get("/items/zzz")
	require.Equal(t, http.StatusNotFound, code)
	code, body, _ = get("/stream")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "part 0\npart 1\npart 2\n", body)
	code, body, _ = get("/big")
	require.Equal(t, http.StatusOK, code)
	require.Len(t, body, 10000)
	code, body, h = get("/json")
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"n":1}`, body)
	require.Equal(t, "application/json", h.Get("Content-Type"))
	resp, err := c.Post(base+"/items/a", "text/plain", strings.NewReader("x"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	if panics {
		_, err = c.Get(base + "/panic")
		require.Error(t, err, "a panicking handler's connection is closed without an answer")
	}
	_, err = c.Get(base + "/abort")
	require.Error(t, err)
	code, body, _ = get("/items/a")
	require.Equal(t, http.StatusOK, code, "the server goes on after a handler's panic")
	require.Equal(t, "apple", body)
}

func TestServeMuxInSimulation(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		sp := s.HostProviders("10.0.0.1")
		l, err := sp.Network.Listen(s.Context(), ":80")
		require.NoError(s, err)
		srv := &simhttp.Server{Providers: sp, Handler: items()}
		sp.Task.Go(s.Context(), "server", func(ctx context.Context) error {
			err := srv.Serve(ctx, l)
			if err != http.ErrServerClosed {
				return err
			}
			return nil
		})
		tr := &simhttp.Transport{Providers: s.Providers()}
		exercise(s, &http.Client{Transport: tr}, "http://10.0.0.1", false)
		require.Empty(s, tr.OpenBodies())
		require.NoError(s, srv.Shutdown(s.Context()))
	}, simtest.Network(chaos.NoNetworkFaults()), simtest.Seeds(20))
}

func TestServeMuxInProduction(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := providers.Real()
	p.Logger = nil
	ctx := context.Background()
	l, err := p.Network.Listen(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	srv := &simhttp.Server{Providers: p, Handler: items(), ErrorLog: discardLog()}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	tr := &simhttp.Transport{Providers: p}
	exercise(t, &http.Client{Transport: tr}, "http://"+l.Addr().String(), true)
	// The same server answers net/http's own client.
	resp, err := http.Get("http://" + l.Addr().String() + "/items/a")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "apple", string(b))
	http.DefaultClient.CloseIdleConnections()
	tr.CloseIdleConnections()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(sctx))
	require.ErrorIs(t, <-done, http.ErrServerClosed)
}

// rawExchange starts a server on loopback with serve, writes raw bytes to
// it and returns the first response's status line.
func rawExchange(t *testing.T, serve func(net.Listener), stop func() error, raw string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go serve(l)
	defer stop()
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, raw)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "closed: " + err.Error()
	}
	return strings.TrimSpace(line)
}

func TestMalformedRequests(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	cases := []struct{ name, raw, want string }{
		{"garbage", "hello\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"no host", "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request: missing required Host header"},
		{"huge header", "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("y", 8<<10) + "\r\n\r\n", "HTTP/1.1 431 Request Header Fields Too Large"},
		{"bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 400 Bad Request"},
		{"unknown encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 501 Not Implemented"},
		{"expectation", "GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", "HTTP/1.1 417 Expectation Failed"},
		{"good", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200 OK"},
		{"HTTP/1.0", "GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK"},
		{"bad version", "GET / HTTP/9.9\r\nHost: a\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version"},
		{"bad content length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 400 Bad Request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := &simhttp.Server{Providers: providers.Real(), Handler: echo, MaxHeaderBytes: 1, ErrorLog: discardLog()}
			got := rawExchange(t, func(l net.Listener) { srv.Serve(context.Background(), l) }, srv.Close, tc.raw)
			assert.Equal(t, tc.want, got)
			// net/http's own server answers the same.
			ref := &http.Server{Handler: echo, MaxHeaderBytes: 1, ErrorLog: discardLog()}
			assert.Equal(t, rawExchange(t, func(l net.Listener) { ref.Serve(l) }, ref.Close, tc.raw), got, "as net/http answers")
		})
	}
}
