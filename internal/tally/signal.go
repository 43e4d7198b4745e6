package tally

import (
	"fmt"
	"hash/fnv"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// The kinds of progress a seed signals (Hooks.Signal).
const (
	progressTrue     = iota + 1 // a Sometimes first true in the seed, a Reachable first reached
	progressMark                // a numeric watermark improved, to a new level
	progressFrontier            // a SometimesAll frontier advanced
	progressBucket              // a SometimesEach bucket first reached in the seed
	progressQuality             // a SometimesEach quality improved
)

// Progress is one new thing a seed reached, as Hooks.Signal hears it: its
// signal, and what the report needs to name it. Naming costs nothing
// until String or How is called. A Progress made of a Sig alone names no
// assertion.
type Progress struct {
	// Sig hashes what was reached: the same progress in another seed has
	// the same Sig.
	Sig uint64

	e    *Entry
	what int
	n    int        // SometimesAll: conditions true at once
	cmp  [2]float64 // numeric forms: the comparison that beat the watermark
	dur  bool       // numeric forms: its operands are durations
	b    *bucket    // SometimesEach: the bucket
	q    string     // SometimesEach: the quality improved
}

// Kind is the kind of the assertion that progressed.
func (p Progress) Kind() simctx.AssertKind {
	if p.e == nil {
		return 0
	}
	return p.e.kind
}

// Message is the message of the assertion that progressed.
func (p Progress) Message() string {
	if p.e == nil {
		return ""
	}
	return p.e.msg
}

// Site is where the assertion that progressed is called.
func (p Progress) Site() *Site {
	if p.e == nil {
		return nil
	}
	return p.e.site
}

// How says what progress the assertion made, beyond being true or
// reached: "" for a Sometimes first true or a Reachable first reached.
func (p Progress) How() string {
	if p.e == nil {
		return ""
	}
	switch p.what {
	case progressMark:
		return "a new watermark (" + formatComparison(p.e.kind, p.cmp[0], p.cmp[1], p.dur) + ")"
	case progressFrontier:
		return fmt.Sprintf("%d of %d at once", p.n, len(p.e.conds))
	case progressBucket:
		return "a new bucket (" + p.b.text + ")"
	case progressQuality:
		return fmt.Sprintf("a better %s (%s)", p.q, p.b.text)
	}
	return ""
}

// String names the assertion and its progress, as the report does:
// SometimesEach "a gate opened" (maze.go:29): a new bucket (gate=3).
func (p Progress) String() string {
	if p.e == nil {
		return fmt.Sprintf("progress %016x", p.Sig)
	}
	s := fmt.Sprintf("%v %q (%v)", p.e.kind, p.e.msg, p.e.site)
	if how := p.How(); how != "" {
		s += ": " + how
	}
	return s
}

// signal reports progress p of the assertion e, of kind what, with v
// telling apart progress of one kind. p holds what names the progress.
func (s *Seed) signal(e *Entry, what int, v uint64, p Progress) {
	if s.hooks.Signal != nil {
		p.Sig, p.e, p.what = mix(mix(e.hash, uint64(what)), v), e, what
		s.hooks.Signal(p)
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
