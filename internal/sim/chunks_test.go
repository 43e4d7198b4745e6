package sim

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// napper is a run of n naps of a millisecond, two steps each, with a write
// every seventh: plant, when not negative, is the nap that lasts 2 ms, and
// bytes, when not negative, the write whose bytes differ.
type napper struct{ n, plant, bytes int }

func (np napper) run(cfg Config) Result {
	w := New(cfg)
	dev := new(int)
	return w.Run(func(ctx context.Context, p providers.Providers) error {
		for i := range np.n {
			d := time.Millisecond
			if i == np.plant {
				d = 2 * time.Millisecond
			}
			if err := p.Time.Sleep(ctx, d); err != nil {
				return err
			}
			if i%7 == 0 {
				b := []byte("written")
				if i == np.bytes {
					b = []byte("WRITTEN")
				}
				w.Wrote(dev, func() string { return "file f" }, uint64(i), b)
			}
		}
		return nil
	})
}

// The determinism check of a long run keeps a hash of each chunk of steps
// and a window of two chunks at most, and still finds what a whole record
// finds: the first run keeps no step, the second holds the first chunk
// that differs, a third that agrees with the first up to that chunk holds
// it too, and Diverge of the two windows says what Diverge of the whole
// records says, step number and context included.
func TestChunkedRecordsDivergeAsWholeOnes(t *testing.T) {
	base := napper{n: 5000, plant: -1, bytes: -1}
	for _, c := range []struct {
		name   string
		second napper
	}{
		{"a nap in chunk 0", napper{n: 5000, plant: 10, bytes: -1}},
		{"a nap in chunk 5", napper{n: 5000, plant: 2900, bytes: -1}},
		{"the bytes of a write", napper{n: 5000, plant: -1, bytes: 2100}},
		{"the last nap", napper{n: 5000, plant: 4999, bytes: -1}},
		{"a shorter run", napper{n: 3001, plant: -1, bytes: -1}},
		{"a longer run", napper{n: 5003, plant: -1, bytes: -1}},
		{"a much longer run", napper{n: 9000, plant: -1, bytes: -1}},
	} {
		for _, shorter := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8} {
			second := c.second
			if c.name == "a shorter run" {
				second.n -= shorter // ends at, before and after a chunk's end
			} else if shorter > 0 {
				continue
			}
			name := fmt.Sprintf("%s/%d", c.name, second.n)
			cfg := Config{Seed: 1, Record: true, HashData: true}
			whole := Diverge(base.run(cfg).Record, second.run(cfg).Record)
			require.NotEmpty(t, whole, name)

			cfg.Chunks = &ChunkPlan{Hold: -1}
			first := base.run(cfg).Record
			assert.Empty(t, first.Steps, "%s: the first run keeps no step", name)
			assert.Equal(t, (first.Len+ChunkSteps-1)/ChunkSteps, len(first.Chunks), name)

			cfg.Chunks = &ChunkPlan{Details: true, Ref: first.Chunks, Hold: -1}
			again := second.run(cfg).Record
			require.GreaterOrEqual(t, again.Held, 0, name)
			assert.True(t, again.Departs, name)
			assert.LessOrEqual(t, len(again.Steps), 2*ChunkSteps, "%s: the window is two chunks at most", name)

			cfg.Chunks = &ChunkPlan{Details: true, Ref: first.Chunks, Hold: again.Held}
			third := base.run(cfg).Record
			assert.Equal(t, again.Held, third.Held, name)
			assert.False(t, third.Departs, "%s: the first run again agrees with it", name)
			assert.LessOrEqual(t, len(third.Steps), 2*ChunkSteps, name)
			assert.Equal(t, whole, Diverge(third, again), name)

			// A first run that keeps its steps, or their hashes, tells
			// the same step with no third run.
			for _, keep := range []int{KeepSteps, 2000, 100} {
				cfg.Chunks = &ChunkPlan{Hold: -1, Keep: keep, Hashes: 1 << 20}
				kept := base.run(cfg).Record
				assert.Equal(t, first.Chunks, kept.Chunks, name)
				assert.LessOrEqual(t, len(kept.Steps), keep, name)
				msg, lines := DivergeKept(kept, again)
				if lines {
					assert.Equal(t, whole, msg, "%s, keep %d", name, keep)
					continue
				}
				head := regexp.MustCompile(`^(step \d+ differs|the runs agree for \d+ steps, then one ends.*)`)
				require.NotEmpty(t, msg, "%s, keep %d", name, keep)
				assert.Equal(t, head.FindString(whole), head.FindString(msg), "%s, keep %d", name, keep)
				assert.Less(t, kept.Len, first.Len+1)
			}
		}
	}
}

// The first run of a determinism check keeps its first KeepSteps steps
// whole and a hash of each of the SumSteps after them, no more, however
// long it runs; past both, DivergeKept cannot tell a step.
func TestKeptStepsAreBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("a run of a million naps")
	}
	million := napper{n: 1_000_000, plant: -1, bytes: -1}
	cfg := Config{Seed: 1, Record: true, HashData: true, Chunks: &ChunkPlan{Hold: -1, Keep: KeepSteps, Hashes: SumSteps}}
	first := million.run(cfg).Record
	require.Greater(t, first.Len, 2_000_000)
	assert.Len(t, first.Steps, KeepSteps)
	assert.Equal(t, KeepSteps, cap(first.Steps), "the steps kept grow to KeepSteps and no further")
	assert.LessOrEqual(t, len(first.writes), KeepSteps)
	assert.Len(t, first.Sums, first.Len-KeepSteps)

	small := napper{n: 20000, plant: -1, bytes: -1}
	cfg.Chunks = &ChunkPlan{Hold: -1, Keep: 1000, Hashes: 5000}
	first = small.run(cfg).Record
	assert.Len(t, first.Steps, 1000)
	assert.Len(t, first.Sums, 5000)
	assert.LessOrEqual(t, cap(first.Sums), 5000)

	late := napper{n: 20000, plant: 15000, bytes: -1}
	cfg.Chunks = &ChunkPlan{Details: true, Ref: first.Chunks, Hold: -1}
	again := late.run(cfg).Record
	require.GreaterOrEqual(t, again.Held, 0)
	msg, lines := DivergeKept(first, again)
	assert.Empty(t, msg, "past the hashes kept, the step is not known")
	assert.False(t, lines)
}

// A run that agrees with its reference in every chunk holds nothing, and
// keeps two chunks of steps at most however long it runs.
func TestChunkedRecordOfAnAgreeingRun(t *testing.T) {
	long := napper{n: 20000, plant: -1, bytes: -1}
	cfg := Config{Seed: 1, Record: true, HashData: true, Chunks: &ChunkPlan{Hold: -1}}
	first := long.run(cfg)
	require.Greater(t, first.Record.Len, 40000)
	assert.Empty(t, first.Record.Steps)

	cfg.Chunks = &ChunkPlan{Details: true, Ref: first.Record.Chunks, Hold: -1}
	again := long.run(cfg)
	assert.Equal(t, -1, again.Record.Held)
	assert.Equal(t, first.Record.Chunks, again.Record.Chunks)
	assert.LessOrEqual(t, len(again.Record.Steps), 2*ChunkSteps)
	assert.Equal(t, first.Trace, again.Trace, "recording by chunks changes no trace")
	plain := long.run(Config{Seed: 1})
	assert.Equal(t, plain.Trace, again.Trace)
}
