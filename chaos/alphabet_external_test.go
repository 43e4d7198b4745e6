package chaos_test

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestNewAlphabetRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  []chaos.Op
		want []string
	}{
		{"empty", nil, []string{"the alphabet is empty"}},
		{"no positive weight", []chaos.Op{{"put", 0}, {"get", 0}}, []string{"no op has a positive weight (put 0, get 0); give at least one a positive weight"}},
		{"negative", []chaos.Op{{"put", -1}, {"get", 1}}, []string{`"put" has weight -1; a weight is finite and at least zero`}},
		{"NaN and infinity", []chaos.Op{{"put", math.NaN()}, {"get", math.Inf(1)}}, []string{`"put" has weight NaN`, `"get" has weight +Inf`}},
		{"unnamed", []chaos.Op{{"", 1}}, []string{"op 0 has no name"}},
		{"twice", []chaos.Op{{"put", 1}, {"put", 2}}, []string{`"put" is named twice`}},
		{"sum past float64", []chaos.Op{{"put", math.MaxFloat64}, {"get", math.MaxFloat64}}, []string{
			"the weights sum to +Inf (put 1.7976931348623157e+308, get 1.7976931348623157e+308); only their ratios matter, so scale them down"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := chaos.NewAlphabet(tc.ops...)
			require.Error(t, err)
			assert.Nil(t, a)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	var many []chaos.Op
	for i := range chaos.MaxAlphabet + 1 {
		many = append(many, chaos.Op{fmt.Sprint("op", i), 1})
	}
	_, err := chaos.NewAlphabet(many...)
	require.ErrorContains(t, err, "63 ops have a positive weight; an alphabet holds at most chaos.MaxAlphabet (62)")
	_, err = chaos.NewAlphabet(many[:chaos.MaxAlphabet]...)
	require.NoError(t, err)
}

func TestAlphabetDrawsEveryNonEmptySubsetAlike(t *testing.T) {
	a, err := chaos.NewAlphabet(chaos.Op{"put", 3}, chaos.Op{"get", 5}, chaos.Op{"delete", 1}, chaos.Op{"off", 0})
	require.NoError(t, err)
	counts := map[string]int{}
	src := rand.NewPCG(1, 2)
	const n = 7000
	for range n {
		m := a.Draw(src)
		require.NotEmpty(t, m.Names())
		assert.False(t, m.Has("off"), "an op of weight zero is never in a mix")
		counts[m.String()]++
	}
	assert.Len(t, counts, 7, "%v", counts)
	for mix, c := range counts {
		assert.InDelta(t, n/7, c, 150, "%s", mix)
	}
}

func TestMixPicksByWeightAmongItsOps(t *testing.T) {
	a, err := chaos.NewAlphabet(chaos.Op{"put", 3}, chaos.Op{"get", 1}, chaos.Op{"delete", 6})
	require.NoError(t, err)
	m := a.Full()
	assert.Equal(t, "put+get+delete", m.String())
	src := rand.NewPCG(4, 4)
	counts := map[string]int{}
	for range 10000 {
		counts[m.Pick(src)]++
	}
	assert.InDelta(t, 3000, counts["put"], 250)
	assert.InDelta(t, 1000, counts["get"], 200)
	assert.InDelta(t, 6000, counts["delete"], 250)
	assert.Panics(t, func() { chaos.Mix{}.Pick(src) })
}

// Each seed of a workload issues a random subset of its kinds of
// operation; over 1,000 seeds, every subset comes about equally often,
// and each kind is on about half the seeds.
func ExampleAlphabet_Draw() {
	ops, err := chaos.NewAlphabet(
		chaos.Op{Name: "put", Weight: 3},
		chaos.Op{Name: "get", Weight: 5},
		chaos.Op{Name: "delete", Weight: 1},
	)
	if err != nil {
		panic(err)
	}
	seen := map[string]int{}
	simtest.Simulate(func(s *simtest.S) {
		mix := ops.Draw(s.Providers().Random)
		seen[mix.String()]++
		for range 10 {
			switch mix.Pick(s.Providers().Random) {
			case "put", "get", "delete":
				// the workload's operations
			}
		}
	}, simtest.Seeds(1000), simtest.Chaos(chaos.Off()))
	for _, mix := range slices.Sorted(maps.Keys(seen)) {
		fmt.Printf("%-15s %d seeds\n", mix, seen[mix])
	}
	// Output:
	// delete          148 seeds
	// get             160 seeds
	// get+delete      139 seeds
	// put             145 seeds
	// put+delete      127 seeds
	// put+get         152 seeds
	// put+get+delete  129 seeds
}
