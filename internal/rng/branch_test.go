package rng

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestBranchedWithoutBranchesIsNew(t *testing.T) {
	assert.Equal(t, draw(New(9), 50), draw(Branched(9, nil), 50))
}

func TestBranchedSameRecipeSameValues(t *testing.T) {
	b := []Branch{{At: 10, Seed: 1}, {At: 30, Seed: 2}}
	assert.Equal(t, draw(Branched(5, b), 100), draw(Branched(5, b), 100))
}

func TestBranchSharesItsParentsPrefix(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		at := rapid.Uint64Range(0, 60).Draw(t, "at")
		child := rapid.Uint64().Draw(t, "child")
		parent := draw(New(seed), 80)
		got := draw(Branched(seed, []Branch{{At: at, Seed: child}}), 80)
		require.Equal(t, parent[:at], got[:at], "the draws before the branch point are the parent's")
		require.NotEqual(t, parent[at], got[at], "the draw at the branch point is the new source's")
		// The branch point of a child of a child keeps the first child's prefix.
		later := at + rapid.Uint64Range(1, 10).Draw(t, "later")
		grand := draw(Branched(seed, []Branch{{At: at, Seed: child}, {At: later, Seed: child + 1}}), 80)
		require.Equal(t, got[:later], grand[:later])
	})
}

func TestBranchCountsOnAcrossTheSwitch(t *testing.T) {
	s := Branched(3, []Branch{{At: 2, Seed: 4}})
	draw(s, 5)
	assert.Equal(t, uint64(5), s.Draws())
}

func TestBranchSourceIsNotARootStream(t *testing.T) {
	got := draw(Branched(3, []Branch{{At: 0, Seed: 4}}), 10)
	assert.NotEqual(t, draw(New(4), 10), got, "a child seed equal to a root seed must not replay that root")
}

// OnSwitch's function runs once at each branch point, before the draw at
// it, and never on a stream with no branch points.
func TestOnSwitchRunsAtEachBranchPoint(t *testing.T) {
	s := Branched(3, []Branch{{At: 2, Seed: 4}, {At: 6, Seed: 5}, {At: 6, Seed: 6}})
	var at []uint64
	s.OnSwitch(func() { at = append(at, s.Draws()) })
	draw(s, 10)
	// Draws counts the draw being made: the switch comes before its value.
	assert.Equal(t, []uint64{3, 7}, at, "one call a point where the source switches, two branches at one draw making one switch")

	plain := New(3)
	plain.OnSwitch(func() { t.Error("a stream without branch points switched") })
	draw(plain, 10)
}
