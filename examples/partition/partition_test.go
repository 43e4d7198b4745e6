package partition_test

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/examples/partition"
	"github.com/moonpool-go/moonpool/simtest"
)

var planted = flag.Bool("planted", false, "ping with the naive client, which gives up at the first error")

// partitions is a network whose only fault is a random partition every 3s
// on average, lasting half a second to two.
func partitions() chaos.Network {
	cfg := chaos.NoNetworkFaults()
	cfg.PartitionInterval = 3 * time.Second
	cfg.PartitionDuration = chaos.Range{Min: 500 * time.Millisecond, Max: 2 * time.Second}
	return cfg
}

// TestPingUnderPartitions runs the service on host 10.0.0.1 and pings it
// from the test driver a hundred times, ten times a second, while random
// partitions cut the two hosts apart. Every ping must be answered.
func TestPingUnderPartitions(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		server := s.HostProviders("10.0.0.1")
		l, err := server.Network.Listen(ctx, ":7")
		require.NoError(s, err)
		server.Task.Go(ctx, "service", func(ctx context.Context) error {
			return partition.Serve(ctx, server, l)
		})

		var client partition.Client = &partition.Resilient{P: s.Providers(), Addr: "10.0.0.1:7", Timeout: 200 * time.Millisecond}
		if *planted {
			client = &partition.Naive{P: s.Providers(), Addr: "10.0.0.1:7", Timeout: 200 * time.Millisecond}
		}
		for n := range 100 {
			s.Sleep(100 * time.Millisecond)
			require.NoError(s, client.Ping(ctx, n), "ping %d", n)
		}
	}, simtest.Network(partitions()), simtest.Seeds(20), simtest.KeepFailures(!*planted))
}
