package sim

import "fmt"

// ChunkSteps is how many recorded steps one chunk hash covers
// (ChunkPlan).
const ChunkSteps = 1024

// KeepSteps and SumSteps bound what the first run of a determinism check
// keeps of its steps (ChunkPlan.Keep, ChunkPlan.Hashes): its first 524,288
// steps whole, about 25 MB with their writes, which tells every seed of
// ordinary length as whole records would, and a hash of each of the next
// 4,194,304 (32 MB), which still names the step at which a later run
// parts from it.
const (
	KeepSteps = 1 << 19
	SumSteps  = 1 << 22
)

// ChunkPlan is what a run that records (Config.Record) keeps when its
// record must not grow with its length, as a determinism check of a long
// seed needs: a hash of each chunk of ChunkSteps steps, which covers what
// Diverge compares of them (names and writes by value), and, with
// Details, the steps of a window of two chunks, the one being recorded
// and the one before it, which give a divergence its context.
//
// A run with Details compares each chunk with Ref's as it ends, and holds
// its window from the first chunk that differs from Ref's, or ends in the
// run where Ref's did not (ChunkState.Departs), or from chunk Hold,
// whichever comes first: two runs that hold the same chunk, one agreeing
// with Ref up to it and one not, give Diverge what it needs.
//
// A run without Details may keep its first Keep steps whole, and a hash
// of each of the Hashes steps after them (Recording.Sums): DivergeKept
// compares a later run's window with them, which needs no run again to
// show this run's steps, however the later runs go.
type ChunkPlan struct {
	Details bool
	Keep    int
	Hashes  int
	Ref     []uint64 // an earlier run's chunk hashes (Recording.Chunks)
	Hold    int      // the chunk to hold, if none differs before it; -1 for none
}

// chunkState is what a Recording keeps of its chunks.
type chunkState struct {
	ChunkPlan
	// Chunks are the hashes of the run's chunks, the last one of fewer
	// steps when the run's steps are not a multiple of ChunkSteps.
	Chunks []uint64
	// Held is the chunk whose window the record holds, -1 for none.
	Held int
	// Departs reports that chunk Held differs from Ref's, or that the run
	// ended before it or went on past it.
	Departs bool
	// Sums are the hashes of the steps past the Keep kept whole, one a
	// step, Hashes of them at most (ChunkPlan).
	Sums []uint64

	sum      uint64   // the hash of the chunk being recorded
	prev     int      // how many steps of Steps are the chunk before
	writes0  int      // the run's index of the first write of the chunk being recorded
	names    []uint64 // the hash of each task's name, by id - 1
	finished bool
}

// Windowed reports whether r keeps chunk hashes and a window of steps
// (ChunkPlan), rather than every step.
func (r *Recording) Windowed() bool { return r.chunked }

// plan makes r a record by chunks.
func (r *Recording) plan(p ChunkPlan) {
	r.chunked = true
	r.ChunkPlan = p
	r.Held = -1
	r.sum = chunkSeed
}

const chunkSeed = 0x636875_6e6b73

// named hashes the name of the task just started (recordStart).
func (r *Recording) named(name string) {
	r.names = append(r.names, hashBytes([]byte(name)))
}

// addChunked hashes s, which wrote wr when it is a StepWrite, into its
// chunk, and keeps it when the window is open.
func (r *Recording) addChunked(s Step, wr *Write) {
	var name uint64
	if s.ID != 0 && int(s.ID) <= len(r.names) {
		name = r.names[s.ID-1]
	}
	h := stepSum(s, name, wr)
	r.sum = mix(r.sum, h)
	switch {
	case r.Details:
	case r.Len <= r.Keep:
		if wr != nil {
			r.writes = append(r.writes, *wr)
			s.write = uint32(len(r.writes))
		}
		r.Steps = appendWithin(r.Steps, s, r.Keep)
	case len(r.Sums) < r.Hashes:
		r.Sums = appendWithin(r.Sums, h, r.Hashes)
	}
	if r.Details && r.Held < 0 {
		if wr != nil {
			r.writes = append(r.writes, *wr)
			s.write = uint32(r.writesBase + len(r.writes))
		}
		r.Steps = append(r.Steps, s)
	}
	if r.Len%ChunkSteps == 0 {
		r.endChunk()
	}
}

// appendWithin appends v to s, which holds fewer than limit, growing it
// to at most limit: append and slices.Grow may round up past the bound
// the caller keeps.
func appendWithin[T any](s []T, v T, limit int) []T {
	if len(s) == cap(s) {
		g := make([]T, len(s), len(s)+min(max(len(s), 1024), limit-len(s)))
		copy(g, s)
		s = g
	}
	return append(s, v)
}

// stepSum hashes what Diverge compares of step s: its fields, the hash
// of its task's name (0 for none), and what it wrote, if it is a write.
func stepSum(s Step, name uint64, wr *Write) uint64 {
	h := mix(mix(mix(mix(mix(chunkSeed, uint64(s.Kind)<<32|uint64(s.ID)), uint64(s.At)), s.Draws), s.Values), s.Hash)
	if s.ID != 0 {
		h = mix(h, name)
	}
	if wr != nil {
		h = mix(mix(mix(mix(mix(h, hashBytes([]byte(wr.Where))), wr.N), wr.Off), uint64(wr.Len)), wr.Bytes)
	}
	return h
}

// sumOf is stepSum of step s of r, which r keeps.
func (r *Recording) sumOf(s Step) uint64 {
	var name uint64
	if s.ID != 0 && int(s.ID) <= len(r.tasks) {
		name = hashBytes([]byte(r.tasks[s.ID-1]))
	}
	if wr, ok := r.Write(s); ok {
		return stepSum(s, name, &wr)
	}
	return stepSum(s, name, nil)
}

// endChunk ends the chunk just recorded: it keeps its hash, and, with
// Details, holds the window or moves it on.
func (r *Recording) endChunk() {
	c := len(r.Chunks)
	r.Chunks = append(r.Chunks, r.sum)
	r.sum = chunkSeed
	if !r.Details || r.Held >= 0 {
		return
	}
	if c >= len(r.Ref) || r.Ref[c] != r.Chunks[c] {
		r.Held, r.Departs = c, true
		return
	}
	if c == r.Hold {
		r.Held = c
		return
	}
	// Drop the chunk before this one, and its writes.
	n := copy(r.Steps, r.Steps[r.prev:])
	r.Steps = r.Steps[:n]
	r.Base += r.prev
	r.prev = n
	w := r.writesBase + len(r.writes) // the run's writes so far
	drop := r.writes0 - r.writesBase
	r.writes = r.writes[:copy(r.writes, r.writes[drop:])]
	r.writesBase, r.writes0 = r.writes0, w
}

// finish ends the run's record: its last chunk if it holds fewer steps,
// and, with Details, holds the window if the run ended before Ref's did.
func (r *Recording) finish() {
	if !r.chunked || r.finished {
		return
	}
	r.finished = true
	if r.Len%ChunkSteps != 0 {
		r.endChunk()
	}
	if r.Details && r.Held < 0 && len(r.Chunks) < len(r.Ref) {
		r.Held, r.Departs = len(r.Chunks), true
	}
	r.names = nil
}

// DivergeKept compares the window of run b (ChunkPlan.Details) with what
// run a kept of its steps (ChunkPlan.Keep and Hashes), and describes the
// first step at which they differ, as Diverge does. lines reports that a
// kept that step whole, so that the report shows both runs' lines; a step
// a kept only the hash of is told by b's line alone. It returns "" when a
// kept neither the steps nor the hashes it needs.
func DivergeKept(a, b Recording) (msg string, lines bool) {
	kept := len(a.Steps)
	end := b.Base + len(b.Steps)
	if a.Base != 0 {
		return "", false
	}
	view := func(to int) string {
		v := a
		v.Steps, v.Base = a.Steps[b.Base:to], b.Base
		return Diverge(v, b)
	}
	if b.Base <= kept && (kept == a.Len || end <= kept) {
		return view(min(end, kept)), true
	}
	for i, y := range b.Steps {
		k := b.Base + i
		switch {
		case k >= a.Len:
			return fmt.Sprintf("the runs agree for %d steps, then one ends: the first run took %d steps, the second %d", k, a.Len, b.Len), false
		case k < kept:
			if !same(&a, &b, a.Steps[k], y) {
				return view(kept), true
			}
			continue
		case k-kept >= len(a.Sums):
			return "", false
		case a.Sums[k-kept] == b.sumOf(y):
			continue
		}
		return fmt.Sprintf("step %d differs\n  first run:  (not kept: past its first %d steps, the first run keeps a hash of each step)\n  second run: %s%s",
			k, kept, b.describe(y), b.before(i)), false
	}
	if end == b.Len && b.Len != a.Len && b.Len <= kept+len(a.Sums) {
		return fmt.Sprintf("the runs agree for %d steps, then one ends: the first run took %d steps, the second %d", b.Len, a.Len, b.Len), false
	}
	return "", false
}
