package simtest_test

import (
	"bufio"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// A server on another host, a partition made by hand, and a client whose
// call times out across it and succeeds once it heals.
func ExampleNet_Partition() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		server := s.HostProviders("10.0.0.1")
		l, err := server.Network.Listen(s.Context(), ":7")
		require.NoError(s, err)
		server.Task.Go(s.Context(), "server", func(ctx context.Context) error {
			c, err := l.Accept()
			if err != nil {
				return err
			}
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return nil
				}
				fmt.Fprint(c, line)
			}
		})

		p := s.Providers() // the driver's, on simtest.DriverHost
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:7")
		require.NoError(s, err)
		r := bufio.NewReader(c)

		s.Network().Partition([]string{simtest.DriverHost}, []string{"10.0.0.1"})
		c.SetDeadline(p.Time.Now().Add(time.Second))
		fmt.Fprintln(c, "hello")
		_, err = r.ReadString('\n')
		require.Error(s, err, "no answer across the partition")

		s.Network().Heal()
		c.SetDeadline(time.Time{})
		line, err := r.ReadString('\n')
		require.NoError(s, err)
		require.Equal(s, "hello\n", line, "the held line went through after the heal")
	}, simtest.Network(chaos.NoNetworkFaults()))
}

// The network's faults, for every seed of a Run.
func ExampleNetwork() {
	var t *testing.T // the test's own, in a real test function

	cfg := chaos.DefaultNetwork()
	cfg.BitFlipProb = 0.0001                // this protocol checksums its frames
	cfg.PartitionInterval = 5 * time.Second // and must survive frequent partitions
	simtest.Run(t, func(s *simtest.S) {
		// ...
	}, simtest.Network(cfg))
}
