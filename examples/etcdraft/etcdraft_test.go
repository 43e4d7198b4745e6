package etcdraft_test

import (
	"context"
	"errors"
	"flag"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/examples/etcdraft"
	"github.com/moonpool-go/moonpool/examples/internal/kvhistory"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

var planted = flag.Bool("planted", false, "run the nodes with their planted bug: any node answers a get from its own map (Node.StaleReads)")

// TestEtcdRaft runs three etcdraft nodes under the default chaos while
// four clients write and read three keys, and checks that every history
// is linearizable.
func TestEtcdRaft(t *testing.T) {
	seeds := 100
	if testing.Short() {
		seeds = 5
	}
	// The planted bug's failures are expected: keep no seed for them.
	simtest.Run(t, func(s *simtest.S) { runCluster(s, *planted) },
		simtest.Seeds(seeds), simtest.KeepFailures(!*planted), simtest.AllowGaps())
}

// runCluster boots three nodes and runs the workload against them.
func runCluster(s *simtest.S, stale bool) {
	c := s.Boot(simtest.Processes{Name: "raft", Count: 3, New: func() simtest.Process {
		return &etcdraft.Node{StaleReads: stale}
	}})
	w := &workload{clients: 4, ops: 60, keys: 3, think: 300 * time.Millisecond}
	c.Run(simtest.Phases{Chaos: 30 * time.Second, Settle: 10 * time.Second}, w)
}

// workload writes and reads a few keys from several clients at once,
// records every operation with its simulated call and return times, and
// checks in the end that the history is linearizable.
type workload struct {
	clients, ops, keys int
	think              time.Duration // the most a client waits between operations

	names   []string
	hosts   []string
	history *kvhistory.History
}

func (w *workload) Name() string { return "linearizable etcdraft" }

func (w *workload) Setup(ctx context.Context, p providers.Providers) error {
	w.history = kvhistory.New(p.Time.Now, w.clients)
	w.names = kvhistory.Keys(w.keys)
	for _, peer := range p.Cluster.Peers() {
		w.hosts = append(w.hosts, peer.Host)
	}
	return nil
}

func (w *workload) Run(ctx context.Context, p providers.Providers) error {
	return w.history.Run(ctx, p, kvhistory.Clients{Count: w.clients, Ops: w.ops, Keys: w.names, Think: w.think,
		Unknown: func(err error) bool { return errors.Is(err, etcdraft.ErrUnknown) }},
		func(ctx context.Context, id int) (kvhistory.Store, func()) {
			return &etcdraft.Client{P: p, Hosts: w.hosts, Name: "c" + strconv.Itoa(id)}, nil
		})
}

// Check reads every key once more, now that the cluster has settled, so
// that a write acknowledged and then lost shows, and checks the history.
func (w *workload) Check(ctx context.Context, p providers.Providers) error {
	c := &etcdraft.Client{P: p, Hosts: w.hosts, Name: "final"}
	unread, err := w.history.ReadAll(ctx, p, c, w.names, time.Second)
	if err != nil {
		return err
	}
	for _, key := range w.names {
		assertions.Always(ctx, !slices.Contains(unread, key), "the settled cluster answers a read of every key")
	}
	return w.history.Check(ctx)
}
