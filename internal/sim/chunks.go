package sim

// ChunkSteps is how many recorded steps one chunk hash covers
// (ChunkPlan).
const ChunkSteps = 1024

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
type ChunkPlan struct {
	Details bool
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
	h := mix(mix(mix(mix(mix(r.sum, uint64(s.Kind)<<32|uint64(s.ID)), uint64(s.At)), s.Draws), s.Values), s.Hash)
	if s.ID != 0 && int(s.ID) <= len(r.names) {
		h = mix(h, r.names[s.ID-1])
	}
	if wr != nil {
		h = mix(mix(mix(mix(mix(h, hashBytes([]byte(wr.Where))), wr.N), wr.Off), uint64(wr.Len)), wr.Bytes)
	}
	r.sum = h
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
