package simhttp_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// trailerCase is a handler that sends trailers one way or another, and
// what a client reads of its answer.
type trailerCase struct {
	name    string
	handler http.HandlerFunc
	want    trailerAnswer
}

// trailerAnswer is what a client reads of an answer with trailers.
type trailerAnswer struct {
	TransferEncoding []string
	ContentLength    int64
	Header           http.Header // Trailer and the keys named in it, if sent as headers
	Body             string
	Trailer          http.Header
}

var trailerCases = []trailerCase{
	{
		name: "declared",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "X-Checksum, X-Count")
			io.WriteString(w, "data")
			w.Header().Set("X-Checksum", "abc")
			w.Header().Set("X-Count", "1")
		},
		want: trailerAnswer{
			TransferEncoding: []string{"chunked"},
			ContentLength:    -1,
			Header:           http.Header{}, // http.ReadResponse takes Trailer out
			Body:             "data",
			Trailer:          http.Header{"X-Checksum": {"abc"}, "X-Count": {"1"}},
		},
	},
	{
		name: "prefixed",
		handler: func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "data")
			w.(http.Flusher).Flush()
			w.Header().Set(http.TrailerPrefix+"X-Late", "late")
		},
		want: trailerAnswer{
			TransferEncoding: []string{"chunked"},
			ContentLength:    -1,
			Header:           http.Header{},
			Body:             "data",
			Trailer:          http.Header{"X-Late": {"late"}},
		},
	},
	{
		name: "prefixed before the header",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(http.TrailerPrefix+"X-Early", "early")
			io.WriteString(w, "data")
		},
		want: trailerAnswer{
			TransferEncoding: []string{"chunked"},
			ContentLength:    -1,
			Header:           http.Header{},
			Body:             "data",
			Trailer:          http.Header{"X-Early": {"early"}},
		},
	},
	{
		// A Content-Length the handler sets wins: no chunks, no trailer.
		name: "declared with a Content-Length",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "X-Checksum")
			w.Header().Set("Content-Length", "4")
			io.WriteString(w, "data")
			w.Header().Set("X-Checksum", "abc")
		},
		want: trailerAnswer{
			ContentLength: 4,
			Header:        http.Header{"Trailer": {"X-Checksum"}},
			Body:          "data",
		},
	},
	{
		// Forbidden in a trailer: dropped, as net/http drops them.
		name: "declared forbidden",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "Content-Type, X-Ok")
			io.WriteString(w, "data")
			w.Header().Set("X-Ok", "ok")
		},
		want: trailerAnswer{
			TransferEncoding: []string{"chunked"},
			ContentLength:    -1,
			Header:           http.Header{},
			Body:             "data",
			// The client keeps the declared key, with no value.
			Trailer: http.Header{"Content-Type": nil, "X-Ok": {"ok"}},
		},
	},
}

// readTrailerAnswer reads the answer to a GET from r, as a client sees it.
func readTrailerAnswer(t require.TestingT, r *bufio.Reader) trailerAnswer {
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	h := http.Header{}
	for _, k := range []string{"Trailer", "X-Checksum", "X-Count", "X-Late", "X-Early", "X-Ok", http.TrailerPrefix + "X-Late", http.TrailerPrefix + "X-Early"} {
		if v, ok := resp.Header[k]; ok {
			h[k] = v
		}
	}
	if len(resp.Trailer) == 0 {
		resp.Trailer = nil
	}
	return trailerAnswer{resp.TransferEncoding, resp.ContentLength, h, string(b), resp.Trailer}
}

// TestResponseTrailersOnLoopback: net/http's server and simhttp's give a
// handler's trailers as the same answer.
func TestResponseTrailersOnLoopback(t *testing.T) {
	for _, tc := range trailerCases {
		for _, srv := range []string{"net/http server", "simhttp server"} {
			t.Run(tc.name+"/"+srv, func(t *testing.T) {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				require.NoError(t, err)
				if srv == "net/http server" {
					s := &http.Server{Handler: tc.handler}
					go s.Serve(l)
					defer s.Close()
				} else {
					s := &simhttp.Server{Providers: providers.Real(), Handler: tc.handler}
					go s.Serve(context.Background(), l)
					defer s.Close()
				}
				c, err := net.Dial("tcp", l.Addr().String())
				require.NoError(t, err)
				defer c.Close()
				io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
				assert.Equal(t, tc.want, readTrailerAnswer(t, bufio.NewReader(c)))
			})
		}
	}
}

// TestResponseTrailersInSimulation: in a simulation, the answer on the
// wire is the one on loopback, and simhttp's client reads the trailers
// into Response.Trailer.
func TestResponseTrailersInSimulation(t *testing.T) {
	for _, tc := range trailerCases {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				p := s.Providers()
				serve(s, "10.0.0.1", tc.handler)
				c, err := p.Network.Dial(s.Context(), "10.0.0.1:80")
				require.NoError(s, err)
				defer c.Close()
				io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
				assert.Equal(s, tc.want, readTrailerAnswer(s, bufio.NewReader(c)))

				resp, err := simhttp.NewClient(p).Get("http://10.0.0.1/")
				require.NoError(s, err)
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				require.NoError(s, err)
				assert.Equal(s, tc.want.Body, string(b))
				want := tc.want.Trailer
				if want == nil {
					want = http.Header{}
				}
				got := resp.Trailer
				if got == nil {
					got = http.Header{}
				}
				assert.Equal(s, want, got)
			}, quiet(), simtest.Seeds(3), simtest.CheckDeterminism())
		})
	}
}
