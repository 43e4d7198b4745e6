package simtest_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
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

// ackServer is a process that answers every datagram on port 53 with its
// first four bytes: the request's number.
func ackServer() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		pc, err := p.Network.ListenPacket(ctx, ":53")
		if err != nil {
			return err
		}
		p.Task.Go(ctx, "closer", func(ctx context.Context) error {
			_ = providers.Wait(ctx, p.Task)
			return pc.Close()
		})
		buf := make([]byte, 64)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return nil
			}
			if n >= 4 {
				pc.WriteTo(buf[:4], from)
			}
		}
	})
}

// asker sends numbered requests to server-0 over datagrams, each resent
// until its ack comes, through reboots and every network fault.
type asker struct {
	count int
	acked *int
}

func (asker) Setup(context.Context, providers.Providers) error { return nil }

func (a asker) Run(ctx context.Context, p providers.Providers) error {
	pc, err := p.Network.ListenPacket(ctx, ":0")
	if err != nil {
		return err
	}
	defer pc.Close()
	to, err := net.ResolveUDPAddr("udp", "10.0.0.1:53")
	if err != nil {
		return err
	}
	buf := make([]byte, 64)
	for id := range uint32(a.count) {
		req := binary.BigEndian.AppendUint32(nil, id)
		for acked := false; !acked; {
			if _, err := pc.WriteTo(req, to); err != nil {
				return err
			}
			if err := pc.SetReadDeadline(p.Time.Now().Add(50 * time.Millisecond)); err != nil {
				return err
			}
			for {
				n, _, err := pc.ReadFrom(buf)
				if errors.Is(err, os.ErrDeadlineExceeded) {
					break // resend
				}
				if err != nil {
					return err
				}
				if n == 4 && binary.BigEndian.Uint32(buf) == id {
					acked = true
					break
				}
			}
		}
		*a.acked++
	}
	return nil
}

func (a asker) Check(context.Context, providers.Providers) error {
	if *a.acked != a.count {
		return fmt.Errorf("%d of %d requests acknowledged", *a.acked, a.count)
	}
	return nil
}

func TestDatagramsSurviveChaosAndReboots(t *testing.T) {
	cfg := chaos.Defaults()
	cfg.Network.DatagramLossProb = 0.1
	cfg.Network.DatagramDupProb = 0.05
	cfg.Network.DatagramReorderProb = 0.05
	cfg.Network.PartitionInterval = 3 * time.Second
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "server", New: ackServer, Hosts: []string{"10.0.0.1"}})
		var acked int
		c.Run(simtest.Phases{Chaos: 10 * time.Second}, asker{count: 300, acked: &acked})
	}, simtest.Chaos(cfg), simtest.Seeds(10), simtest.CheckDeterminism())
}

// datagramFaultsOnly is chaos with no fault but the datagrams': loss lost,
// a tenth duplicated, a tenth reordered.
func datagramFaultsOnly(loss float64) simtest.Option {
	cfg := chaos.Off()
	cfg.Network.DatagramLossProb = loss
	cfg.Network.DatagramDupProb = 0.1
	cfg.Network.DatagramReorderProb = 0.1
	cfg.Network.DatagramReorderDelay = chaos.Range{Min: time.Millisecond, Max: 5 * time.Millisecond}
	return simtest.Chaos(cfg)
}

// askOverDatagrams boots an ackServer and asks it count requests for a
// second of chaos.
func askOverDatagrams(s *simtest.S, count int) {
	c := s.Boot(simtest.Processes{Name: "server", New: ackServer, Hosts: []string{"10.0.0.1"}})
	var acked int
	c.Run(simtest.Phases{Chaos: time.Second}, asker{count: count, acked: &acked})
}

// Datagrams lost, duplicated and reordered are faults of the network, and
// the report's faults line counts them: a Run whose only faults they are
// was told it saw none.
func TestTheFaultsLineCountsDatagramFaults(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) { askOverDatagrams(s, 30) }, datagramFaultsOnly(0.2), simtest.Seeds(3))
	require.Empty(t, res.Failing(), res.Report)
	assert.Regexp(t, `\n    faults seen: 0 reboots, [1-9]\d* of the network \([1-9]\d* datagrams? lost, [1-9]\d* datagrams? duplicated, [1-9]\d* datagrams? reordered\), 0 of the disks\n`, res.Report)
}

// A failing seed's window leaves out the datagrams lost, duplicated and
// reordered before the failure, and counts them: a protocol over UDP
// under loss meets them by the dozen, and they would push its own lines
// out of the window.
func TestTheFailureWindowLeavesDatagramFaultsOut(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		askOverDatagrams(s, 60)
		s.Logf("the protocol's own line")
		s.Errorf("the check failed")
	}, datagramFaultsOnly(0.3), simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed, res.Report)
	_, window, ok := strings.Cut(res.Report, "timeline around the first failure")
	require.True(t, ok, res.Report)
	assert.NotContains(t, window, "net: datagram", "no datagram fault among the window's entries")
	assert.Contains(t, window, "the protocol's own line")
	assert.Regexp(t, `^, at [^(]+\(\d+ earlier entries not shown, among them [1-9]\d* datagrams lost, duplicated or reordered; -simtimeline=FILE writes them all\):`, window)
}

// A seed that fails as it ends (a deadlock) shows its last entries
// without the datagram faults, and its heading counts them.
func TestTheLastEntriesOfASeedCountTheDatagramFaultsLeftOut(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		askOverDatagrams(s, 60)
		never := providers.NewChan[int](s.Providers().Task, 0)
		never.Recv(s.Context()) // nothing sends: a deadlock
	}, datagramFaultsOnly(0.3), simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed, res.Report)
	_, tail, ok := strings.Cut(res.Report, "timeline, its last entries")
	require.True(t, ok, res.Report)
	assert.Regexp(t, `^ but [1-9]\d* datagrams lost, duplicated or reordered \(-simtimeline=FILE writes it whole\):\n`, tail)
	assert.NotContains(t, tail, "net: datagram")
}

// providers.ResolveUDP addresses a peer by its host's name with no DNS
// query in a simulation, and names the host it cannot find as a DNS
// lookup does.
func TestResolveUDPFindsSimulatedHostsByName(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := s.HostProviders("srv"), s.HostProviders("cli")
		pc, err := server.Network.ListenPacket(s.Context(), ":9")
		require.NoError(s, err)
		defer pc.Close()
		out, err := client.Network.ListenPacket(s.Context(), ":0")
		require.NoError(s, err)
		defer out.Close()
		to, err := providers.ResolveUDP(s.Context(), client.Network, "srv:9")
		require.NoError(s, err)
		_, err = out.WriteTo([]byte("ping"), to)
		require.NoError(s, err)
		buf := make([]byte, 8)
		n, _, err := pc.ReadFrom(buf)
		require.NoError(s, err)
		assert.Equal(s, "ping", string(buf[:n]))

		lo, err := providers.ResolveUDP(s.Context(), client.Network, "127.0.0.1:9")
		require.NoError(s, err)
		assert.Equal(s, "127.0.0.1:9", lo.String())
		_, err = providers.ResolveUDP(s.Context(), client.Network, "nowhere:9")
		var dns *net.DNSError
		require.ErrorAs(s, err, &dns)
		assert.True(s, dns.IsNotFound)
		assert.Equal(s, "nowhere", dns.Name)
	}, simtest.Seeds(2))
}

// The HTML timeline draws datagrams as it draws a connection's segments,
// an arrow from sender to receiver, dashed when lost on its way, and a
// datagram lost to a partition on its sender's lane, not the driver's.
func TestTheHTMLTimelineDrawsDatagrams(t *testing.T) {
	partitions := chaos.NoNetworkFaults()
	partitions.PartitionInterval = 20 * time.Millisecond
	partitions.PartitionDuration = chaos.Range{Min: 10 * time.Millisecond, Max: 30 * time.Millisecond}
	partitions.DatagramLossProb = 0.05
	var doc *timelinehtml.Doc
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(
			simtest.Processes{Name: "server", New: ackServer, Hosts: []string{"10.0.0.1"}},
			simtest.Processes{Name: "client", Protected: true, New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					var acked int
					return asker{count: 400, acked: &acked}.Run(ctx, p)
				})
			}},
		)
		require.NoError(s, c.Join(s.Context(), "client-0"))
	}, simtest.Chaos(chaos.Off()), simtest.Network(partitions), simtest.Seeds(1), simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	require.Empty(t, res.Failing(), res.Report)
	require.NotNil(t, doc)
	var there, back, lost int
	for _, m := range doc.Messages {
		switch {
		case m.Lost:
			lost++
		case m.From == "client-0" && m.To == "server-0":
			there++
		case m.From == "server-0" && m.To == "client-0":
			back++
		}
	}
	assert.GreaterOrEqual(t, there, 400, "every request that arrived is an arrow")
	assert.GreaterOrEqual(t, back, 400, "and every answer")
	assert.Positive(t, lost, "some met a partition")
	partitioned, faults := 0, 0
	for _, e := range doc.Events {
		if strings.Contains(e.Msg, "datagram") && strings.Contains(e.Msg, " lost: ") {
			faults++
			assert.Equal(t, timelinehtml.KindFault, e.Kind, "a datagram lost is a fault: %s", e.Msg)
		}
		if strings.Contains(e.Msg, "datagram client-0:") && strings.Contains(e.Msg, "lost to a partition") {
			partitioned++
			assert.Equal(t, "client-0", e.Lane, e.Msg)
		}
	}
	assert.Positive(t, partitioned, "a request lost to a partition is drawn on its sender's lane")
	assert.Positive(t, faults, "some were lost")
}

// A failing seed's window leaves out, and counts, the datagrams a
// partition lost or that found no socket at their port: a gossip protocol
// sends them by the dozen to every peer cut off or down.
func TestTheFailureWindowLeavesUndeliveredDatagramsOut(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "server", New: ackServer, Hosts: []string{"10.0.0.1"}})
		s.Sleep(time.Millisecond)
		p := s.Providers()
		pc, err := p.Network.ListenPacket(s.Context(), ":0")
		require.NoError(s, err)
		defer pc.Close()
		send := func(to string) {
			addr, err := net.ResolveUDPAddr("udp", to)
			require.NoError(s, err)
			for range 30 {
				_, err := pc.WriteTo([]byte("ping"), addr)
				require.NoError(s, err)
				s.Sleep(10 * time.Millisecond)
			}
		}
		send("10.0.0.1:99") // no socket there
		s.Network().Partition([]string{simtest.DriverHost}, []string{"10.0.0.1"})
		send("10.0.0.1:53")
		s.Logf("the protocol's own line")
		s.Errorf("the check failed")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed, res.Report)
	_, window, ok := strings.Cut(res.Report, "timeline around the first failure")
	require.True(t, ok, res.Report)
	assert.NotContains(t, window, "net: datagram", "no undelivered datagram among the window's entries")
	assert.Contains(t, window, "the protocol's own line")
	assert.Regexp(t, `^, at [^(]+\(\d+ earlier entries not shown, among them 60 datagrams lost to a partition or sent to no socket; -simtimeline=FILE writes them all\):`, window)
}
