package simtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// dialler is a client on a host of its own that takes the whole bundle of
// S.HostProviders: its Run dials the server once itself, then starts a
// task that dials it a few times, logging what came of each dial.
type dialler struct {
	name string
	host providers.Providers
}

func (d *dialler) Name() string                                     { return d.name }
func (d *dialler) Setup(context.Context, providers.Providers) error { return nil }
func (d *dialler) Check(context.Context, providers.Providers) error { return nil }
func (d *dialler) Run(ctx context.Context, _ providers.Providers) error {
	p := d.host
	addr := p.Cluster.Peers()[0].Host + ":7"
	dial := func(ctx context.Context) error {
		dctx, cancel := p.Time.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		conn, err := p.Network.Dial(dctx, addr)
		if err == nil {
			_, err = conn.Write([]byte("hello"))
			conn.Close()
		}
		return err
	}
	p.Logger.Info("dialled", "ok", dial(ctx) == nil) // from the driver's task: the record is still the host's
	return p.Task.Go(ctx, "ask", func(ctx context.Context) error {
		for range 3 {
			p.Logger.Info("dialled", "ok", dial(ctx) == nil)
			if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
				return err
			}
		}
		return nil
	}).Join(ctx)
}

// clientHostsSeed boots a server, cuts client-1's host off, and runs two
// clients on hosts of their own.
func clientHostsSeed(s *simtest.S, tl **simtest.Timeline) {
	*tl = s.Timeline()
	c := s.Boot(simtest.Processes{Name: "srv", New: acceptor})
	s.Network().Isolate("client-1")
	c.Run(simtest.Phases{Chaos: time.Second},
		&dialler{name: "client 0", host: s.HostProviders("client-0")},
		&dialler{name: "client 1", host: s.HostProviders("client-1")})
}

// The tasks that S.HostProviders' Task starts are named after their host,
// as a process's are after it, and so is what they start; their entries
// and their Logger's records carry the host as their process.
func TestHostProvidersTasksAreNamedAfterTheirHost(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		var tl *simtest.Timeline
		clientHostsSeed(s, &tl)
		started := map[string]string{}
		for _, e := range tl.Snapshot() {
			if e.Name == "task started" && strings.HasPrefix(e.Task, "client-") {
				started[e.Task] = e.Process
			}
		}
		assert.Equal(s, map[string]string{"client-0/ask": "client-0", "client-1/ask": "client-1"}, started)
		assert.Equal(s, 4, tl.CountIn("client-0", "dialled"), "client-0's records are its host's, its Run's among them")
		assert.Equal(s, 4, tl.CountIn("client-1", "dialled"))
		assert.Zero(s, tl.CountIn("", "dialled"), "none is the driver's")
		for _, e := range tl.Snapshot() {
			if e.Name == "dialled" && strings.HasPrefix(e.Task, "client-") {
				assert.Regexp(s, `^\s*\S+\s+client-\d/ask\s+dialled ok=`, e.String(), "the text timeline names the host")
			}
		}
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(2))
}

// S.HostProviders' Cluster names its host as Self and lists the cluster's
// processes, those booted after it was made too; ClusterOf finds the
// cluster through it. The driver's host gives the driver's own.
func TestHostProvidersHaveAClusterView(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		hp := s.HostProviders("client-0")
		require.NotNil(s, hp.Cluster)
		assert.Equal(s, providers.Peer{Name: "client-0", Host: "client-0"}, hp.Cluster.Self())
		assert.Empty(s, hp.Cluster.Peers(), "nothing is booted yet")
		assert.Nil(s, simtest.ClusterOf(hp))
		c := s.Boot(simtest.Processes{Name: "srv", Count: 2, New: acceptor})
		assert.Equal(s, c.Peers(), hp.Cluster.Peers())
		assert.Same(s, c, simtest.ClusterOf(hp))
		assert.Equal(s, providers.FirstBoot, hp.Cluster.Boot())
		providers.SetNotReady(hp.Cluster, "a client keeps no readiness")
		ready, _ := providers.Ready(hp.Cluster)
		assert.True(s, ready)

		dp := s.HostProviders(simtest.DriverHost)
		assert.Equal(s, "driver", dp.Cluster.Self().Name)
		assert.Same(s, c, simtest.ClusterOf(dp))
		require.NoError(s, dp.Task.Go(s.Context(), "plain", func(context.Context) error { return nil }).Join(s.Context()))
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
}
