package simhttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// An unmodified ServeMux served on a simulated host and called with a
// plain *http.Client.
func ExampleServer() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		p := s.HostProviders("10.0.0.1")
		mux := http.NewServeMux()
		mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello, %s", r.PathValue("name"))
		})
		srv := &simhttp.Server{Providers: p, Handler: mux}
		l, err := p.Network.Listen(s.Context(), ":80")
		if err != nil {
			s.Fatal(err)
		}
		// Serve's task ends as Shutdown begins; the requests in flight keep
		// their contexts and finish.
		p.Task.Go(s.Context(), "http server", func(ctx context.Context) error {
			return srv.Serve(ctx, l)
		})

		resp, err := simhttp.NewClient(s.Providers()).Get("http://10.0.0.1/hello/sim")
		if err != nil {
			s.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		s.Logf("%s", b) // hello, sim
	})
}

// A request bounded on the simulated clock: http.Client's Timeout runs on
// the wall clock, a context from the Time provider does not.
func ExampleNewClient() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		ctx, cancel := p.Time.WithTimeout(s.Context(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://10.0.0.1/", nil)
		resp, err := simhttp.NewClient(p).Do(req)
		if err != nil {
			s.Logf("no answer in time: %v", err)
			return
		}
		resp.Body.Close()
	})
}

// A handler bounded on the simulated clock: the client gets the
// TimeoutHandler's 503 once a second of simulated time has passed, and
// the handler's context ends with it.
func ExampleTimeoutHandler() {
	var got string
	res := simtest.Simulate(func(s *simtest.S) {
		p := s.HostProviders("10.0.0.1")
		slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p.Time.Sleep(r.Context(), time.Minute) != nil {
				return // the time is up: nothing written reaches the client
			}
			fmt.Fprint(w, "done")
		})
		srv := &simhttp.Server{Providers: p, Handler: simhttp.TimeoutHandler(p, slow, time.Second, "too slow")}
		l, err := p.Network.Listen(s.Context(), ":80")
		if err != nil {
			s.Fatal(err)
		}
		p.Task.Go(s.Context(), "http server", func(ctx context.Context) error {
			return srv.Serve(ctx, l)
		})

		start := s.Elapsed()
		resp, err := simhttp.NewClient(s.Providers()).Get("http://10.0.0.1/")
		if err != nil {
			s.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got = fmt.Sprintf("%s %q after %v", resp.Status, b, (s.Elapsed() - start).Round(time.Second))
	}, simtest.Seeds(1), simtest.Network(chaos.NoNetworkFaults()))
	fmt.Println(got, res.OK())
	// Output: 503 Service Unavailable "too slow" after 1s true
}
