package simhttp_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// timedAnswer is what a client reads of an answer from behind a
// TimeoutHandler.
type timedAnswer struct {
	Status int
	X      string
	Body   string
}

func getTimed(ctx context.Context, c *http.Client, url string) (timedAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return timedAnswer{}, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return timedAnswer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return timedAnswer{resp.StatusCode, resp.Header.Get("X-Handler"), string(b)}, err
}

// slowOrFast answers /fast at once, with 201, a header and a body, and
// /slow once its request's context ends or wait has passed; it sends the
// end of its wait and the error of its late Write on late.
func slowOrFast(wait func(ctx context.Context) error, late func(waitErr, writeErr error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Handler", "ran")
		if r.URL.Path == "/fast" {
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, "fast")
			return
		}
		err := wait(r.Context())
		_, werr := io.WriteString(w, "too late")
		late(err, werr)
	})
}

var wantTimed = map[string]timedAnswer{
	"/fast": {http.StatusCreated, "ran", "fast"},
	"/slow": {http.StatusServiceUnavailable, "", "too slow"},
}

// TestTimeoutHandlerOnSimulatedClock: simhttp.TimeoutHandler passes on
// a handler's answer given in time, and answers 503 with its message when
// the time, simulated, runs out; the late handler's context ended with the
// deadline, and its Write fails with http.ErrHandlerTimeout, as under
// http.TimeoutHandler (TestTimeoutHandlerOnLoopback).
func TestTimeoutHandlerOnSimulatedClock(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		sp := s.HostProviders("10.0.0.1")
		type lateEnd struct{ wait, write error }
		late := providers.NewChan[lateEnd](p.Task, 1)
		h := slowOrFast(func(ctx context.Context) error { return sp.Time.Sleep(ctx, time.Hour) },
			func(waitErr, writeErr error) { late.TrySend(lateEnd{waitErr, writeErr}) })
		serve(s, "10.0.0.1", simhttp.TimeoutHandler(sp, h, time.Second, "too slow"))
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
		defer cancel()
		c := simhttp.NewClient(p)
		for _, path := range []string{"/fast", "/slow"} {
			start := p.Time.Now()
			got, err := getTimed(ctx, c, "http://10.0.0.1"+path)
			require.NoError(s, err)
			assert.Equal(s, wantTimed[path], got, path)
			if path == "/slow" {
				assert.GreaterOrEqual(s, p.Time.Now().Sub(start), time.Second)
				assert.Less(s, p.Time.Now().Sub(start), 2*time.Second)
			}
		}
		end, _, err := late.Recv(ctx)
		require.NoError(s, err)
		assert.ErrorIs(s, end.wait, context.DeadlineExceeded)
		assert.ErrorIs(s, end.write, http.ErrHandlerTimeout)
	}, quiet(), simtest.Seeds(5), simtest.CheckDeterminism())
}

// TestTimeoutHandlerOnLoopback: http.TimeoutHandler on net/http's server
// and simhttp.TimeoutHandler on simhttp's, over providers.Real, give the
// same answers.
func TestTimeoutHandlerOnLoopback(t *testing.T) {
	const dt = 50 * time.Millisecond
	servers := []struct {
		name  string
		start func(l net.Listener, h http.Handler) (stop func() error)
	}{
		{"net/http server", func(l net.Listener, h http.Handler) func() error {
			srv := &http.Server{Handler: http.TimeoutHandler(h, dt, "too slow")}
			go srv.Serve(l)
			return srv.Close
		}},
		{"simhttp server", func(l net.Listener, h http.Handler) func() error {
			p := providers.Real()
			srv := &simhttp.Server{Providers: p, Handler: simhttp.TimeoutHandler(p, h, dt, "too slow")}
			go srv.Serve(context.Background(), l)
			return srv.Close
		}},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			late := make(chan [2]error, 1)
			h := slowOrFast(func(ctx context.Context) error {
				timer := time.NewTimer(10 * time.Second)
				defer timer.Stop()
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-timer.C:
					return nil
				}
			}, func(waitErr, writeErr error) { late <- [2]error{waitErr, writeErr} })
			defer srv.start(l, h)()
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for _, path := range []string{"/fast", "/slow"} {
				got, err := getTimed(ctx, &http.Client{Transport: tr}, "http://"+l.Addr().String()+path)
				require.NoError(t, err)
				assert.Equal(t, wantTimed[path], got, path)
			}
			end := <-late
			assert.ErrorIs(t, end[0], context.DeadlineExceeded)
			if srv.name == "net/http server" && end[1] == nil {
				// net/http's handler may see its deadline before the
				// TimeoutHandler takes the writer: its late write then
				// succeeds, and is dropped. simhttp's always fails.
				return
			}
			assert.ErrorIs(t, end[1], http.ErrHandlerTimeout)
		})
	}
}

// TestTimeoutHandlersPanicFailsTheSeed: a panic of the handler behind a
// TimeoutHandler is raised again in the server's task, which in a
// simulation fails the seed naming it, as for any handler's panic.
func TestTimeoutHandlersPanicFailsTheSeed(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		sp := s.HostProviders("10.0.0.1")
		serve(s, "10.0.0.1", simhttp.TimeoutHandler(sp, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic("boom behind the timeout")
		}), time.Second, ""))
		resp, err := simhttp.NewClient(s.Providers()).Get("http://10.0.0.1/")
		if err == nil {
			resp.Body.Close()
		}
	}, quiet(), simtest.Seeds(1))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Contains(t, res.Report, "simhttp: handler panic serving GET / to ")
	assert.Contains(t, res.Report, "boom behind the timeout")
}
