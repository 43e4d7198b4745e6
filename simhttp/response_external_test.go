package simhttp_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
)

// cannedServer answers every connection's first request with raw bytes,
// then closes it.
func cannedServer(t *testing.T, raw string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				http.ReadRequest(bufio.NewReader(c))
				io.WriteString(c, raw)
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// fetch gets base/ and reads the whole body; it returns the error, from
// the round trip or the body, without the url.Error around it.
func fetch(c *http.Client, base string) error {
	resp, err := c.Get(base + "/")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// TestMalformedResponses: a malformed answer gives the client the error
// net/http's Transport gives.
func TestMalformedResponses(t *testing.T) {
	cases := []struct{ name, raw string }{
		{"truncated header", "HTTP/1.1 200 OK\r\nContent-Le"},
		{"bad status line", "HTTP/1.1 two hundred\r\n\r\n"},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"},
		{"huge header", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("y", 4<<10) + "\r\n\r\n"},
		{"nothing", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := cannedServer(t, tc.raw)
			ours := fetch(&http.Client{Transport: &simhttp.Transport{Providers: providers.Real(), MaxResponseHeaderBytes: 1 << 10}}, base)
			theirs := fetch(&http.Client{Transport: &http.Transport{MaxResponseHeaderBytes: 1 << 10}}, base)
			require.Error(t, theirs)
			require.Error(t, ours)
			assert.Equal(t, theirs.Error(), ours.Error(), "as net/http's Transport")
		})
	}
}
