package rng

import "math/rand/v2"

// A Branch is a point where a stream switches to a fresh source: at draw
// At (counted from zero, so the draw that would have been the At-th) the
// stream draws from a ChaCha8 seeded from Seed instead. The draws before At
// are the parent's exactly; counting goes on across the switch, so a later
// branch point names a draw of the whole run, not of the new source.
type Branch struct {
	At   uint64
	Seed uint64
}

// Branched returns the stream of seed that switches source at each branch
// point, in order. The branch points must be sorted by At, each After the
// previous one (the caller checks; see explore.ParseRecipe); with none it is
// New(seed).
func Branched(seed uint64, branches []Branch) *Stream {
	s := New(seed)
	if len(branches) > 0 {
		s.plain = false
		s.branches = append([]Branch(nil), branches...)
	}
	return s
}

// switchSource moves the stream onto the next branch's source when the
// draw about to be made is its branch point.
func (s *Stream) switchSource(i uint64) {
	switched := false
	for len(s.branches) > 0 && s.branches[0].At <= i {
		s.src = rand.NewChaCha8(key(s.branches[0].Seed ^ branchSalt))
		s.branches = s.branches[1:]
		switched = true
	}
	if switched && s.switched != nil {
		s.switched()
	}
}

// OnSwitch makes f run each time the stream switches to a branch's
// source, before the draw at the branch point: what was drawn ahead of
// it, a time at which something is to happen, can be drawn again from the
// new source. f must not draw from the stream. A stream with no branch
// points never calls it.
func (s *Stream) OnSwitch(f func()) { s.switched = f }

// branchSalt keeps a branch's source apart from a root stream of the same
// seed, so that a child seed equal to some root seed does not replay it.
const branchSalt = 0x6272616e63680a00 // "branch"
