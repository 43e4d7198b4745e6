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

// Two partitions, one lifted: HealBetween ends the cut between the driver
// and 10.0.0.1, and the cut from 10.0.0.2 stays until Heal.
func ExampleNet_HealBetween() {
	simtest.Simulate(func(s *simtest.S) {
		p := s.Providers()
		ping := func(host string) {
			ctx, cancel := p.Time.WithTimeout(s.Context(), 5*time.Second)
			defer cancel()
			c, err := p.Network.Dial(ctx, host+":7")
			if err != nil {
				fmt.Println(host, "unreachable:", err)
				return
			}
			defer c.Close()
			fmt.Fprintln(c, "ping")
			line, _ := bufio.NewReader(c).ReadString('\n')
			fmt.Printf("%s answered %q\n", host, line)
		}
		echoOn(s, "10.0.0.1")
		echoOn(s, "10.0.0.2")
		s.Network().Partition([]string{simtest.DriverHost}, []string{"10.0.0.1", "10.0.0.2"})
		s.Network().HealBetween([]string{simtest.DriverHost}, []string{"10.0.0.1"})
		ping("10.0.0.1")
		ping("10.0.0.2")
	}, simtest.Seeds(1), simtest.Network(chaos.NoNetworkFaults()))
	// Output:
	// 10.0.0.1 answered "ping\n"
	// 10.0.0.2 unreachable: dial tcp 10.0.0.2:7: i/o timeout
}

// A downstream that answers late: the server's replies take two seconds
// more while its link back to the client is slow, and a client whose
// deadline is one second times out, until the link heals.
func ExampleNet_Slow() {
	simtest.Simulate(func(s *simtest.S) {
		echoOn(s, "10.0.0.1") // an echo server on 10.0.0.1:7, as ExampleNet_Partition's

		p := s.Providers()
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:7")
		require.NoError(s, err)
		r := bufio.NewReader(c)
		call := func() {
			start := p.Time.Now()
			c.SetDeadline(start.Add(time.Second))
			fmt.Fprintln(c, "ping")
			if _, err := r.ReadString('\n'); err != nil {
				fmt.Println("timed out")
				return
			}
			fmt.Println("answered in", p.Time.Now().Sub(start))
		}
		call()
		s.Network().Slow("10.0.0.1", simtest.DriverHost, 2*time.Second)
		call()
		s.Network().Heal()
		p.Time.Sleep(s.Context(), 3*time.Second) // the late answer arrives, and is read
		c.SetDeadline(time.Time{})
		r.ReadString('\n')
		call()
	}, simtest.Seeds(1), simtest.Network(chaos.Network{Latency: chaos.Latency{Fast: chaos.Range{Min: time.Millisecond, Max: time.Millisecond}}}))
	// Output:
	// answered in 2ms
	// timed out
	// answered in 2ms
}

// An idle connection cut off from its peer is dropped by its keep-alive
// probes, on by default as Go turns them on: the read fails 150 s after
// the ends last heard from each other.
func ExampleNet_Isolate() {
	simtest.Simulate(func(s *simtest.S) {
		server := s.HostProviders("10.0.0.1")
		l, err := server.Network.Listen(s.Context(), ":7")
		require.NoError(s, err)
		server.Task.Go(s.Context(), "server", func(ctx context.Context) error {
			c, err := l.Accept()
			if err != nil {
				return err
			}
			_, _ = c.Read(make([]byte, 1)) // waits as the client does
			return c.Close()
		})

		p := s.Providers()
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:7")
		require.NoError(s, err)
		s.Network().Isolate("10.0.0.1")
		start := p.Time.Now()
		_, err = c.Read(make([]byte, 1))
		fmt.Println(err)
		fmt.Println("after", p.Time.Now().Sub(start).Round(time.Second))
	}, simtest.Seeds(1), simtest.Network(chaos.NoNetworkFaults()))
	// Output:
	// read tcp 10.0.0.254:49152->10.0.0.1:7: read: connection timed out
	// after 2m30s
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
