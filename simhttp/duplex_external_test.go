package simhttp_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// duplexEcho answers each line of the request's body as it comes, having
// sent its header first: it reads the body after it began to answer,
// which EnableFullDuplex allows.
func duplexEcho() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.EnableFullDuplex(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		rc.Flush()
		lines := bufio.NewScanner(r.Body)
		for lines.Scan() {
			io.WriteString(w, "echo: "+lines.Text()+"\n")
			rc.Flush()
		}
	})
}

// chanBody is a request body whose bytes a test sends, one piece at a
// time, over a providers.Chan: what io.Pipe is outside a simulation.
type chanBody struct {
	ctx  context.Context
	ch   *providers.Chan[string]
	left string
}

func (b *chanBody) Read(p []byte) (int, error) {
	if b.left == "" {
		s, ok, err := b.ch.Recv(b.ctx)
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, io.EOF
		}
		b.left = s
	}
	n := copy(p, b.left)
	b.left = b.left[n:]
	return n, nil
}

// TestAFullDuplexHandlerAnswersAsTheBodyComes: a handler that enabled
// full duplex echoes each line of the body before the next is sent, and
// the client reads each echo while its body is still open, as with
// net/http's server.
func TestAFullDuplexHandlerAnswersAsTheBodyComes(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		serve(s, "10.0.0.1", duplexEcho())
		p := s.Providers()
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
		defer cancel()
		lines := providers.NewChan[string](p.Task, 0)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://10.0.0.1/", &chanBody{ctx: ctx, ch: lines})
		require.NoError(s, err)
		done := p.Task.Go(ctx, "client", func(ctx context.Context) error {
			resp, err := simhttp.NewClient(p).Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			echoes := bufio.NewReader(resp.Body)
			for _, line := range []string{"one", "two", "three"} {
				if err := lines.Send(ctx, line+"\n"); err != nil {
					return err
				}
				got, err := echoes.ReadString('\n')
				if err != nil {
					return err
				}
				assert.Equal(s, "echo: "+line+"\n", got, "the echo comes while the body is still open")
			}
			lines.Close()
			rest, err := io.ReadAll(echoes)
			assert.Empty(s, rest)
			return err
		})
		require.NoError(s, done.Join(ctx))
	}, quiet(), simtest.Seeds(10), simtest.CheckDeterminism())
}

// TestAFullDuplexHandlerOnLoopback: the echo of
// TestAFullDuplexHandlerAnswersAsTheBodyComes between each server and
// each client over loopback, the body an io.Pipe.
func TestAFullDuplexHandlerOnLoopback(t *testing.T) {
	eachLoopbackPair(t, duplexEcho(), func(t *testing.T, ctx context.Context, c *http.Client, base string) {
		pr, pw := io.Pipe()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base, pr)
		require.NoError(t, err)
		resp, err := c.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		echoes := bufio.NewReader(resp.Body)
		for _, line := range []string{"one", "two"} {
			_, err := io.WriteString(pw, line+"\n")
			require.NoError(t, err)
			got, err := echoes.ReadString('\n')
			require.NoError(t, err)
			assert.Equal(t, "echo: "+line+"\n", got)
		}
		pw.Close()
		rest, err := io.ReadAll(echoes)
		require.NoError(t, err)
		assert.Empty(t, rest)
	})
}
