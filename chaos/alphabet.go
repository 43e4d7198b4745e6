package chaos

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Op is one kind of operation of a workload, such as "put" or "cas", with
// its weight: how often it is picked against the others of a [Mix]. Only
// the ratios of the weights matter.
type Op struct {
	Name   string
	Weight float64
}

// Alphabet is the kinds of operation a workload issues, for swarm testing
// over them: each seed runs a random subset of the kinds (a [Mix]), so
// that some seeds issue only writes, or only deletes and reads, and reach
// states that a seed issuing every kind at once rarely does (Groce et al.,
// "Swarm Testing", 2012). Build one with [NewAlphabet], before the
// simulation runs, and draw each seed's mix with [Alphabet.Draw].
type Alphabet struct {
	ops []Op // those with a positive weight, in the order given
	all []Op // every op, as given
}

// MaxAlphabet is the most kinds of operation with a positive weight that
// an [Alphabet] holds.
const MaxAlphabet = 62

// NewAlphabet returns the alphabet of ops. Every name is non-empty and
// distinct; every weight is finite and at least zero, at least one is
// positive, and their sum is finite. An op of weight zero is part of the alphabet but never picked:
// a way to switch one kind off without removing it. The error names every
// problem and how to fix it.
func NewAlphabet(ops ...Op) (*Alphabet, error) {
	var errs []error
	seen := map[string]bool{}
	a := &Alphabet{all: slices.Clone(ops)}
	for i, op := range ops {
		switch {
		case op.Name == "":
			errs = append(errs, fmt.Errorf("chaos: NewAlphabet: op %d has no name; name every kind of operation", i))
		case seen[op.Name]:
			errs = append(errs, fmt.Errorf("chaos: NewAlphabet: %q is named twice; give each kind of operation one Op", op.Name))
		}
		seen[op.Name] = true
		if !(op.Weight >= 0 && op.Weight <= math.MaxFloat64) { // NaN and the infinities fail too
			errs = append(errs, fmt.Errorf("chaos: NewAlphabet: %q has weight %v; a weight is finite and at least zero", op.Name, op.Weight))
			continue
		}
		if op.Weight > 0 {
			a.ops = append(a.ops, op)
		}
	}
	if len(errs) == 0 && len(a.ops) == 0 {
		if len(ops) == 0 {
			return nil, errors.New("chaos: NewAlphabet: the alphabet is empty; pass the workload's kinds of operation, each an Op with a positive weight")
		}
		return nil, fmt.Errorf("chaos: NewAlphabet: no op has a positive weight (%s); give at least one a positive weight, or no seed could pick anything", names(ops))
	}
	// Pick draws in [0, sum): a sum past float64 would pick the last op
	// every time.
	if sum := newMix(a.ops).total; len(errs) == 0 && math.IsInf(sum, 0) {
		errs = append(errs, fmt.Errorf("chaos: NewAlphabet: the weights sum to %v (%s); only their ratios matter, so scale them down", sum, names(a.ops)))
	}
	if len(a.ops) > MaxAlphabet {
		errs = append(errs, fmt.Errorf("chaos: NewAlphabet: %d ops have a positive weight; an alphabet holds at most chaos.MaxAlphabet (%d): group rare kinds under one op", len(a.ops), MaxAlphabet))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return a, nil
}

// Ops returns the alphabet's ops, as given.
func (a *Alphabet) Ops() []Op { return slices.Clone(a.all) }

// Full returns the mix of every op with a positive weight: the alphabet
// without swarm, for a test that wants every kind on every seed.
func (a *Alphabet) Full() Mix { return newMix(a.ops) }

// Draw returns one seed's mix, with one draw from src: a random non-empty
// subset of the ops with a positive weight, every subset equally likely,
// each op keeping its weight. With k such ops there are 2^k - 1 subsets;
// an op is in half of them, and on about half of the seeds.
//
//	mix := ops.Draw(s.Providers().Random)
//	for range 100 {
//		switch mix.Pick(s.Providers().Random) {
//		case "put": ...
//		}
//	}
func (a *Alphabet) Draw(src rand.Source) Mix {
	k := len(a.ops)
	keep := 1 + rand.New(src).Uint64N(1<<k-1)
	var ops []Op
	for i, op := range a.ops {
		if keep&(1<<i) != 0 {
			ops = append(ops, op)
		}
	}
	return newMix(ops)
}

// Mix is the kinds of operation one seed issues, drawn by
// [Alphabet.Draw], each with its weight. The zero Mix is empty: Pick
// panics on it.
type Mix struct {
	ops   []Op
	total float64
}

func newMix(ops []Op) Mix {
	m := Mix{ops: ops}
	for _, op := range ops {
		m.total += op.Weight
	}
	return m
}

// Pick returns the name of an op of m, drawn from src by weight: one
// draw, or none when m has one op.
func (m Mix) Pick(src rand.Source) string {
	if len(m.ops) == 0 {
		panic("chaos: Mix.Pick on an empty Mix; draw the mix with Alphabet.Draw or Alphabet.Full")
	}
	if len(m.ops) == 1 {
		return m.ops[0].Name
	}
	x := rand.New(src).Float64() * m.total
	for _, op := range m.ops {
		if x < op.Weight {
			return op.Name
		}
		x -= op.Weight
	}
	return m.ops[len(m.ops)-1].Name // rounding
}

// Has reports whether m issues the op named name.
func (m Mix) Has(name string) bool {
	return slices.ContainsFunc(m.ops, func(op Op) bool { return op.Name == name })
}

// Names returns the names of m's ops, in the alphabet's order.
func (m Mix) Names() []string {
	out := make([]string, len(m.ops))
	for i, op := range m.ops {
		out[i] = op.Name
	}
	return out
}

// String returns m's names joined by "+", such as "put+get".
func (m Mix) String() string { return strings.Join(m.Names(), "+") }

func names(ops []Op) string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = fmt.Sprintf("%s %v", op.Name, op.Weight)
	}
	return strings.Join(out, ", ")
}
