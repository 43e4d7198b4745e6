package simhttp_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// gzipWhenAsked answers "hello, compressed" gzipped when the request asks
// for gzip, and plainly otherwise, as compression middleware does, and
// says which in X-Path.
func gzipWhenAsked() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("X-Path", "plain")
			io.WriteString(w, "hello, plain")
			return
		}
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		io.WriteString(zw, "hello, compressed")
		zw.Close()
		w.Header().Set("X-Path", "gzip")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(b.Bytes())
	})
}

// gzipAnswer is what a client makes of gzipWhenAsked's answer to req.
type gzipAnswer struct {
	Path, Body, ContentEncoding string
	Uncompressed                bool
	ContentLength               int64
}

func getGzip(c *http.Client, req *http.Request) (gzipAnswer, error) {
	resp, err := c.Do(req)
	if err != nil {
		return gzipAnswer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return gzipAnswer{resp.Header.Get("X-Path"), string(b), resp.Header.Get("Content-Encoding"), resp.Uncompressed, resp.ContentLength}, err
}

// compressedAnswer is what net/http's client makes of a gzip answer it
// asked for: the body decompressed, the encoding and length gone.
var compressedAnswer = gzipAnswer{Path: "gzip", Body: "hello, compressed", Uncompressed: true, ContentLength: -1}

// TestTheTransportAsksForGzipAndDecompresses: simhttp's Transport asks for
// gzip as net/http's does, so a handler's compression middleware takes
// its compressed path, and the client reads the answer decompressed.
func TestTheTransportAsksForGzipAndDecompresses(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		serve(s, "10.0.0.1", gzipWhenAsked())
		p := s.Providers()
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
		defer cancel()
		get := func(tr *simhttp.Transport, header string) gzipAnswer {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://10.0.0.1/", nil)
			require.NoError(s, err)
			if header != "" {
				req.Header.Set("Accept-Encoding", header)
			}
			got, err := getGzip(&http.Client{Transport: tr}, req)
			require.NoError(s, err)
			assert.Equal(s, header, req.Header.Get("Accept-Encoding"), "the caller's request is left as it was")
			return got
		}
		assert.Equal(s, compressedAnswer, get(&simhttp.Transport{Providers: p}, ""))
		plain := get(&simhttp.Transport{Providers: p, DisableCompression: true}, "")
		assert.Equal(s, gzipAnswer{Path: "plain", Body: "hello, plain", ContentLength: 12}, plain, "DisableCompression asks for none")
		// A caller that asks for gzip itself gets the bytes as they came.
		raw := get(&simhttp.Transport{Providers: p}, "gzip")
		assert.Equal(s, "gzip", raw.ContentEncoding)
		assert.False(s, raw.Uncompressed)
		zr, err := gzip.NewReader(strings.NewReader(raw.Body))
		require.NoError(s, err)
		b, err := io.ReadAll(zr)
		require.NoError(s, err)
		assert.Equal(s, "hello, compressed", string(b))
	}, quiet(), simtest.Seeds(5), simtest.CheckDeterminism())
}

// TestGzipOnLoopback: each client against each server over loopback gets
// net/http's answer: asked for gzip, decompressed; and a HEAD asks for
// none.
func TestGzipOnLoopback(t *testing.T) {
	eachLoopbackPair(t, gzipWhenAsked(), func(t *testing.T, ctx context.Context, c *http.Client, base string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base, nil)
		require.NoError(t, err)
		got, err := getGzip(c, req)
		require.NoError(t, err)
		assert.Equal(t, compressedAnswer, got)
		head, err := http.NewRequestWithContext(ctx, http.MethodHead, base, nil)
		require.NoError(t, err)
		resp, err := c.Do(head)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, "plain", resp.Header.Get("X-Path"), "a HEAD asks for no gzip")
	})
}
