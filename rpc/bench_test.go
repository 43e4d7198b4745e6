package rpc_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

const pingSize = 64

// blob is a 64-byte message that takes the codec's binary path.
type blob [pingSize]byte

func (b blob) AppendBinary(dst []byte) ([]byte, error) { return append(dst, b[:]...), nil }

func (b *blob) UnmarshalBinary(data []byte) error {
	if len(data) != pingSize {
		return errors.New("blob: not 64 bytes")
	}
	copy(b[:], data)
	return nil
}

// jsonMsg is a 64-byte message for encoding/json: a string of 52 bytes
// in {"S":"..."}.
type jsonMsg struct{ S string }

// measure runs fn and returns its wall time, the process's CPU time
// meanwhile (zero where not measured) and its heap allocations.
func measure(fn func() error) (wall, cpu time.Duration, allocs uint64, err error) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0 := testenv.CPUTime()
	start := time.Now()
	err = fn()
	wall = time.Since(start)
	c1 := testenv.CPUTime()
	runtime.ReadMemStats(&m1)
	return wall, c1 - c0, m1.Mallocs - m0.Mallocs, err
}

// pingPonger sets up a raw simulated connection echoed by a task, as
// internal/simnet's BenchmarkPingPong does, and returns a function that
// makes n round trips of 64 bytes over it.
func pingPonger(s *simtest.S) (func(n int) error, error) {
	ctx := s.Context()
	server, client := s.HostProviders("10.0.0.3"), s.HostProviders("10.0.0.4")
	l, err := server.Network.Listen(ctx, ":7")
	if err != nil {
		return nil, err
	}
	s.Go("echo", func(ctx context.Context) error {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		buf := make([]byte, pingSize)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return nil
			}
			if _, err := c.Write(buf); err != nil {
				return err
			}
		}
	})
	c, err := client.Network.Dial(ctx, "10.0.0.3:7")
	if err != nil {
		return nil, err
	}
	buf := make([]byte, pingSize)
	return func(n int) error {
		for range n {
			if _, err := c.Write(buf); err != nil {
				return err
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// getReplier serves an echo of T and returns a function that makes n
// GetReply round trips of req.
func getReplier[T any](s *simtest.S, req T) (func(n int) error, error) {
	return getReplierBy(s, req, 0)
}

// getReplierBy is getReplier whose calls have a deadline, d from the
// start, when d is not 0: one context for every call, so that what is
// counted is the transport's work for a deadline, not the caller's.
func getReplierBy[T any](s *simtest.S, req T, d time.Duration) (func(n int) error, error) {
	server, client := newPair(s)
	ep, err := rpc.Serve(server, rpc.WellKnown(1), func(_ context.Context, r T) (T, error) { return r, nil })
	if err != nil {
		return nil, err
	}
	ctx := s.Context()
	if d != 0 {
		var cancel context.CancelFunc
		ctx, cancel = client.Providers().Time.WithTimeout(ctx, d)
		s.Cleanup(cancel)
	}
	return func(n int) error {
		for range n {
			if _, err := ep.GetReply(ctx, client, req); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// BenchmarkGetReply measures simulated GetReply round trips of a 64-byte
// request, echoed, with no faults (one op is one round trip), beside the
// raw simulated connection's ping-pong of 64 bytes in the same seed, in
// 16 alternating rounds so that a loaded machine weighs on both alike:
// pingpong-ratio is GetReply's rate over the ping-pong's, allocs/rt the
// heap allocations of one GetReply round trip, both ends and the
// simulated network's included (pingpong-allocs/rt are the network's
// alone, for the ping-pong). pingpong-cpu-ratio is the same ratio of CPU
// time, where the platform measures it: on a machine shared with other
// work, wall time counts the waits for a core, CPU time does not.
func BenchmarkGetReply(b *testing.B) {
	run := func(b *testing.B, getReply func(*simtest.S) (func(int) error, error)) {
		var raw, rt, rawCPU, rtCPU time.Duration
		var allocs, rawAllocs uint64
		simtest.Run(b, func(s *simtest.S) {
			ping, err := pingPonger(s)
			if err != nil {
				s.Fatal(err)
			}
			call, err := getReply(s)
			if err != nil {
				s.Fatal(err)
			}
			if err := errors.Join(ping(1), call(1)); err != nil { // connected
				s.Fatal(err)
			}
			const rounds = 16
			for r := range rounds {
				n := b.N / rounds
				if r < b.N%rounds {
					n++
				}
				d, c, a, err := measure(func() error { return ping(n) })
				if err != nil {
					s.Fatal(err)
				}
				raw, rawCPU, rawAllocs = raw+d, rawCPU+c, rawAllocs+a
				d, c, a, err = measure(func() error { return call(n) })
				if err != nil {
					s.Fatal(err)
				}
				rt, rtCPU, allocs = rt+d, rtCPU+c, allocs+a
			}
		}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.AllowGaps())
		n := float64(b.N)
		b.ReportMetric(n/rt.Seconds(), "roundtrips/s")
		b.ReportMetric(n/raw.Seconds(), "pingpong-roundtrips/s")
		b.ReportMetric(raw.Seconds()/rt.Seconds(), "pingpong-ratio")
		if rtCPU > 0 {
			b.ReportMetric(rawCPU.Seconds()/rtCPU.Seconds(), "pingpong-cpu-ratio")
		}
		b.ReportMetric(float64(allocs)/n, "allocs/rt")
		b.ReportMetric(float64(rawAllocs)/n, "pingpong-allocs/rt")
	}
	b.Run("binary", func(b *testing.B) {
		run(b, func(s *simtest.S) (func(int) error, error) { return getReplier(s, blob{}) })
	})
	b.Run("binary-deadline", func(b *testing.B) {
		run(b, func(s *simtest.S) (func(int) error, error) { return getReplierBy(s, blob{}, time.Hour) })
	})
	b.Run("json", func(b *testing.B) {
		msg := jsonMsg{S: string(bytes.Repeat([]byte("x"), pingSize-len(`{"S":""}`)))}
		run(b, func(s *simtest.S) (func(int) error, error) { return getReplier(s, msg) })
	})
}

// BenchmarkCodec encodes and decodes one 64-byte message with each
// candidate for the default codec: the binary path, encoding/json, and
// encoding/gob with a stream per message (as each frame must be
// decodable alone).
func BenchmarkCodec(b *testing.B) {
	msg := jsonMsg{S: string(bytes.Repeat([]byte("x"), pingSize-len(`{"S":""}`)))}
	b.Run("binary", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		var in, out blob
		for b.Loop() {
			buf, _ = rpc.JSONCodec{}.Append(buf[:0], &in) // as the transport hands it
			if err := (rpc.JSONCodec{}).Decode(buf, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		var out jsonMsg
		for b.Loop() {
			buf, _ = rpc.JSONCodec{}.Append(buf[:0], msg)
			if err := (rpc.JSONCodec{}).Decode(buf, &out); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(buf)), "bytes/msg")
	})
	b.Run("gob", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		var out jsonMsg
		for b.Loop() {
			buf.Reset()
			if err := gob.NewEncoder(&buf).Encode(msg); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(buf.Len()), "bytes/msg")
			if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
				b.Fatal(err)
			}
		}
	})
	_ = json.Valid
}
