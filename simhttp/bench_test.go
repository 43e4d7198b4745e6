package simhttp_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// benchHandler answers a small GET with "ok" and a POST with the length
// of its body.
func benchHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /small", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		if n != 4096 {
			http.Error(w, "short body", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "4096")
	})
	return mux
}

var post4K = bytes.Repeat([]byte("p"), 4096)

func doRequests(b *testing.B, c *http.Client, base string, post bool) {
	for range b.N {
		var resp *http.Response
		var err error
		if post {
			resp, err = c.Post(base+"/upload", "application/octet-stream", bytes.NewReader(post4K))
		} else {
			resp, err = c.Get(base + "/small")
		}
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
	}
}

// BenchmarkRequests measures requests per wall second over one kept-alive
// connection, simulated (no network faults) and, as the floor, the same
// handler under httptest.NewServer on loopback with net/http's client.
func BenchmarkRequests(b *testing.B) {
	for _, post := range []bool{false, true} {
		name := "GET"
		if post {
			name = "POST4K"
		}
		b.Run(name+"/sim", func(b *testing.B) {
			simtest.Run(b, func(s *simtest.S) {
				sp := s.HostProviders("10.0.0.1")
				l, err := sp.Network.Listen(s.Context(), ":80")
				if err != nil {
					b.Fatal(err)
				}
				srv := &simhttp.Server{Providers: sp, Handler: benchHandler()}
				sp.Task.Go(s.Context(), "server", func(ctx context.Context) error { srv.Serve(ctx, l); return nil })
				b.ResetTimer()
				doRequests(b, simhttp.NewClient(s.Providers()), "http://10.0.0.1", post)
				b.StopTimer()
			}, quiet(), simtest.Seeds(1), simtest.KeepFailures(false))
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
		b.Run(name+"/loopback", func(b *testing.B) {
			ts := httptest.NewServer(benchHandler())
			defer ts.Close()
			c := ts.Client()
			b.ResetTimer()
			doRequests(b, c, ts.URL, post)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
