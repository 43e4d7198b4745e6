package wasmhost_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/internal/wasmbuild"
	"github.com/moonpool-go/moonpool/internal/wasmhost"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// guest is the test program, built and compiled once per test binary.
var guest struct {
	once sync.Once
	path string
	mod  *wasmhost.Module
	err  error
}

func guestModule(t testing.TB) *wasmhost.Module {
	t.Helper()
	guest.once.Do(func() {
		ctx := context.Background()
		overlay, err := wasmhost.GuestOverlay(ctx, "")
		if err != nil {
			guest.err = err
			return
		}
		path, err := wasmbuild.Build(ctx, wasmbuild.Config{Package: "./testdata/guest", Overlay: overlay, Tags: []string{wasmhost.BuildTag}, MainFiles: wasmhost.MainFiles(), BuildMode: "c-shared"})
		if err != nil {
			guest.err = err
			return
		}
		guest.path = path
		guest.mod, guest.err = wasmhost.CompileFile(ctx, path, wasmhost.Options{CacheDir: wasmhost.DefaultCacheDir()})
	})
	require.NoError(t, guest.err)
	return guest.mod
}

// process runs the guest with args as a simulated process; its standard
// output goes to out when out is not nil.
func process(mod *wasmhost.Module, out *testenv.Buffer, args ...string) simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		cfg := wasmhost.Config{Args: append([]string{"guest"}, args...), Env: []string{"WHO=" + p.Cluster.Self().Name}}
		if out != nil {
			cfg.Stdout = out
		}
		return mod.Run(ctx, p, cfg)
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	if guest.mod != nil {
		guest.mod.Close(context.Background())
	}
	if code == 0 {
		// No instance leaves a goroutine behind: not the watchdog's, not
		// wazero's, not a socket's.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

func TestHelloClockRandomFiles(t *testing.T) {
	var out testenv.Buffer
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "g", New: func() simtest.Process {
			return process(mod, &out, "hello", "clock", "random", "files", "hostname")
		}})
		_ = c
		s.Sleep(10e9)
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 5, out.String())
	require.Equal(t, "hello from g-0", lines[0])
	require.Regexp(t, `^slept 1\.5\d*s at 2024-01-01T00:00:01\.\d+Z$`, lines[1], "sleeps and the clock are simulated")
	require.Regexp(t, `^crypto [0-9a-f]{16} math \d+ init \d+$`, lines[2])
	require.Equal(t, `files [a.txt c.txt] "beta\n" size=6 removed=true`, lines[3])
	require.Equal(t, "hostname g-0 <nil>", lines[4])
}

// Standard output and error are no terminal: they go to the timeline as a
// service's go to journald, through a stream socket, so a program that
// colors its output on a terminal (NATS checks os.ModeCharDevice) writes
// plain lines. Standard input reads as /dev/null does, a character device.
func TestStandardOutputIsNoTerminal(t *testing.T) {
	var out testenv.Buffer
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "g", New: func() simtest.Process { return process(mod, &out, "stdstat") }})
		s.Sleep(time.Second)
	}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
	require.Equal(t, "/dev/stdin true false\n/dev/stdout false true\n/dev/stderr false true\n", out.String())
}

func TestTCPBetweenGuestsAndNative(t *testing.T) {
	var out testenv.Buffer
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process {
			return process(mod, &out, "serve=:7000")
		}})
		s.Sleep(1e9)
		s.Boot(simtest.Processes{Name: "cli", New: func() simtest.Process {
			return process(mod, &out, "dial=srv-0:7000")
		}})
		// A native client on the same network.
		p := s.Providers()
		var conn net.Conn
		var err error
		for range 5 {
			ctx, cancel := p.Time.WithTimeout(s.Context(), 2e9)
			conn, err = p.Network.Dial(ctx, "srv-0:7000")
			cancel()
			if err == nil {
				break
			}
		}
		require.NoError(s, err)
		_, err = conn.Write([]byte("native\n"))
		require.NoError(s, err)
		buf := make([]byte, 7)
		_, err = io.ReadFull(conn, buf)
		require.NoError(s, err)
		require.Equal(s, "NATIVE\n", string(buf))
		conn.Close()
		s.Sleep(5e9)
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	require.Contains(t, out.String(), "reply PING 0\nreply PING 1\nreply PING 2\n")
}

func TestHTTPBetweenGuests(t *testing.T) {
	var out testenv.Buffer
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "web", New: func() simtest.Process {
			return process(mod, &out, "http=:8080")
		}})
		s.Sleep(1e9)
		c := s.Boot(simtest.Processes{Name: "get", New: func() simtest.Process {
			return process(mod, &out, "httpget=http://web-0:8080/hello?name=sim")
		}})
		_ = c
		s.Sleep(10e9)
	}, simtest.Seeds(3), simtest.KeepFailures(false))
	require.Contains(t, out.String(), "http 200 hello sim")
}

// Megabytes cross the network through the sockets' buffers intact, with
// the network's backpressure and faults.
func TestLargeHTTPResponse(t *testing.T) {
	var out testenv.Buffer
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "web", New: func() simtest.Process { return process(mod, &out, "http=:8080") }})
		s.Sleep(time.Second)
		s.Boot(simtest.Processes{Name: "get", New: func() simtest.Process { return process(mod, &out, "httpget=http://web-0:8080/big") }})
		s.Sleep(20 * time.Second)
	}, simtest.Seeds(2), simtest.KeepFailures(false))
	b := make([]byte, 3<<20)
	for i := range b {
		b[i] = byte(i * 7)
	}
	want := fmt.Sprintf("http 200 %d bytes sha256 %x\n", len(b), sha256.Sum256(b))
	require.Equal(t, 2, strings.Count(out.String(), want), out.String())
}

// A program dials a process written against the providers.
func TestGuestDialsNativeProcess(t *testing.T) {
	var out testenv.Buffer
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "native", New: func() simtest.Process {
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
					p.Task.Go(ctx, "conn", func(ctx context.Context) error {
						defer c.Close()
						r := bufio.NewReader(c)
						for {
							line, err := r.ReadString('\n')
							if err != nil {
								return nil
							}
							io.WriteString(c, strings.ToUpper(line))
						}
					})
				}
			})
		}})
		s.Sleep(1e9)
		s.Boot(simtest.Processes{Name: "cli", New: func() simtest.Process { return process(mod, &out, "dial=native-0:7000") }})
		s.Sleep(10e9)
	}, simtest.Seeds(2), simtest.KeepFailures(false))
	require.Equal(t, 2, strings.Count(out.String(), "reply PING 2\n"), out.String())
}

// A program's log/slog records reach the timeline as records: message,
// level and attributes, with the process and the simulated time.
func TestSlogReachesTheTimeline(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		w := s.Watch("guest says")
		s.Sleep(time.Second)
		s.Boot(simtest.Processes{Name: "l", New: func() simtest.Process { return process(mod, nil, "slog") }})
		s.Sleep(time.Second)
		got := w.Next()
		require.Len(s, got, 1)
		e := got[0]
		require.Equal(s, "l-0", e.Process)
		require.Equal(s, time.Second, e.At)
		require.Equal(s, slog.LevelWarn, e.Level)
		require.Equal(s, []slog.Attr{slog.String("k", "1"), slog.String("who", "g w")}, e.Attrs)
	}, simtest.Seeds(1), simtest.KeepFailures(false))
}

// A program's lines of the log package with a level in brackets
// ("[DEBUG] memberlist: ...") reach the timeline with that level and
// without the date and the bracket, named for their stream as any line.
func TestLeveledLogLinesReachTheTimeline(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		w := s.Watch("stderr")
		s.Boot(simtest.Processes{Name: "l", New: func() simtest.Process { return process(mod, nil, "stdlog") }})
		s.Sleep(time.Second)
		var got []string
		for _, e := range w.Next() {
			require.Equal(s, "l-0", e.Process)
			got = append(got, fmt.Sprintf("%v %s", e.Level, e.Msg))
		}
		require.Equal(s, []string{
			"DEBUG memberlist: Stream connection from=10.0.0.1:49161",
			"WARN memberlist: Refuting a suspect message (from: n-1)",
			"INFO 2024/01/01 00:00:00 a plain line",
		}, got)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
}

// A program that exits right after writing still delivers what it wrote,
// as a process's exit leaves its socket buffers to the kernel.
func TestExitFlushesSockets(t *testing.T) {
	mod := guestModule(t)
	var got int64
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		ln, err := p.Network.Listen(s.Context(), ":7000")
		require.NoError(s, err)
		s.Boot(simtest.Processes{Name: "b", New: func() simtest.Process { return process(mod, nil, "blast="+simtest.DriverHost+":7000") }})
		c, err := ln.Accept()
		require.NoError(s, err)
		got, err = io.Copy(io.Discard, c)
		require.NoError(s, err)
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
	require.Equal(t, int64(200<<10), got)
}

// A program's exit closes the files it left open, as a process's exit
// does: the space of a file it removed while holding it is free again.
func TestExitClosesTheProgramsFiles(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		p.Storage = s.Storage()
		for i := range 3 {
			h := s.Go("run", func(ctx context.Context) error {
				return mod.Run(ctx, p, wasmhost.Config{Args: []string{"guest", "hold=600000"}})
			})
			require.NoError(s, h.Join(s.Context()), "run %d", i)
		}
	}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.DiskStorage(simtest.DriverDisk, chaos.Storage{Capacity: 1 << 20}))
}

// A full disk is ENOSPC to the program, as to native code, not an I/O
// error.
func TestAFullDiskIsENOSPC(t *testing.T) {
	mod := guestModule(t)
	var got error
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		p.Storage = s.Storage()
		h := s.Go("run", func(ctx context.Context) error {
			got = mod.Run(ctx, p, wasmhost.Config{Args: []string{"guest", "hold=600000"}})
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.DiskStorage(simtest.DriverDisk, chaos.Storage{Capacity: 512 << 10}))
	var exit *wasmhost.ExitError
	require.ErrorAs(t, got, &exit)
	require.Equal(t, "hold=600000: write /held: No space left on device", exit.Stderr, "wasip1 spells ENOSPC so")
}

// A write that fills the disk tells how much it wrote, as on Linux, where
// the write returns its count and the next one fails: a program keeping
// its own offset stays in step with the file.
func TestAWriteThatFillsTheDiskCountsWhatWent(t *testing.T) {
	out := onDisk(t, "fill=600000", simtest.DiskStorage(simtest.DriverDisk, chaos.Storage{Capacity: 512 << 10}))
	require.Equal(t, "wrote 524288 size 524288 full true\n", out)
}

// onDisk runs the guest program with arg on the driver's disk, as the
// simulation with opt gives it, for one seed, and returns what it printed.
func onDisk(t *testing.T, arg string, opt simtest.Option) string {
	t.Helper()
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		p.Storage = s.Storage()
		h := s.Go("run", func(ctx context.Context) error {
			return mod.Run(ctx, p, wasmhost.Config{Args: []string{"guest", arg}, Stdout: &out})
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(1), simtest.KeepFailures(false), opt)
	return out.String()
}

// againstDriver runs the guest program with mode, given the address of a
// listener of the driver's on :7000, for seeds seeds with chaos off; drive
// then takes and acts on the program's connections. It returns what the
// program printed in every seed.
func againstDriver(t *testing.T, mode string, seeds int, drive func(s *simtest.S, ln net.Listener)) string {
	t.Helper()
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		ln, err := s.Providers().Network.Listen(s.Context(), ":7000")
		require.NoError(s, err)
		s.Boot(simtest.Processes{Name: "g", New: func() simtest.Process {
			return process(mod, &out, mode+"="+simtest.DriverHost+":7000")
		}})
		drive(s, ln)
	}, simtest.Seeds(seeds), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
	return out.String()
}

// The disk's refusals reach the program as Linux's errors, not as EIO: a
// name longer than 255 bytes is ENAMETOOLONG, and renaming the root is
// EBUSY (as wasip1 spells them).
func TestRefusedNamesAreLinuxErrors(t *testing.T) {
	out := onDisk(t, "badnames", simtest.Storage(chaos.NoStorageFaults()))
	long := "/" + strings.Repeat("n", 256)
	require.Equal(t, "long: open "+long+": File name too long\nroot: rename / /elsewhere: Device or resource busy\n", out)
}

// Syncing a directory reaches the disk and costs a sync, as it does for
// native code on the same disk.
func TestADirectorySyncReachesTheDisk(t *testing.T) {
	out := onDisk(t, "syncdir", simtest.Storage(chaos.NoStorageFaults()))
	require.Equal(t, "synced <nil> true\n", out)
}
