package simtest_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// onItsHost is a client whose clock matters, on a host of its own
// (docs/processes.md, "Clients on hosts of their own"): its Run takes the
// host's Network and Time in place of the driver's and keeps the rest of
// its providers, and dials the cluster's one server until done.
type onItsHost struct {
	s     *simtest.S
	id    simtest.WorkloadID
	host  providers.Providers
	dials int
	saw   func(p providers.Providers, err error)
}

func (w *onItsHost) Name() string                                     { return w.id.Name }
func (w *onItsHost) Setup(context.Context, providers.Providers) error { return nil }
func (w *onItsHost) Check(context.Context, providers.Providers) error { return nil }
func (w *onItsHost) Run(ctx context.Context, p providers.Providers) error {
	p.Network, p.Time = w.host.Network, w.host.Time
	peers := p.Cluster.Peers()
	require.Len(w.s, peers, 1, "the cluster view is the workload's own")
	for range w.dials {
		dctx, cancel := p.Time.WithTimeout(ctx, time.Second)
		conn, err := p.Network.Dial(dctx, peers[0].Host+":7")
		cancel()
		if err == nil {
			conn.Close()
		}
		w.saw(p, err)
		if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

func acceptor() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		l, err := p.Network.Listen(ctx, ":7")
		if err != nil {
			return err
		}
		defer l.Close()
		for {
			conn, err := l.Accept()
			if err != nil {
				return nil
			}
			conn.Close()
		}
	})
}

// A workload that takes S.HostProviders' Network and Time reads its
// host's skewed clock, dials from its host, and a partition that cuts the
// host off cuts it off, where on the driver's host it would share the
// driver's fate: random partitions put two such clients on opposite sides.
func TestAWorkloadOnAHostOfItsOwn(t *testing.T) {
	skewed := chaos.NoNetworkFaults()
	skewed.MaxClockSkew = 100 * time.Millisecond
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", New: acceptor})
		s.Network().Isolate("client-0")
		ws := s.Workloads(simtest.Workloads{Name: "client", Count: 2, New: func(id simtest.WorkloadID) simtest.Workload {
			return &onItsHost{s: s, id: id, host: s.HostProviders(id.Name), dials: 1, saw: func(p providers.Providers, err error) {
				assert.Equal(s, id.Name, p.Network.Host(), "it dials from its own host")
				assert.NotZero(s, p.Time.Now().Sub(s.Now()), "its clock is its host's, skewed")
				if id.Index == 0 {
					assert.Error(s, err, "its host is isolated")
				} else {
					assert.NoError(s, err, "its host is not")
				}
			}}
		}})
		c.Run(simtest.Phases{Chaos: 5 * time.Second}, ws...)
	}, simtest.Chaos(chaos.Off()), simtest.Network(skewed), simtest.Seeds(5))

	partitions := chaos.NoNetworkFaults()
	partitions.PartitionInterval = 500 * time.Millisecond
	partitions.PartitionDuration = chaos.Range{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond}
	apart := regexp.MustCompile(`random partition \{[^}]*\bclient-0\b[^}]*\} (\||->) \{[^}]*\bclient-1\b|random partition \{[^}]*\bclient-1\b[^}]*\} (\||->) \{[^}]*\bclient-0\b`)
	split := 0
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "srv", New: acceptor})
		c.Run(simtest.Phases{Chaos: 10 * time.Second}, s.Workloads(simtest.Workloads{Name: "client", Count: 2, New: func(id simtest.WorkloadID) simtest.Workload {
			return &onItsHost{s: s, id: id, host: s.HostProviders(id.Name), dials: 50, saw: func(providers.Providers, error) {}}
		}})...)
		for _, e := range tl.Snapshot() {
			if apart.MatchString(e.Msg) {
				split++
			}
		}
	}, simtest.Chaos(chaos.Off()), simtest.Network(partitions), simtest.Seeds(5))
	assert.Positive(t, split, "a random partition put the two clients on opposite sides")
}

// holder is a workload that holds the chaos phase open by waiting for its
// context to end, which never comes.
type holder struct{}

func (holder) Name() string                                     { return "holder" }
func (holder) Setup(context.Context, providers.Providers) error { return nil }
func (holder) Check(context.Context, providers.Providers) error { return nil }
func (holder) Run(ctx context.Context, p providers.Providers) error {
	return providers.Wait(ctx, p.Task)
}

// A workload that waits for its context to end, to hold the chaos phase
// open, deadlocks: the report names the task and the line, and says why
// and what to do instead. A task of the test's own that waits on a
// context is told nothing more.
func TestAWorkloadWaitingOnItsContextIsToldWhy(t *testing.T) {
	r := runIn("TestHolder", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "p", New: waiting}).Run(simtest.Phases{Chaos: time.Second}, holder{})
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
	})
	assert.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, `task "workload holder" waits on context`)
	assert.Contains(t, out, `task "workload holder" waits on a context: a workload's context does not end with the chaos phase, nor before the seed ends, `+
		`so a Run that waits for it to end never returns; to keep the chaos phase going, wait on simtest.ChaosContext(ctx) instead, `+
		`which ends with the phase, or return from Run when the work is done (docs/workloads.md, "Make the workload finish")`)

	r = runIn("TestWaiter", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			h := s.Go("waiter", func(ctx context.Context) error { return providers.Wait(ctx, s.Providers().Task) })
			_ = h.Join(s.Context())
		}, simtest.Seeds(1), simtest.KeepFailures(false))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), `task "waiter" waits on context`)
	assert.NotContains(t, r.output(), "a workload's context")
}
