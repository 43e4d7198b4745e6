package sim

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/providers"
)

// simOf is the world that runs ctx's task.
func simOf(ctx context.Context) *World { return simctx.From(ctx).(*World) }

// twice runs body(false) and body(true) on one seed, both recording: a
// body that tells them apart stands for code whose runs differ, as a map's
// order does from one iteration to the next.
func twice(t *testing.T, body func(second bool) func(ctx context.Context, p providers.Providers) error) (a, b Result) {
	t.Helper()
	a = New(Config{Seed: 11, Record: true, HashData: true}).Run(body(false))
	b = New(Config{Seed: 11, Record: true, HashData: true}).Run(body(true))
	require.NoError(t, a.Err)
	require.NoError(t, b.Err)
	return a, b
}

func TestDataHashSeesTaskNames(t *testing.T) {
	a, b := twice(t, func(second bool) func(ctx context.Context, p providers.Providers) error {
		return func(ctx context.Context, p providers.Providers) error {
			names := []string{"worker-1", "worker-2"}
			if second {
				names[0], names[1] = names[1], names[0]
			}
			for _, name := range names {
				p.Task.Go(ctx, name, func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Second) })
			}
			return p.Time.Sleep(ctx, time.Minute)
		}
	})
	assert.Equal(t, a.Trace, b.Trace, "the trace covers ids, not names")
	assert.NotEqual(t, a.Data, b.Data)
	d := Diverge(a.Record, b.Record)
	assert.Contains(t, d, `task 2 was named "worker-1" in the first run, "worker-2" in the second`)
	assert.Contains(t, d, `first run:  at 0s start task 2 named "worker-1"`)
}

func TestDataHashSeesBytesWritten(t *testing.T) {
	a, b := twice(t, func(second bool) func(ctx context.Context, p providers.Providers) error {
		return func(ctx context.Context, p providers.Providers) error {
			w, conn := simOf(ctx), func() string { return "conn a->b" }
			w.Wrote(1, conn, 0, []byte("hello "))
			if second {
				w.Wrote(1, conn, 6, []byte("there"))
			} else {
				w.Wrote(1, conn, 6, []byte("world"))
			}
			return nil
		}
	})
	assert.Equal(t, a.Trace, b.Trace, "the trace covers no data")
	assert.NotEqual(t, a.Data, b.Data)
	d := Diverge(a.Record, b.Record)
	assert.Contains(t, d, "the bytes of write #2 to conn a->b differ\n")
	assert.Contains(t, d, `task "driver" writes 5 bytes`)
}

func TestDataHashSeesValuesDrawn(t *testing.T) {
	a, b := twice(t, func(second bool) func(ctx context.Context, p providers.Providers) error {
		return func(ctx context.Context, p providers.Providers) error {
			n := 1000
			if second {
				n = 1000000
			}
			p.Random.IntN(n)
			return p.Time.Sleep(ctx, time.Second)
		}
	})
	assert.Equal(t, a.Trace, b.Trace, "the trace covers how many draws, not which")
	assert.NotEqual(t, a.Data, b.Data)
	assert.Contains(t, Diverge(a.Record, b.Record), "a value drawn from the random stream since the step before differs (draw count 0 to 1)")
}

func TestRecordingLeavesTheTraceAlone(t *testing.T) {
	body := func(ctx context.Context, p providers.Providers) error {
		for _, name := range []string{"a", "b", "c"} {
			p.Task.Go(ctx, name, func(ctx context.Context) error {
				simOf(ctx).Wrote(name, func() string { return "file f" }, uint64(p.Random.IntN(10)), []byte(name))
				return p.Time.Sleep(ctx, time.Duration(p.Random.IntN(100))*time.Millisecond)
			})
		}
		return p.Time.Sleep(ctx, time.Second)
	}
	for seed := range uint64(20) {
		plain := New(Config{Seed: seed}).Run(body)
		rec := New(Config{Seed: seed, Record: true, HashData: true}).Run(body)
		again := New(Config{Seed: seed, Record: true, HashData: true}).Run(body)
		assert.Equal(t, plain.Trace, rec.Trace, "seed %d", seed)
		assert.Zero(t, plain.Data, "a plain run hashes no data")
		steps := New(Config{Seed: seed, Record: true}).Run(body)
		assert.Equal(t, plain.Trace, steps.Trace, "seed %d", seed)
		assert.Zero(t, steps.Data, "recording alone hashes no data")
		for _, st := range steps.Record.Steps {
			assert.Contains(t, []StepKind{StepRun, StepEvent}, st.Kind)
		}
		assert.Equal(t, rec.Data, again.Data, "seed %d", seed)
		assert.Equal(t, "", Diverge(rec.Record, again.Record))
	}
}

func TestHashBytesSeesEveryByte(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 1, 100).Draw(t, "b")
		i := rapid.IntRange(0, len(b)-1).Draw(t, "i")
		c := append([]byte(nil), b...)
		c[i] ^= rapid.ByteRange(1, 255).Draw(t, "flip")
		assert.NotEqual(t, hashBytes(b), hashBytes(c), "a byte changed")
		assert.NotEqual(t, hashBytes(b), hashBytes(b[:len(b)-1]), "a byte cut")
		assert.Equal(t, hashBytes(b), hashBytes(append([]byte(nil), b...)))
	})
	assert.NotEqual(t, hashBytes(nil), hashBytes([]byte{0}))
}

func TestAnEntryIsOneLine(t *testing.T) {
	e := Entry{At: time.Second, Task: "kv-0/main", Name: "campaign failed", Msg: "campaign failed", Attrs: []slog.Attr{
		slog.String("err", "refused\nrefused"), slog.Int("epoch", 3),
	}}
	assert.Equal(t, `          1s  kv-0/main    campaign failed err="refused\nrefused" epoch=3`, e.String())
}

// An entry of Event or EventKeyed is marked as the simulation's own; a
// log line with the same words, of Log or Record, is not.
func TestOnlyEventsAreMarkedAsEvents(t *testing.T) {
	const msg = "reboot: kv-0 (crash)"
	res := New(Config{Seed: 1, Timeline: 16}).Run(func(ctx context.Context, p providers.Providers) error {
		w := simOf(ctx)
		w.Event("", msg)
		w.EventKeyed("", "key", msg)
		w.Log(msg)
		w.Record(Entry{Msg: msg, Event: true})
		return nil
	})
	require.NoError(t, res.Err)
	var marked []bool
	for _, e := range res.Timeline {
		if e.Msg == msg {
			assert.Equal(t, "reboot", e.Name)
			marked = append(marked, e.Event)
		}
	}
	assert.Equal(t, []bool{true, true, false, false}, marked)
}
