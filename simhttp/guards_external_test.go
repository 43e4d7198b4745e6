package simhttp_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// stuckHandler blocks outside the simulation: the guards must name it.
func stuckHandler(w http.ResponseWriter, r *http.Request) {
	<-make(chan struct{})
}

// TestStuckHandlerIsNamed runs a simulation whose handler never returns,
// in a child process, and checks that the failure names the connection's
// task and the handler.
func TestStuckHandlerIsNamed(t *testing.T) {
	if os.Getenv("SIMHTTP_STUCK_CHILD") == "1" {
		simtest.Run(t, func(s *simtest.S) {
			serve(s, "10.0.0.1", http.HandlerFunc(stuckHandler))
			simhttp.NewClient(s.Providers()).Get("http://10.0.0.1/")
		}, quiet(), simtest.Seeds(1), simtest.KeepFailures(false), simtest.Watchdog(200*time.Millisecond))
		return
	}
	if testing.Short() {
		t.Skip("runs the test binary again as a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStuckHandlerIsNamed$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SIMHTTP_STUCK_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the child's simulation fails:\n%s", out)
	assert.Contains(t, string(out), "http conn from 10.0.0.254:")
	assert.Contains(t, string(out), "stuckHandler")
}

// TestLeakedBodyIsReported leaves a response body open: the Transport
// names it, and the seed ends without hanging.
func TestLeakedBodyIsReported(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "a body nobody reads")
		}))
		tr := &simhttp.Transport{Providers: s.Providers()}
		c := &http.Client{Transport: tr}
		resp, err := c.Get("http://10.0.0.1/leak")
		require.NoError(s, err)
		require.Equal(s, []string{"GET http://10.0.0.1/leak"}, tr.OpenBodies())
		resp.Body.Close()
		require.Empty(s, tr.OpenBodies())
		_, err = c.Get("http://10.0.0.1/leak-again") // left open to the end of the seed
		require.NoError(s, err)
	}, quiet(), simtest.Seeds(3))
}

// TestFailNowInHandler: a require in a handler fails the seed cleanly, as
// it would in any task.
func TestFailNowInHandler(t *testing.T) {
	if os.Getenv("SIMHTTP_FAILNOW_CHILD") == "1" {
		simtest.Run(t, func(s *simtest.S) {
			serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.Equal(s, "/want", r.URL.Path, "the handler's own check")
			}))
			simhttp.NewClient(s.Providers()).Get("http://10.0.0.1/other")
		}, quiet(), simtest.Seeds(1), simtest.KeepFailures(false))
		return
	}
	if testing.Short() {
		t.Skip("runs the test binary again as a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFailNowInHandler$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SIMHTTP_FAILNOW_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the child's simulation fails:\n%s", out)
	assert.Contains(t, string(out), "the handler's own check")
	assert.Contains(t, string(out), "replay: go test")
	assert.NotContains(t, string(out), "panic:", "no crash of the test binary")
}

// TestNilContextHooksPanicWithTheFix: BaseContext or ConnContext that
// returns nil is a programmer's error; the panic says what to return.
func TestNilContextHooksPanicWithTheFix(t *testing.T) {
	t.Run("BaseContext", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		srv := &simhttp.Server{Providers: providers.Real(), BaseContext: func(net.Listener) context.Context { return nil }}
		assert.PanicsWithValue(t, "simhttp: BaseContext returned a nil context; return the listener's base context, such as context.Background() or one derived from it",
			func() { srv.Serve(context.Background(), l) })
	})
	t.Run("ConnContext", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		c, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		srv := &simhttp.Server{Providers: providers.Real(), ConnContext: func(ctx context.Context, _ net.Conn) context.Context { return nil }}
		assert.PanicsWithValue(t, "simhttp: ConnContext returned a nil context; return the context it is given, or one derived from it",
			func() { srv.Serve(context.Background(), l) })
	})
}

// TestContextHookDroppingTheSimulationPanics: a BaseContext or ConnContext
// that returns context.Background() in a simulation would leave handlers'
// assertions and buggify doing nothing; Serve panics and names the fix.
// One that derives from the context it has serves, and so does
// context.Background() outside a simulation.
func TestContextHookDroppingTheSimulationPanics(t *testing.T) {
	type key struct{}
	background := func(net.Listener) context.Context { return context.Background() }
	connBackground := func(context.Context, net.Conn) context.Context { return context.Background() }
	t.Run("BaseContext", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			sp := s.HostProviders("10.0.0.1")
			l, err := sp.Network.Listen(s.Context(), ":80")
			require.NoError(s, err)
			srv := &simhttp.Server{Providers: sp, BaseContext: background}
			assert.PanicsWithValue(s, "simhttp: BaseContext returned a context without the simulation that Serve's ctx carries, so handlers' assertions and buggify would do nothing and their waits would leave the simulation; derive it from the ctx given to Serve (capture it in the closure) instead of context.Background()",
				func() { srv.Serve(s.Context(), l) })
		}, quiet(), simtest.Seeds(1))
	})
	t.Run("ConnContext", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			sp := s.HostProviders("10.0.0.1")
			l, err := sp.Network.Listen(s.Context(), ":80")
			require.NoError(s, err)
			c, err := s.Providers().Network.Dial(s.Context(), "10.0.0.1:80")
			require.NoError(s, err)
			defer c.Close()
			srv := &simhttp.Server{Providers: sp, ConnContext: connBackground}
			assert.PanicsWithValue(s, "simhttp: ConnContext returned a context without the simulation of the context it is given, so handlers' assertions and buggify would do nothing and their waits would leave the simulation; derive it from the context it is given instead of context.Background()",
				func() { srv.Serve(s.Context(), l) })
		}, quiet(), simtest.Seeds(1))
	})
	t.Run("derived in a simulation", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			srv, _ := serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, r.Context().Value(key{}).(string))
			}))
			ctx := s.Context()
			srv.BaseContext = func(net.Listener) context.Context { return context.WithValue(ctx, key{}, "base") }
			srv.ConnContext = func(ctx context.Context, _ net.Conn) context.Context { return ctx }
			resp, err := simhttp.NewClient(s.Providers()).Get("http://10.0.0.1/")
			require.NoError(s, err)
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			require.NoError(s, err)
			assert.Equal(s, "base", string(b))
		}, quiet(), simtest.Seeds(1))
	})
	t.Run("background in production", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		srv := &simhttp.Server{Providers: providers.Real(), BaseContext: background, ConnContext: connBackground,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
		go srv.Serve(context.Background(), l)
		defer srv.Close()
		resp, err := http.Get("http://" + l.Addr().String() + "/")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, "ok", string(b))
	})
}

// A nil listener to Serve, and a negative MaxResponseHeaderBytes, are
// refused with errors that name them; they used to be a nil dereference
// and a bare EOF for every response.
func TestBadSettingsAreNamed(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		srv := &simhttp.Server{Providers: s.HostProviders("10.0.0.1")}
		assert.EqualError(s, srv.Serve(s.Context(), nil), "simhttp: Server.Serve: the listener is nil; pass the one that Providers.Network.Listen returned, or call ListenAndServe")

		serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
		c := &http.Client{Transport: &simhttp.Transport{Providers: s.Providers(), MaxResponseHeaderBytes: -1}}
		_, err := c.Get("http://10.0.0.1/")
		assert.ErrorContains(s, err, "simhttp: Transport.MaxResponseHeaderBytes is -1; give a positive limit in bytes, or zero for 10 MB")
	}, quiet(), simtest.Seeds(1))
}
