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
	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
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
		fromDriver := 0
		for _, e := range tl.Snapshot() {
			switch {
			case e.Name != "dialled":
			case strings.HasPrefix(e.Task, "client-"):
				assert.Regexp(s, `^\s*\S+\s+client-\d/ask\s+dialled ok=`, e.String(), "the text timeline names the host")
			default:
				fromDriver++
				assert.Contains(s, e.String(), " "+e.Process+"/"+e.Task+" dialled ok=", "the text timeline names the host before the driver's task")
			}
		}
		assert.Equal(s, 2, fromDriver, "each client's Run logged once from the driver's task")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(2))
}

// The HTML timeline draws a host of S.HostProviders as a lane of its own:
// its tasks' entries, its records, the sockets the driver's tasks opened
// on it and a fault that cuts it off, beside the messages it sent.
func TestHTMLTimelineDrawsAHostOfItsOwnOnItsLane(t *testing.T) {
	var doc *timelinehtml.Doc
	simtest.Run(t, func(s *simtest.S) {
		var tl *simtest.Timeline
		clientHostsSeed(s, &tl)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	require.NotNil(t, doc)
	assert.Equal(t, []string{"driver", "client-0", "client-1", "srv-0"}, doc.Lanes)
	isolated, connected := false, false
	for _, e := range doc.Events {
		if host, _, ok := strings.Cut(e.Task, "/"); ok && strings.HasPrefix(host, "client-") {
			assert.Equal(t, host, e.Lane, "%s %s", e.Task, e.Msg)
		}
		if e.Msg == "dialled" {
			assert.Contains(t, []string{"client-0", "client-1"}, e.Lane, "a record of a client's Logger, from %s", e.Task)
		}
		if e.Msg == "net: isolate client-1" {
			isolated = true
			assert.Equal(t, timelinehtml.KindFault, e.Kind)
			assert.Equal(t, "client-1", e.Lane, "the cut is drawn on the host it cut off")
		}
		if strings.HasPrefix(e.Msg, "net: connected client-0:") && !strings.Contains(e.Task, "/") {
			connected = true
			assert.Equal(t, "client-0", e.Lane, "a driver's task that dialled from client-0: %s", e.Task)
		}
	}
	assert.True(t, isolated)
	assert.True(t, connected, "the workload's Run dialled from client-0 itself")
	sent := false
	for _, m := range doc.Messages {
		sent = sent || m.From == "client-0" && m.To == "srv-0"
	}
	assert.True(t, sent)
}

// A host of S.HostProviders that a process has is drawn on that process's
// lane, whatever the host is called, as the host's fault lines and its
// disk's events are.
func TestHTMLTimelineDrawsAProcessHostsDriverTasksOnTheProcesssLane(t *testing.T) {
	var doc *timelinehtml.Doc
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", Hosts: []string{"10.0.0.1"}, New: acceptor})
		hp := s.HostProviders("10.0.0.1")
		require.NoError(s, hp.Task.Go(s.Context(), "probe", func(ctx context.Context) error {
			hp.Logger.Info("probed")
			return nil
		}).Join(s.Context()))
		s.Sleep(time.Millisecond)
		c.Stop("srv-0", simtest.Crash)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	require.NotNil(t, doc)
	assert.Equal(t, []string{"driver", "srv-0"}, doc.Lanes)
	probed, crashed := false, false
	for _, e := range doc.Events {
		switch {
		case e.Msg == "probed":
			probed = true
			assert.Equal(t, "10.0.0.1/probe", e.Task)
			assert.Equal(t, "srv-0", e.Lane)
		case strings.HasPrefix(e.Msg, "net: host 10.0.0.1 crashed"):
			crashed = true
			assert.Equal(t, "srv-0", e.Lane, "a fault's host line is drawn on the lane of the host's process")
		}
	}
	assert.True(t, probed)
	assert.True(t, crashed)
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
