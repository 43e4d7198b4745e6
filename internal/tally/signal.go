package tally

import "hash/fnv"

// The kinds of progress a seed signals (Hooks.Signal).
const (
	progressTrue     = iota + 1 // a Sometimes first true in the seed, a Reachable first reached
	progressMark                // a numeric watermark improved, to a new level
	progressFrontier            // a SometimesAll frontier advanced
	progressBucket              // a SometimesEach bucket first reached in the seed
	progressQuality             // a SometimesEach quality improved
)

// signal reports progress of kind what on the assertion whose message
// hashes to h, with v telling apart progress of one kind.
func (s *Seed) signal(h uint64, what int, v uint64) {
	if s.hooks.Signal != nil {
		s.hooks.Signal(mix(mix(h, uint64(what)), v))
	}
}

func mix(h, x uint64) uint64 {
	h ^= x
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 31
	return h
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
