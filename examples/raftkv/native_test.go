//simvet:outside runs the servers natively, on loopback, beside the simulated runs
package raftkv_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/raftkv"
	"github.com/moonpool-go/moonpool/examples/raftkv/server"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/providers"
)

// TestThreeNodesOnLoopback runs the program, three nodes in this test's
// process on 127.0.0.1, with real time and disks: they elect a leader and
// answer writes and reads, a node stopped and started again on its data
// directory catches up, and every node stops cleanly.
func TestThreeNodesOnLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("elects a leader on real time: seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var args [][]string
	var peers []server.Peer
	free := testenv.LoopbackAddrs(t, 6)
	for i := range 3 {
		peers = append(peers, server.Peer{ID: fmt.Sprintf("n%d", i), Raft: free[2*i], HTTP: free[2*i+1]})
	}
	var addrs []string
	for i, p := range peers {
		a := []string{"-id", p.ID, "-data", t.TempDir(), "-snapshot-threshold", "16", "-trailing-logs", "4", "-log-level", "warn"}
		for _, q := range peers {
			a = append(a, "-peer", q.String())
		}
		args = append(args, a)
		addrs = append(addrs, peers[i].HTTP)
	}
	start := func(i int) *node {
		nctx, cancel := context.WithCancel(ctx)
		n := &node{cancel: cancel, done: make(chan struct{})}
		go func() {
			defer close(n.done)
			n.code = server.Main(nctx, args[i], &testWriter{t, peers[i].ID})
		}()
		return n
	}
	nodes := []*node{start(0), start(1), start(2)}
	defer func() {
		for i, n := range nodes {
			assert.Equal(t, 0, n.stop(), "node %d's exit code", i)
		}
	}()

	c := raftkv.NewClient(providers.Real(), addrs, raftkv.ClientOptions{Attempts: 100})
	defer c.Close()
	for i := range 40 {
		require.NoError(t, c.Put(ctx, fmt.Sprintf("k%d", i%5), fmt.Sprintf("v%d", i)))
	}
	for k := range 5 {
		v, found, err := c.Get(ctx, fmt.Sprintf("k%d", k))
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, fmt.Sprintf("v%d", 35+k), v)
	}
	_, found, err := c.Get(ctx, "never")
	require.NoError(t, err)
	assert.False(t, found)

	// Stop a node, write while it is down, and start it again: it reads
	// back its log and snapshot, and the others bring it up to date.
	require.Equal(t, 0, nodes[1].stop(), "a stopped node exits cleanly")
	require.NoError(t, c.Put(ctx, "k0", "while n1 was down"))
	nodes[1] = start(1)
	for range 20 {
		require.NoError(t, c.Put(ctx, "k1", "after n1 came back"))
	}
	// Stop the other two, one at a time: n1 must then lead, with every
	// write.
	for _, i := range []int{0, 2} {
		require.Equal(t, 0, nodes[i].stop())
		nodes[i] = start(i)
	}
	v, _, err := c.Get(ctx, "k0")
	require.NoError(t, err)
	assert.Equal(t, "while n1 was down", v)
}

// node is a node running in the test's process.
type node struct {
	cancel context.CancelFunc
	done   chan struct{}
	code   int
}

// stop stops the node and returns its exit code.
func (n *node) stop() int {
	n.cancel()
	<-n.done
	return n.code
}

// testWriter sends a node's log to the test's.
type testWriter struct {
	t    *testing.T
	name string
}

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Logf("%s: %s", w.name, b)
	return len(b), nil
}
