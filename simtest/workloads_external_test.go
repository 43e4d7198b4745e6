package simtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// client is a workload that notes its identity as it runs, and fails its
// Run when told to.
type client struct {
	id   simtest.WorkloadID
	ran  *[]simtest.WorkloadID
	fail bool
}

func (c *client) Setup(context.Context, providers.Providers) error { return nil }
func (c *client) Check(context.Context, providers.Providers) error { return nil }
func (c *client) Run(ctx context.Context, p providers.Providers) error {
	*c.ran = append(*c.ran, c.id)
	if c.fail {
		return errors.New("lost a write")
	}
	return nil
}

func TestWorkloadsRunsAFactoryByCount(t *testing.T) {
	counts := map[int]int{}
	simtest.Run(t, func(s *simtest.S) {
		var ran []simtest.WorkloadID
		ws := s.Workloads(
			simtest.Workloads{Name: "writer", Count: 2, New: func(id simtest.WorkloadID) simtest.Workload { return &client{id: id, ran: &ran} }},
			simtest.Workloads{Name: "reader", Count: 1, MaxCount: 4, New: func(id simtest.WorkloadID) simtest.Workload { return &client{id: id, ran: &ran} }},
		)
		s.Boot().Run(simtest.Phases{Chaos: time.Second}, ws...)
		n := len(ws) - 2
		counts[n]++
		want := map[simtest.WorkloadID]bool{{Name: "writer-0", Index: 0, Count: 2}: true, {Name: "writer-1", Index: 1, Count: 2}: true}
		for i := range n {
			want[simtest.WorkloadID{Name: "reader-" + string(rune('0'+i)), Index: i, Count: n}] = true
		}
		got := map[simtest.WorkloadID]bool{}
		for _, id := range ran {
			got[id] = true
		}
		assert.Equal(s, want, got, "every instance ran once, told its index and the count")
		assert.Len(s, ran, len(ws))
	}, simtest.Seeds(40), simtest.Chaos(chaos.Off()))
	for n := 1; n <= 4; n++ {
		assert.Positive(t, counts[n], "some seed runs %d readers: %v", n, counts)
	}
	assert.Len(t, counts, 4, "and none runs another count")
}

func TestWorkloadsNameTheirInstances(t *testing.T) {
	r := runIn("TestWorkloads", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			var ran []simtest.WorkloadID
			s.Boot().Run(simtest.Phases{Chaos: time.Second}, s.Workloads(simtest.Workloads{Name: "client", Count: 3, New: func(id simtest.WorkloadID) simtest.Workload {
				return &client{id: id, ran: &ran, fail: id.Index == 2}
			}})...)
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), "workload client-2: run: lost a write")
}

func TestWorkloadsBadInput(t *testing.T) {
	mk := func(simtest.WorkloadID) simtest.Workload { return stuck{} }
	cases := []struct {
		name string
		g    []simtest.Workloads
		want string
	}{
		{"no name", []simtest.Workloads{{New: mk}}, "a Workloads has no Name"},
		{"no factory", []simtest.Workloads{{Name: "c"}}, `Workloads "c" has no New`},
		{"negative", []simtest.Workloads{{Name: "c", Count: -1, New: mk}}, `Workloads "c" has a negative count`},
		{"range upside down", []simtest.Workloads{{Name: "c", Count: 3, MaxCount: 2, New: mk}}, `Workloads "c" has MaxCount 2 below Count 3`},
		{"same name", []simtest.Workloads{{Name: "c", New: mk}, {Name: "c", New: mk}}, `two groups of workloads are named "c"`},
		{"nil instance", []simtest.Workloads{{Name: "c", New: func(simtest.WorkloadID) simtest.Workload { return nil }}}, `Workloads "c": New returned nil for c-0`},
		{"absurd MaxCount", []simtest.Workloads{{Name: "c", MaxCount: 100_000_000, New: mk}},
			`simtest: configuration error: Workloads "c" has MaxCount 100000000, above simtest.MaxWorkloads (10000), the most workloads one S.Workloads makes; lower MaxCount to at most 10000`},
		{"past the bound with an earlier group", []simtest.Workloads{{Name: "a", Count: 9_999, New: mk}, {Name: "b", Count: 2, New: mk}},
			`simtest: configuration error: Workloads "b" has Count 2, and the groups before it have up to 9999 workloads: together above simtest.MaxWorkloads (10000), the most workloads one S.Workloads makes; lower Count to at most 1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runIn("TestWorkloads", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) { s.Workloads(c.g...) }, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
			})
			assert.True(t, r.failed)
			assert.Contains(t, r.output(), "simtest: configuration error: ")
			assert.Contains(t, r.output(), c.want)
		})
	}
}
