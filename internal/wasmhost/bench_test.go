package wasmhost_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/internal/wasmhost"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// quiet runs benchmarks without faults, so that they time the host.
var quiet = []simtest.Option{simtest.Chaos(chaos.Off()), simtest.KeepFailures(false)}

// BenchmarkStart is a process's start from the compiled module: one
// instance that runs a program which does nothing, per op.
func BenchmarkStart(b *testing.B) {
	mod := guestModule(b)
	b.ResetTimer()
	cpu := testenv.CPUTime()
	simtest.Run(b, func(s *simtest.S) {
		for range b.N {
			if err := mod.Run(s.Context(), s.Providers(), wasmhost.Config{Args: []string{"guest", "nothing"}}); err != nil {
				s.Fatal(err)
			}
			s.Providers().Task.Yield(s.Context()) // back to the scheduler now and then
		}
	}, append(quiet, simtest.Seeds(1))...)
	if cpu := testenv.CPUTime() - cpu; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/start")
	}
}

// phases is a program's standard output that names, a line a write,
// the phase it starts ("udp", "tcp", "end"): it adds up the CPU and the
// allocations of each, and stops the benchmark's timer during "tcp".
type phases struct {
	b      *testing.B
	cur    string
	since  time.Duration // the CPU at the current phase's start
	from   uint64        // the allocations then
	cpu    map[string]time.Duration
	allocs map[string]uint64
}

func (p *phases) Write(b []byte) (int, error) {
	cpu, m := testenv.CPUTime(), mallocs()
	if p.cur != "" {
		p.cpu[p.cur] += cpu - p.since
		p.allocs[p.cur] += m - p.from
	}
	p.cur = strings.TrimSpace(string(b))
	if p.cur == "tcp" {
		p.b.StopTimer()
	} else {
		p.b.StartTimer()
	}
	p.since, p.from = testenv.CPUTime(), mallocs()
	return len(b), nil
}

// mallocs returns how many heap objects the process has allocated.
func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// reportCPU reports the CPU this process used per op since cpu, which a
// shared machine's wall time does not tell.
func reportCPU(b *testing.B, cpu time.Duration) {
	if cpu := testenv.CPUTime() - cpu; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/1000/float64(b.N), "cpu-µs/op")
	}
}

// BenchmarkSleep is one time.Sleep of a program, per op, against the same
// sleep through the providers.
func BenchmarkSleep(b *testing.B) {
	b.Run("program", func(b *testing.B) {
		mod := guestModule(b)
		b.ResetTimer()
		defer reportCPU(b, testenv.CPUTime())
		simtest.Run(b, func(s *simtest.S) {
			if err := mod.Run(s.Context(), s.Providers(), wasmhost.Config{Args: []string{"guest", fmt.Sprintf("sleeps=%d", b.N)}}); err != nil {
				s.Fatal(err)
			}
		}, append(quiet, simtest.Seeds(1), simtest.TimeBudget(time.Duration(b.N+10)*time.Second))...)
	})
	b.Run("providers", func(b *testing.B) {
		defer reportCPU(b, testenv.CPUTime())
		simtest.Run(b, func(s *simtest.S) {
			for range b.N {
				s.Providers().Time.Sleep(s.Context(), time.Millisecond)
			}
		}, append(quiet, simtest.Seeds(1), simtest.TimeBudget(time.Duration(b.N+10)*time.Second))...)
	})
}

// BenchmarkTCPRoundTrip is one byte there and back over the simulated
// network, per op: between two programs, and between two processes on
// the providers.
func BenchmarkTCPRoundTrip(b *testing.B) {
	b.Run("program", func(b *testing.B) { programRoundTrip(b, "echo=:7000", "rtt=echo-0:7000") })
	b.Run("providers", func(b *testing.B) {
		defer reportCPU(b, testenv.CPUTime())
		simtest.Run(b, func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "echo", New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					ln, err := p.Network.Listen(ctx, ":7000")
					if err != nil {
						return err
					}
					for {
						c, err := ln.Accept()
						if err != nil {
							return err
						}
						p.Task.Go(ctx, "echo", func(ctx context.Context) error {
							_, err := io.Copy(c, c)
							return err
						})
					}
				})
			}})
			s.Sleep(time.Second)
			p := s.Providers()
			var c net.Conn
			c, err := p.Network.Dial(s.Context(), "echo-0:7000")
			if err != nil {
				s.Fatal(err)
			}
			buf := []byte{'x'}
			for range b.N {
				c.Write(buf)
				if _, err := io.ReadFull(c, buf); err != nil {
					s.Fatal(err)
				}
			}
		}, append(quiet, simtest.Seeds(1), simtest.TimeBudget(time.Duration(b.N+10)*time.Second))...)
	})
}

// programRoundTrip is b.N round trips between two programs: process
// echo-0, booted with the guest's argument server, and a program run by
// the driver with client and b.N.
func programRoundTrip(b *testing.B, server, client string) {
	mod := guestModule(b)
	b.ResetTimer()
	defer reportCPU(b, testenv.CPUTime())
	simtest.Run(b, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "echo", New: func() simtest.Process { return process(mod, nil, server) }})
		s.Sleep(time.Second)
		if err := mod.Run(s.Context(), s.Providers(), wasmhost.Config{Args: []string{"guest", fmt.Sprintf("%s,%d", client, b.N)}}); err != nil {
			s.Fatal(err)
		}
	}, append(quiet, simtest.Seeds(1), simtest.TimeBudget(time.Duration(b.N+10)*time.Second))...)
}

// BenchmarkUDPRoundTrip is one byte there and back in datagrams over the
// simulated network, per op: between two programs, and between two
// processes on the providers.
//
// Between programs, the floor is TCP's round trip between the same
// programs, measured in the same run: the client alternates rounds of
// each, so that a loaded machine weighs on both alike, and the timer
// stops for TCP's. x-tcp is the CPU of a UDP round trip over a TCP
// one's; allocs/rt and tcp-allocs/rt are the allocations of each, with
// no program's start spread over them as in allocs/op.
func BenchmarkUDPRoundTrip(b *testing.B) {
	b.Run("program", func(b *testing.B) {
		mod := guestModule(b)
		b.ResetTimer()
		ph := &phases{b: b, cpu: map[string]time.Duration{}, allocs: map[string]uint64{}}
		simtest.Run(b, func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "uecho", New: func() simtest.Process { return process(mod, nil, "udpecho=:7000") }})
			s.Boot(simtest.Processes{Name: "techo", New: func() simtest.Process { return process(mod, nil, "echo=:7000") }})
			s.Sleep(time.Second)
			cfg := wasmhost.Config{Args: []string{"guest", fmt.Sprintf("rttpair=uecho-0:7000,techo-0:7000,%d,%d", b.N, min(b.N, 8))}, Stdout: ph}
			if err := mod.Run(s.Context(), s.Providers(), cfg); err != nil {
				s.Fatal(err)
			}
		}, append(quiet, simtest.Seeds(1), simtest.TimeBudget(time.Duration(2*b.N+10)*time.Second))...)
		n := float64(b.N)
		if ph.cpu["udp"] > 0 && ph.cpu["tcp"] > 0 {
			b.ReportMetric(float64(ph.cpu["udp"].Nanoseconds())/1000/n, "cpu-µs/op")
			b.ReportMetric(ph.cpu["udp"].Seconds()/ph.cpu["tcp"].Seconds(), "x-tcp")
		}
		b.ReportMetric(float64(ph.allocs["udp"])/n, "allocs/rt")
		b.ReportMetric(float64(ph.allocs["tcp"])/n, "tcp-allocs/rt")
	})
	b.Run("providers", func(b *testing.B) {
		defer reportCPU(b, testenv.CPUTime())
		simtest.Run(b, func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "echo", New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					pc, err := p.Network.ListenPacket(ctx, ":7000")
					if err != nil {
						return err
					}
					buf := make([]byte, 2048)
					for {
						n, from, err := pc.ReadFrom(buf)
						if err != nil {
							return err
						}
						if _, err := pc.WriteTo(buf[:n], from); err != nil {
							return err
						}
					}
				})
			}})
			s.Sleep(time.Second)
			p := s.Providers()
			pc, err := p.Network.ListenPacket(s.Context(), ":0")
			if err != nil {
				s.Fatal(err)
			}
			to := &simnet.UDPAddr{Host: "echo-0", Port: 7000}
			buf := []byte{'x'}
			for range b.N {
				if _, err := pc.WriteTo(buf, to); err != nil {
					s.Fatal(err)
				}
				if _, _, err := pc.ReadFrom(buf); err != nil {
					s.Fatal(err)
				}
			}
		}, append(quiet, simtest.Seeds(1), simtest.TimeBudget(time.Duration(b.N+10)*time.Second))...)
	})
}
