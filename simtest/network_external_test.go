package simtest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// echoOn serves one echo connection at a time on host:7.
func echoOn(s *simtest.S, host string) { echoOnPort(s, host, ":7") }

// echoOnPort serves one echo connection at a time on host:port.
func echoOnPort(s *simtest.S, host, port string) {
	p := s.HostProviders(host)
	l, err := p.Network.Listen(s.Context(), port)
	require.NoError(s, err)
	p.Task.Go(s.Context(), "echo", func(ctx context.Context) error {
		for {
			c, err := l.Accept()
			if err != nil {
				return nil
			}
			io.Copy(c, c)
			c.Close()
		}
	})
}

func TestDriverHasANetwork(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		require.NotNil(s, p.Network)
		assert.Equal(s, simtest.DriverHost, p.Network.Host())
		echoOn(s, "10.0.0.1")
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:7")
		require.NoError(s, err)
		assert.Equal(s, simtest.DriverHost, c.LocalAddr().(*net.TCPAddr).IP.String())
		_, err = c.Write([]byte("hi"))
		require.NoError(s, err)
		buf := make([]byte, 2)
		_, err = io.ReadFull(c, buf)
		require.NoError(s, err)
		assert.Equal(s, "hi", string(buf))
	}, simtest.Seeds(5))
}

func TestManualFaultsOnTheNetwork(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		echoOn(s, "10.0.0.1")
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:7")
		require.NoError(s, err)

		s.Network().Partition([]string{simtest.DriverHost}, []string{"10.0.0.1"})
		_, err = c.Write([]byte("x"))
		require.NoError(s, err)
		require.NoError(s, c.SetReadDeadline(s.Now().Add(time.Second)))
		_, err = c.Read(make([]byte, 1))
		var ne net.Error
		require.ErrorAs(s, err, &ne)
		assert.True(s, ne.Timeout(), "the echo cannot come back across the partition")

		s.Network().Heal()
		require.NoError(s, c.SetReadDeadline(time.Time{}))
		_, err = c.Read(make([]byte, 1))
		assert.NoError(s, err, "after the heal it does")

		s.Network().Isolate("10.0.0.1")
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Second)
		_, err = p.Network.Dial(ctx, "10.0.0.1:7")
		cancel()
		require.ErrorAs(s, err, &ne)
		assert.True(s, ne.Timeout(), "the connect cannot reach the isolated host")
		s.Network().Quiesce()
		_, err = p.Network.Dial(s.Context(), "10.0.0.1:7")
		assert.NoError(s, err)

		// echo sends a byte and reads the echo, and says how long it took.
		echo := func() time.Duration {
			start := s.Elapsed()
			_, err := c.Write([]byte("y"))
			require.NoError(s, err)
			_, err = c.Read(make([]byte, 1))
			require.NoError(s, err)
			return s.Elapsed() - start
		}
		s.Network().Clog(simtest.DriverHost, "10.0.0.1", 300*time.Millisecond)
		assert.GreaterOrEqual(s, echo(), 300*time.Millisecond)

		// A slow link delays every reply by its extra, until Heal.
		s.Network().Slow("10.0.0.1", simtest.DriverHost, time.Second)
		for range 2 {
			assert.GreaterOrEqual(s, echo(), time.Second)
		}
		s.Network().Heal()
		assert.Less(s, echo(), time.Second)
	}, simtest.Network(chaos.NoNetworkFaults()), simtest.Seeds(3))
}

func TestNetworkOptionRejectsBadSettings(t *testing.T) {
	bad := chaos.DefaultNetwork()
	bad.CloseProb = 2
	r := runIn("TestBadNetwork", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { s.Fatal("no seed runs") }, simtest.Network(bad))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), "simtest.Network: chaos.Network.CloseProb is 2; a probability must be between 0 and 1")
}

func TestNetworkTrafficIsDeterministic(t *testing.T) {
	// With every default fault on, two runs of each seed agree step by
	// step (CheckDeterminism fails the test otherwise).
	simtest.Run(t, func(s *simtest.S) {
		echoOn(s, "10.0.0.1")
		p := s.Providers()
		for range 20 {
			ctx, cancel := p.Time.WithTimeout(s.Context(), 100*time.Millisecond)
			c, err := p.Network.Dial(ctx, "10.0.0.1:7")
			cancel()
			if err != nil {
				continue
			}
			c.SetDeadline(s.Now().Add(100 * time.Millisecond))
			c.Write(make([]byte, 1+p.Random.IntN(10000)))
			io.ReadFull(c, make([]byte, 10))
			c.Close()
		}
	}, simtest.CheckDeterminism(), simtest.Seeds(10))
}

func TestHostProvidersRunOnTheirHost(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		a := s.HostProviders("10.0.0.1")
		assert.Equal(s, "10.0.0.1", a.Network.Host())
		l, err := a.Network.Listen(s.Context(), ":80")
		require.NoError(s, err)
		assert.Equal(s, "10.0.0.1:80", l.Addr().String())
		_, err = s.HostProviders("10.0.0.2").Network.Dial(s.Context(), "10.0.0.1:81")
		assert.True(s, errors.Is(err, syscall.ECONNREFUSED), "got %v", err)
		var _ providers.Network = a.Network
	}, simtest.Network(chaos.NoNetworkFaults()), simtest.Seeds(2))
}

func TestNetworkOptionIsCheckedAgainstRandomize(t *testing.T) {
	// NoNetworkFaults has no clog length, and Random may switch clogs on.
	res := simtest.Simulate(func(s *simtest.S) { s.Fatal("no seed runs") },
		simtest.Chaos(chaos.Random()), simtest.Network(chaos.NoNetworkFaults()))
	assert.Zero(t, res.Seeds)
	assert.Contains(t, res.Report, "simtest: the chaos configuration with the Network or Storage option in it does not validate: chaos.Network.ClogDuration.Max is 0s but the settings are drawn per seed (Randomize), which may switch clogs on; give clogs a positive length")

	ok := chaos.NoNetworkFaults()
	ok.ClogDuration = chaos.DefaultNetwork().ClogDuration
	res = simtest.Simulate(func(s *simtest.S) {
		assert.Equal(s, 64<<10, s.ChaosConfig().Network.SendBuffer)
		assert.False(s, s.ChaosConfig().Network.Randomize)
	}, simtest.Seeds(3), simtest.Chaos(chaos.Random()), simtest.Network(ok))
	assert.Equal(t, 3, res.Passed, res.Report)
}

func TestNetworkHandleShowsHostsAndFaults(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		net := s.Network()
		assert.Equal(s, []string{simtest.DriverHost}, net.Hosts(), "the driver's host is made first")
		s.HostProviders("10.0.0.2")
		s.Boot(simtest.Processes{Name: "n", New: waitForStop})
		net.Isolate("10.0.0.9")
		assert.Equal(s, []string{simtest.DriverHost, "10.0.0.2", "n-0", "10.0.0.9"}, net.Hosts())

		f := net.Config()
		assert.False(s, f.Randomize, "the seed's draws are made")
		assert.Equal(s, s.ChaosConfig().Network, f)
		assert.NotEqual(s, chaos.DefaultNetwork().Latency, f.Latency, "drawn per seed")
		net.Quiesce()
		assert.Equal(s, f.NoFaults(), net.Config(), "no faults after Quiesce; latency stays")
	}, simtest.Network(chaos.RandomNetwork()), simtest.Seeds(3))
}

// A context reports its deadline on the clock that made it, whoever reads
// it (docs/network.md, "Clocks"): read on a skewed host, a deadline made
// on the driver's clock is simulated time, and a connection deadline set
// from it ends off by the host's skew. A time-out made on the host's clock
// under that context reports the same end on the host's clock, and a
// connection deadline set from it ends with the context.
func TestADeadlineReadsOnTheClockThatMadeIt(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.MaxClockSkew = 100 * time.Millisecond
	simtest.Run(t, func(s *simtest.S) {
		server, client := s.HostProviders("10.0.0.1"), s.HostProviders("10.0.0.2")
		skew := client.Time.Now().Sub(s.Now())
		require.NotZero(s, skew, "the client's clock is skewed")
		l, err := server.Network.Listen(s.Context(), ":80")
		require.NoError(s, err)
		defer l.Close()
		conn, err := client.Network.Dial(s.Context(), "10.0.0.1:80")
		require.NoError(s, err)
		defer conn.Close()
		read := func(deadline time.Time) time.Time {
			require.NoError(s, conn.SetReadDeadline(deadline))
			_, err := conn.Read(make([]byte, 1))
			require.ErrorIs(s, err, os.ErrDeadlineExceeded)
			return s.Now()
		}

		ctx, cancel := s.Providers().Time.WithTimeout(s.Context(), time.Second)
		defer cancel()
		end := s.Now().Add(time.Second)
		dl, _ := ctx.Deadline()
		assert.Equal(s, end, dl, "the driver's clock's reading, whoever reads it")
		onHost, cancelOnHost := client.Time.WithTimeout(ctx, time.Hour)
		defer cancelOnHost()
		hostDl, _ := onHost.Deadline()
		assert.Equal(s, end.Add(skew), hostDl, "the host's clock's reading when ctx ends")
		assert.Equal(s, end, read(hostDl), "the read ends with ctx")

		ctx, cancel = s.Providers().Time.WithTimeout(s.Context(), time.Second)
		defer cancel()
		end = s.Now().Add(time.Second)
		dl, _ = ctx.Deadline()
		assert.Equal(s, end.Add(-skew), read(dl), "the read ends off by the host's skew")
	}, simtest.Network(cfg), simtest.Seeds(3))
}

// A process whose code opens a socket with the driver's providers, which
// its factory took, fails the seed as a mistake of the test's set-up,
// naming the process, the call and the line, before it listens where the
// driver listens or dials past its own host's partitions. The driver's
// own tasks open sockets on its host as ever.
func TestAProcessOnTheDriversNetworkIsASetUpMistake(t *testing.T) {
	for _, op := range []string{"Listen", "Dial"} {
		t.Run(op, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				drv := s.Providers()
				l, err := drv.Network.Listen(s.Context(), ":81")
				require.NoError(s, err, "the driver listens on its own host")
				defer l.Close()
				s.Boot(simtest.Processes{Name: "x", New: func() simtest.Process {
					return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
						if op == "Listen" {
							l, err := drv.Network.Listen(ctx, ":80")
							if err == nil {
								l.Close()
							}
						} else {
							c, err := drv.Network.Dial(ctx, simtest.DriverHost+":81")
							if err == nil {
								c.Close()
							}
						}
						return p.Time.Sleep(ctx, time.Hour)
					})
				}})
				s.Sleep(time.Second)
			}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
			require.False(t, res.OK())
			assert.Contains(t, res.Report, "configuration error: process x-0 called Network."+op+" on the test driver's host (10.0.0.254)")
			assert.Regexp(t, `\n\s+at network_external_test\.go:\d+\n`, res.Report, "the line of the call")
		})
	}
}

// An injector slows a link for a while: the timeline tells it, and the
// faults line counts it among the network's faults.
func TestAnInjectedSlowLinkIsAFault(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: waiting})
		c.Inject(simtest.Injector{Name: "slow downstream", Run: func(ctx context.Context, f *simtest.Faults) error {
			f.Slow("p-1", "p-0", 2*time.Second)
			if err := f.Providers().Time.Sleep(ctx, 10*time.Second); err != nil {
				return err
			}
			f.Heal()
			return nil
		}})
		c.Run(simtest.Phases{Chaos: time.Minute, Settle: time.Millisecond}, idleFor(time.Minute))
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, "faults seen: 0 reboots, 2 of the network (2 slow links), 0 of the disks")
}

// A failed seed names the connections a random close silenced and that
// neither end closed since, where a task that reads waits for ever; one
// that either end closed is not named.
func TestAFailureNamesTheConnectionsASilentCloseLeftOpen(t *testing.T) {
	run := func(closeAfter bool) string {
		cfg := chaos.Off()
		cfg.Network.CloseProb, cfg.Network.CloseExplicitProb = 1, 0 // the first operation silences it
		res := simtest.Simulate(func(s *simtest.S) {
			echoOn(s, "10.0.0.1")
			c, err := s.Providers().Network.Dial(s.Context(), "10.0.0.1:7")
			require.NoError(s, err)
			_, _ = c.Write([]byte("x"))
			require.NoError(s, c.SetReadDeadline(s.Now().Add(time.Second)))
			_, err = c.Read(make([]byte, 1))
			assert.Error(s, err, "nothing comes back")
			if closeAfter {
				require.NoError(s, c.Close())
			}
			s.Errorf("the echo never came")
		}, simtest.Network(cfg.Network), simtest.Seeds(1), simtest.KeepFailures(false))
		require.Equal(t, 1, res.Failed, res.Report)
		return res.Report
	}
	report := run(false)
	assert.Regexp(t, `a connection silenced by a random close and open at both ends as the seed ended: (10\.0\.0\.254:\d+->10\.0\.0\.1:7|10\.0\.0\.1:7->10\.0\.0\.254:\d+) since \S+; `+
		`no data passes and neither end is told`, report)
	assert.NotContains(t, run(true), "silenced by a random close")
}
