package simnet_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// streamByte is byte i of stream id: every stream is a different sequence,
// so a byte out of place, duplicated or from another connection shows.
func streamByte(id uint64, i uint64) byte {
	x := id*0x9e3779b97f4a7c15 ^ (i/8)*0xbf58476d1ce4e5b9
	x ^= x >> 29
	x *= 0x94d049bb133111eb
	return byte(x >> (8 * (i % 8)))
}

// stream is what one direction of one connection did.
type stream struct {
	sent, received uint64
	sendErr        error
	recvErr        error // io.EOF for a clean end
}

// integrity runs conns connections from three hosts to a server host under
// cfg. On each, both ends write random-sized chunks of their stream and
// read the other's, checking every byte. It returns the streams; the run
// fails on the first byte that is wrong.
func integrity(t *testing.T, seed uint64, cfg chaos.Network, conns int) (sim.Result, []*stream) {
	t.Helper()
	w := newWorld(t, seed, cfg)
	var streams []*stream
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		server := on(p, w.net.Host("10.0.0.9"))
		l, err := server.Network.Listen(ctx, ":5000")
		if err != nil {
			return err
		}
		total := func(id uint64) uint64 { return 1 + id*7919%200_000 }
		// exchange writes stream id and reads stream peer on c.
		exchange := func(ctx context.Context, p providers.Providers, c net.Conn, id, peer uint64) []providers.Handle {
			out, in := &stream{}, &stream{}
			streams = append(streams, out, in)
			wr := p.Task.Go(ctx, fmt.Sprintf("write %d", id), func(ctx context.Context) error {
				buf := make([]byte, 64<<10)
				for out.sent < total(id) {
					k := min(uint64(1+p.Random.IntN(len(buf))), total(id)-out.sent)
					for j := range k {
						buf[j] = streamByte(id, out.sent+j)
					}
					n, err := c.Write(buf[:k])
					out.sent += uint64(n)
					if err != nil {
						out.sendErr = err
						return nil
					}
					if p.Random.IntN(4) == 0 {
						p.Time.Sleep(ctx, time.Duration(p.Random.IntN(10))*time.Millisecond)
					}
				}
				if cw, ok := c.(interface{ CloseWrite() error }); ok {
					out.sendErr = cw.CloseWrite()
				}
				return nil
			})
			rd := p.Task.Go(ctx, fmt.Sprintf("read %d", peer), func(ctx context.Context) error {
				buf := make([]byte, 1+p.Random.IntN(100<<10))
				for {
					n, err := c.Read(buf)
					for j := range uint64(n) {
						if want := streamByte(peer, in.received+j); buf[j] != want {
							return fmt.Errorf("stream %d: byte %d is %#x, want %#x: the stream was reordered, duplicated or mixed up", peer, in.received+j, buf[j], want)
						}
					}
					in.received += uint64(n)
					if err != nil {
						in.recvErr = err
						if err == io.EOF && in.received != total(peer) {
							if errors.Is(out.sendErr, syscall.ECONNRESET) {
								// A reset is told once, as on Linux: this
								// end's writer was told, and the reader
								// sees EOF. Not a clean end.
								in.recvErr = out.sendErr
								return nil
							}
							return fmt.Errorf("stream %d: clean EOF after %d of %d bytes: bytes were lost", peer, in.received, total(peer))
						}
						return nil
					}
				}
			})
			return []providers.Handle{wr, rd}
		}
		var hs []providers.Handle
		p.Task.Go(ctx, "acceptor", func(ctx context.Context) error {
			for {
				c, err := l.Accept()
				if err != nil {
					return nil
				}
				// The client sends its id first.
				var idb [1]byte
				if _, err := io.ReadFull(c, idb[:]); err != nil {
					c.Close()
					continue
				}
				id := uint64(idb[0])
				hs = append(hs, exchange(ctx, server, c, 1000+id, id)...)
			}
		})
		for i := range conns {
			host := on(p, w.net.Host(fmt.Sprintf("10.0.0.%d", 1+i%3)))
			id := uint64(i)
			h := host.Task.Go(ctx, fmt.Sprintf("client %d", i), func(ctx context.Context) error {
				c, err := host.Network.Dial(ctx, "10.0.0.9:5000")
				if err != nil {
					return nil // a connect fault; nothing to check
				}
				if _, err := c.Write([]byte{byte(id)}); err != nil {
					return nil
				}
				for _, h := range exchange(ctx, host, c, id, 1000+id) {
					if err := h.Join(ctx); err != nil {
						return err
					}
				}
				return nil
			})
			hs = append(hs, h)
		}
		// Wait for every task, including those the acceptor adds.
		for i := 0; i < len(hs); i++ {
			if err := hs[i].Join(ctx); err != nil {
				return err
			}
		}
		p.Time.Sleep(ctx, time.Minute)
		for i := 0; i < len(hs); i++ {
			if err := hs[i].Join(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return res, streams
}

// chaoticButIntact is every fault at high intensity, except bit flips,
// which would corrupt bytes by design, and silent closes, which would leave
// readers waiting forever.
func chaoticButIntact() chaos.Network {
	cfg := chaos.DefaultNetwork()
	cfg.BitFlipProb = 0
	cfg.PartitionInterval = time.Second
	cfg.CloseProb, cfg.CloseExplicitProb, cfg.CloseCooldown = 0.002, 1, 100*time.Millisecond
	cfg.PartialReadProb, cfg.PartialWriteProb = 0.3, 0.3
	cfg.ClogProb = 0.01
	cfg.ConnectFailProb, cfg.ConnectHangProb = 0.05, 0
	cfg.Latency.SlowProb = 0.01
	cfg.SendBuffer = 16 << 10
	return cfg
}

func TestStreamIntegrity(t *testing.T) {
	seeds := uint64(6)
	if testing.Short() {
		seeds = 2
	}
	var clean, failed int
	for seed := range seeds {
		res, streams := integrity(t, seed, chaoticButIntact(), 24)
		require.NoError(t, res.Err, "seed %d", seed)
		for _, s := range streams {
			if s.recvErr == io.EOF {
				clean++
			} else {
				failed++
			}
		}
		assert.NotEmpty(t, events(res, "random close"), "seed %d", seed)
	}
	t.Logf("%d streams ended cleanly with every byte, %d with a connection error", clean, failed)
	assert.Positive(t, clean)
	assert.Positive(t, failed)
}

func TestSameSeedSameTrace(t *testing.T) {
	trace := func(seed uint64) uint64 {
		res, _ := integrity(t, seed, chaoticButIntact(), 12)
		require.NoError(t, res.Err)
		return res.Trace
	}
	a := trace(42)
	prev := runtime.GOMAXPROCS(1)
	b := trace(42)
	runtime.GOMAXPROCS(max(2, prev))
	c := trace(42)
	runtime.GOMAXPROCS(prev)
	assert.Equal(t, a, b, "GOMAXPROCS 1")
	assert.Equal(t, a, c, "GOMAXPROCS 2 or more")
	assert.NotEqual(t, a, trace(43), "another seed, another run")

	// The same for a run with every default fault, bit flips included.
	run := func() sim.Result {
		res, _ := survive(t, 7, chaos.DefaultNetwork(), 500)
		return res
	}
	r1, r2 := run(), run()
	assert.Equal(t, r1.Trace, r2.Trace)
	assert.Equal(t, r1.Draws, r2.Draws)
	assert.Equal(t, r1.Timeline, r2.Timeline)
}
