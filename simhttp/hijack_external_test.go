package simhttp_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// echoUpgrade switches a request asking for Upgrade: echo to a protocol
// of its own over the hijacked connection, as a websocket handler does:
// it answers each line the client sends with "echo: " and the line, until
// the client closes. A request without the header gets 426.
func echoUpgrade() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			w.WriteHeader(http.StatusUpgradeRequired)
			return
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		if _, err := w.Write([]byte("x")); err != http.ErrHijacked {
			return // the writer is done with: the test sees no echo
		}
		buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		buf.Flush()
		for {
			line, err := buf.ReadString('\n')
			if err != nil {
				return
			}
			buf.WriteString("echo: " + line)
			buf.Flush()
		}
	})
}

// upgradeAndEcho asks base to switch to echo, sends two lines over the
// connection the client hands back as the Body, and returns what came
// back.
func upgradeAndEcho(ctx context.Context, c *http.Client, base string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/echo", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo")
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return "", &plainError{resp.Status}
	}
	rw, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		return "", &plainError{"the Body of a 101 is not an io.ReadWriteCloser"}
	}
	r := bufio.NewReader(rw)
	var got strings.Builder
	for _, line := range []string{"one\n", "two\n"} {
		if _, err := io.WriteString(rw, line); err != nil {
			return got.String(), err
		}
		back, err := r.ReadString('\n')
		got.WriteString(back)
		if err != nil {
			return got.String(), err
		}
	}
	return got.String(), nil
}

type plainError struct{ s string }

func (e *plainError) Error() string { return e.s }

// TestHijackUpgradesConnection: a handler that hijacks its connection
// speaks its own protocol over it, in a simulation, and simhttp's client
// hands the switched connection back as the 101's Body, as net/http's
// does (TestHijackUpgradesConnectionOnLoopback). The server no longer
// counts the connection: Shutdown does not wait for it.
func TestHijackUpgradesConnection(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		srv, _ := serve(s, "10.0.0.1", echoUpgrade())
		var states []http.ConnState
		srv.ConnState = func(_ net.Conn, st http.ConnState) { states = append(states, st) }
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
		defer cancel()
		got, err := upgradeAndEcho(ctx, simhttp.NewClient(p), "http://10.0.0.1")
		require.NoError(s, err)
		assert.Equal(s, "echo: one\necho: two\n", got)
		assert.Equal(s, []http.ConnState{http.StateNew, http.StateActive, http.StateHijacked}, states)
		sctx, scancel := p.Time.WithTimeout(s.Context(), time.Second)
		defer scancel()
		require.NoError(s, srv.Shutdown(sctx))
	}, quiet(), simtest.Seeds(10), simtest.CheckDeterminism())
}

// TestHijackUpgradesConnectionOnLoopback: the upgrade of
// TestHijackUpgradesConnection between each server and each client.
func TestHijackUpgradesConnectionOnLoopback(t *testing.T) {
	eachLoopbackPair(t, echoUpgrade(), func(t *testing.T, ctx context.Context, c *http.Client, base string) {
		got, err := upgradeAndEcho(ctx, c, base)
		require.NoError(t, err)
		assert.Equal(t, "echo: one\necho: two\n", got)
	})
}

// rawUpgrade sends the upgrade request and the first line of the new
// protocol in one write, so the server has read past the request when
// the handler hijacks, and returns all the server sends until it closes
// (the client closes its writing side first).
func rawUpgrade(c net.Conn) (string, error) {
	if _, err := io.WriteString(c, "GET /echo HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\none\n"); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	return resp.Status + "|" + line, err
}

// TestHijackKeepsWhatTheServerReadAhead: bytes the client sent right
// behind the request reach the handler through the hijacked reader, in a
// simulation and on loopback, for net/http's server and simhttp's.
func TestHijackKeepsWhatTheServerReadAhead(t *testing.T) {
	const want = "101 Switching Protocols|echo: one\n"
	t.Run("simulation", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			serve(s, "10.0.0.1", echoUpgrade())
			c, err := s.Providers().Network.Dial(s.Context(), "10.0.0.1:80")
			require.NoError(s, err)
			defer c.Close()
			got, err := rawUpgrade(c)
			require.NoError(s, err)
			assert.Equal(s, want, got)
		}, quiet(), simtest.Seeds(10), simtest.CheckDeterminism())
	})
	t.Run("simulation, a byte read by the watch for the client's close", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			p := s.Providers()
			sp := s.HostProviders("10.0.0.1")
			serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sp.Time.Sleep(r.Context(), 100*time.Millisecond) // the line arrives meanwhile
				echoUpgrade().ServeHTTP(w, r)
			}))
			c, err := p.Network.Dial(s.Context(), "10.0.0.1:80")
			require.NoError(s, err)
			defer c.Close()
			_, err = io.WriteString(c, "GET /echo HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
			require.NoError(s, err)
			p.Time.Sleep(s.Context(), 10*time.Millisecond)
			_, err = io.WriteString(c, "one\n")
			require.NoError(s, err)
			r := bufio.NewReader(c)
			resp, err := http.ReadResponse(r, nil)
			require.NoError(s, err)
			line, err := r.ReadString('\n')
			require.NoError(s, err)
			assert.Equal(s, want, resp.Status+"|"+line)
		}, quiet(), simtest.Seeds(10), simtest.CheckDeterminism())
	})
	for _, name := range []string{"net/http server", "simhttp server"} {
		t.Run(name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			if name == "net/http server" {
				srv := &http.Server{Handler: echoUpgrade()}
				go srv.Serve(l)
				defer srv.Close()
			} else {
				srv := &simhttp.Server{Providers: providers.Real(), Handler: echoUpgrade()}
				go srv.Serve(context.Background(), l)
				defer srv.Close()
			}
			c, err := net.Dial("tcp", l.Addr().String())
			require.NoError(t, err)
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			got, err := rawUpgrade(c)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

// TestASwitchedBodysFirstReadWaitsForData: the first Read of a 101's Body,
// with nothing read ahead behind the answer, waits for what the server
// sends, as net/http's does, where it returned 0 bytes and no error.
func TestASwitchedBodysFirstReadWaitsForData(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p, sp := s.Providers(), s.HostProviders("10.0.0.1")
		serve(s, "10.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			buf.Flush()
			sp.Time.Sleep(r.Context(), time.Second) // the client reads meanwhile
			buf.WriteString("hi\n")
			buf.Flush()
		}))
		req, err := http.NewRequestWithContext(s.Context(), http.MethodGet, "http://10.0.0.1/", nil)
		require.NoError(s, err)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "echo")
		resp, err := simhttp.NewClient(p).Do(req)
		require.NoError(s, err)
		defer resp.Body.Close()
		require.Equal(s, http.StatusSwitchingProtocols, resp.StatusCode)
		buf := make([]byte, 16)
		n, err := resp.Body.Read(buf)
		require.NoError(s, err)
		assert.Equal(s, "hi\n", string(buf[:n]))
	}, quiet(), simtest.Seeds(10))
}
