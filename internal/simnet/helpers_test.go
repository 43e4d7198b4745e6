package simnet_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// world is one simulated run with a network.
type world struct {
	w    *sim.World
	net  *simnet.Net
	seed uint64
}

// newWorld makes a run of seed with a network of cfg; each of engine, if
// any, changes the engine's configuration first.
func newWorld(t testing.TB, seed uint64, cfg chaos.Network, engine ...func(*sim.Config)) *world {
	t.Helper()
	sc := sim.Config{Seed: seed, Timeline: 1 << 14, TimeBudget: time.Hour}
	for _, f := range engine {
		f(&sc)
	}
	w := sim.New(sc)
	n, err := simnet.New(w, cfg)
	require.NoError(t, err)
	return &world{w: w, net: n, seed: seed}
}

// run runs body as the root task and returns the result.
func (w *world) run(body func(ctx context.Context, p providers.Providers) error) sim.Result {
	return w.w.Run(body)
}

// on returns p with the network and clock of host.
func on(p providers.Providers, h *simnet.Host) providers.Providers {
	p.Network = h
	p.Time = h.Time()
	return p
}

// simulate runs body with hosts "10.0.0.1" (the client, steady) and
// "10.0.0.2" (the server) and fails t on a failed run.
func simulate(t testing.TB, seed uint64, cfg chaos.Network, body func(ctx context.Context, client, server providers.Providers) error) sim.Result {
	t.Helper()
	return newWorld(t, seed, cfg).simulate(t, body)
}

// simulate is the function simulate on w, for tests that use the world or
// its network from body.
func (w *world) simulate(t testing.TB, body func(ctx context.Context, client, server providers.Providers) error) sim.Result {
	t.Helper()
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		return body(ctx, on(p, w.net.SteadyHost("10.0.0.1")), on(p, w.net.Host("10.0.0.2")))
	})
	require.NoError(t, res.Err, "seed %d", w.seed)
	return res
}

// events returns the timeline entries of res that contain substr.
func events(res sim.Result, substr string) []string {
	var out []string
	for _, e := range res.Timeline {
		if strings.Contains(e.Msg, substr) {
			out = append(out, e.String())
		}
	}
	return out
}

// The echo protocol of the fault tests: a frame is a 4-byte length, a
// 4-byte CRC-32 of the payload, and the payload. The server answers each
// frame with the same frame.

const maxFrame = 1 << 20

var errCorrupt = errors.New("corrupt frame")

func writeFrame(w io.Writer, payload []byte) error {
	buf := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(len(payload)))
	binary.BigEndian.PutUint32(buf[4:], crc32.ChecksumIEEE(payload))
	copy(buf[8:], payload)
	_, err := w.Write(buf)
	return err
}

func readFrame(r io.Reader) ([]byte, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxFrame {
		return nil, errCorrupt
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, err
	}
	if crc32.ChecksumIEEE(payload) != binary.BigEndian.Uint32(hdr[4:]) {
		return nil, errCorrupt
	}
	return payload, nil
}

// serveEcho accepts connections on l until it closes, each served by a task
// that echoes frames until an error, then closes the connection.
func serveEcho(ctx context.Context, p providers.Providers, l net.Listener) {
	p.Task.Go(ctx, "accept", func(ctx context.Context) error {
		for {
			c, err := l.Accept()
			if err != nil {
				return nil
			}
			p.Task.Go(ctx, "echo", func(ctx context.Context) error {
				defer c.Close()
				for {
					f, err := readFrame(c)
					if err != nil {
						return nil
					}
					if err := writeFrame(c, f); err != nil {
						return nil
					}
				}
			})
		}
	})
}

// client is a resilient client of the echo protocol: every call has a
// timeout, and any error (refused, reset, timeout, corrupt frame) drops the
// connection and retries after a backoff, on a new connection.
type client struct {
	p       providers.Providers
	addr    string
	timeout time.Duration
	c       net.Conn
	fresh   bool // a new connection for every call
	retries int
	errs    map[string]int // the kinds of error it survived
}

func newClient(p providers.Providers, addr string) *client {
	return &client{p: p, addr: addr, timeout: 200 * time.Millisecond, errs: map[string]int{}}
}

func (cl *client) drop(err error) {
	cl.errs[kind(err)]++
	if cl.c != nil {
		cl.c.Close()
		cl.c = nil
	}
}

// kind names an error for the survival counts.
func kind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, errCorrupt):
		return "corrupt"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op + ": " + oe.Err.Error()
	}
	return err.Error()
}

func (cl *client) call(ctx context.Context, payload []byte) error {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			cl.retries++
			if err := cl.p.Time.Sleep(ctx, min(10*time.Millisecond<<min(attempt, 10), time.Second)); err != nil {
				return err
			}
		}
		if cl.c == nil {
			dctx, cancel := cl.p.Time.WithTimeout(ctx, cl.timeout)
			c, err := cl.p.Network.Dial(dctx, cl.addr)
			cancel()
			if err != nil {
				cl.drop(err)
				continue
			}
			cl.c = c
		}
		if err := cl.c.SetDeadline(cl.p.Time.Now().Add(cl.timeout)); err != nil {
			cl.drop(err)
			continue
		}
		if err := writeFrame(cl.c, payload); err != nil {
			cl.drop(err)
			continue
		}
		got, err := readFrame(cl.c)
		if err != nil {
			cl.drop(err)
			continue
		}
		if !bytes.Equal(got, payload) {
			return fmt.Errorf("the echo of a %d-byte request came back different, with a good checksum", len(payload))
		}
		if cl.fresh {
			cl.c.Close()
			cl.c = nil
		}
		return nil
	}
}

func freshConns(cl *client) { cl.fresh = true }

// survive runs a resilient client against an echo server under cfg for
// calls requests of random sizes, fails t unless all succeed, and returns
// the run's result and the client.
func survive(t *testing.T, seed uint64, cfg chaos.Network, calls int, opts ...func(*client)) (sim.Result, *client) {
	t.Helper()
	var cl *client
	res := simulate(t, seed, cfg, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":7")
		if err != nil {
			return err
		}
		serveEcho(ctx, server, l)
		cl = newClient(client, "10.0.0.2:7")
		for _, o := range opts {
			o(cl)
		}
		for i := range calls {
			payload := make([]byte, 1+client.Random.IntN(4096))
			for j := range payload {
				payload[j] = byte(i + j)
			}
			if err := cl.call(ctx, payload); err != nil {
				return fmt.Errorf("call %d: %w", i, err)
			}
		}
		return nil
	})
	return res, cl
}

// assertDialTimedOut asserts that err is a dial's whose context's deadline
// passed while its connect was on the wire: "i/o timeout", Timeout() true,
// and either os.ErrDeadlineExceeded or context.DeadlineExceeded under
// errors.Is, never both, as package net's connect gives one or the other.
func assertDialTimedOut(t testing.TB, err error, msgAndArgs ...any) {
	t.Helper()
	var ne net.Error
	if !assert.ErrorAs(t, err, &ne, msgAndArgs...) {
		return
	}
	assert.True(t, ne.Timeout(), msgAndArgs...)
	assert.True(t, strings.HasSuffix(err.Error(), ": i/o timeout"), "got %v", err)
	assert.NotEqual(t, errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		"one of the two shapes of a dial's timeout: got %v", err)
}
