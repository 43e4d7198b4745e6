package fuzzcover_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/fuzzcover"
)

func TestHitRunsTheCaseOfItsNumber(t *testing.T) {
	for i := range uint32(3 * fuzzcover.Size) {
		require.Equal(t, i%fuzzcover.Size, fuzzcover.Hit(i))
	}
}

func TestSetHitsEachBranchOnce(t *testing.T) {
	var s fuzzcover.Set
	assert.True(t, s.Hit(7))
	assert.False(t, s.Hit(7))
	assert.False(t, s.Hit(7+fuzzcover.Size), "numbers wrap around Size")
	assert.True(t, s.Hit(fuzzcover.Size-1))
	assert.True(t, s.Has(7) && s.Has(fuzzcover.Size-1))
	assert.False(t, s.Has(8))
	assert.Equal(t, 2, s.Len())
	for i := range uint32(10 * fuzzcover.Size) {
		s.Hit(i)
	}
	assert.Equal(t, fuzzcover.Size, s.Len(), "a set never holds more than Size branches")
	assert.Len(t, s.Branches(), fuzzcover.Size)
}

func TestSetBranchesInOrder(t *testing.T) {
	var s fuzzcover.Set
	assert.Empty(t, s.Branches())
	for _, i := range []uint32{4000, 3, 64, 63, 3} {
		s.Hit(i)
	}
	assert.Equal(t, []uint32{3, 63, 64, 4000}, s.Branches())
}

// TestEveryCaseIsInstrumented compiles the package as go test -fuzz does and
// counts the fuzzer's 8-bit counters: one per case at least. A switch turned
// into a table, or cases merged, would show here.
func TestEveryCaseIsInstrumented(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command; skipped under -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out := filepath.Join(t.TempDir(), "fuzzcover.a")
	build := exec.Command(gobin, "build", "-gcflags=-d=libfuzzer", "-o", out, ".")
	msg, err := build.CombinedOutput()
	require.NoError(t, err, "%s", msg)
	nm, err := exec.Command(gobin, "tool", "nm", out).CombinedOutput()
	require.NoError(t, err, "%s", nm)
	counters := 0
	for _, line := range strings.Split(string(nm), "\n") {
		// The counters are anonymous symbols of their own kind.
		if f := strings.Fields(line); len(f) >= 2 && f[len(f)-2] == "_" {
			counters++
		}
	}
	assert.GreaterOrEqual(t, counters, fuzzcover.Size, "every case must have a counter of its own")
}
