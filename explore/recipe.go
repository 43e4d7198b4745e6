package explore

import (
	"fmt"
	"strconv"
	"strings"
)

// A Recipe names one timeline: the root seed, and the branch points at
// which the run's random stream switched to a fresh source. Replaying a
// recipe runs exactly that timeline again, its prefix included.
type Recipe struct {
	Seed     uint64
	Branches []Branch
}

// A Branch is one branch point: at draw At of the run (counted from zero
// over the whole run) the stream draws from a source keyed by Seed.
type Branch struct {
	At   uint64
	Seed uint64
}

// Depth is how many branch points the recipe holds; a root seed's is 0.
func (r Recipe) Depth() int { return len(r.Branches) }

// Child returns the recipe of r branched once more, at draw at.
func (r Recipe) Child(at, seed uint64) Recipe {
	b := make([]Branch, len(r.Branches), len(r.Branches)+1)
	copy(b, r.Branches)
	return Recipe{Seed: r.Seed, Branches: append(b, Branch{At: at, Seed: seed})}
}

// String gives the recipe as plain text, the root seed and then each
// branch point as /draw:seed: "42/1034:99/2051:7". A root seed alone
// is its decimal number. ParseRecipe reads it back.
func (r Recipe) String() string {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(r.Seed, 10))
	for _, br := range r.Branches {
		fmt.Fprintf(&b, "/%d:%d", br.At, br.Seed)
	}
	return b.String()
}

// ParseRecipe reads a recipe written by Recipe.String. The branch points
// must come in order of their draws, each after the one before.
func ParseRecipe(s string) (Recipe, error) {
	parts := strings.Split(s, "/")
	var r Recipe
	seed, err := strconv.ParseUint(parts[0], 10, 64)
	if err != nil {
		return r, fmt.Errorf("explore: recipe %q does not start with a decimal root seed; write it as printed in a replay line, such as 42/1034:99", s)
	}
	r.Seed = seed
	for i, p := range parts[1:] {
		at, sd, ok := strings.Cut(p, ":")
		a, err1 := strconv.ParseUint(at, 10, 64)
		n, err2 := strconv.ParseUint(sd, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return Recipe{}, fmt.Errorf("explore: recipe %q: branch point %d, %q, is not draw:seed in decimal, such as 1034:99", s, i+1, p)
		}
		if i > 0 && a <= r.Branches[i-1].At {
			return Recipe{}, fmt.Errorf("explore: recipe %q: branch point %d is at draw %d, not after the one before it (draw %d); branch points come in the order of their draws", s, i+1, a, r.Branches[i-1].At)
		}
		r.Branches = append(r.Branches, Branch{At: a, Seed: n})
	}
	return r, nil
}
