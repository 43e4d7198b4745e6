package wasmhost_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// A crash in the middle of a program's writes keeps what it synced, and
// the rebooted program finds it: the disk's crash model holds for a
// program as for native code.
func TestCrashKeepsWhatTheProgramSynced(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		out := s.Watch("stdout")
		c := s.Boot(simtest.Processes{Name: "w", New: func() simtest.Process { return process(mod, nil, "appendlog") }})
		synced := int64(0)
		for range 3 {
			s.Sleep(time.Duration(1+s.Providers().Random.IntN(50)) * time.Millisecond)
			c.Stop("w-0", simtest.Crash)
			for _, e := range out.Next() {
				if n, ok := strings.CutPrefix(e.Msg, "synced "); ok {
					synced, _ = strconv.ParseInt(n, 10, 64)
				}
			}
			c.Start("w-0")
			s.Sleep(5 * time.Millisecond)
			lines := out.Next()
			require.NotEmpty(s, lines)
			held, err := strconv.ParseInt(strings.TrimPrefix(lines[0].Msg, "log holds "), 10, 64)
			require.NoError(s, err, lines[0].Msg)
			require.GreaterOrEqual(s, held, synced, "the log lost synced records")
			synced = held // a crash makes what it kept durable
			for _, e := range lines[1:] {
				if n, ok := strings.CutPrefix(e.Msg, "synced "); ok {
					synced, _ = strconv.ParseInt(n, 10, 64)
				}
			}
		}
	}, simtest.Seeds(20), simtest.KeepFailures(false), simtest.Storage(chaos.NoStorageFaults()))
}

// A program killed alone (simtest.Kill) leaves its machine running: the
// rebooted program finds everything it wrote, synced or not, as a
// process killed on Linux leaves its writes in the page cache. A crash of
// its machine keeps what was synced only.
func TestKillKeepsWhatTheProgramWrote(t *testing.T) {
	mod := guestModule(t)
	for _, how := range []simtest.Reboot{simtest.Kill, simtest.Crash} {
		t.Run(how.String(), func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				out := s.Watch("stdout")
				c := s.Boot(simtest.Processes{Name: "w", New: func() simtest.Process { return process(mod, nil, "appendlog") }})
				s.Sleep(time.Duration(1+s.Providers().Random.IntN(50)) * time.Millisecond)
				fi, err := s.Disk("w-0").Storage().Stat("log")
				require.NoError(s, err)
				written := fi.Size() // the program may write on until it is stopped
				out.Next()           // what the first boot printed
				c.Stop("w-0", how)
				c.Start("w-0")
				s.Sleep(5 * time.Millisecond)
				lines := out.Next()
				require.NotEmpty(s, lines)
				held, err := strconv.ParseInt(strings.TrimPrefix(lines[0].Msg, "log holds "), 10, 64)
				require.NoError(s, err, lines[0].Msg)
				if how == simtest.Kill {
					require.GreaterOrEqual(s, held, written, "a killed program's unsynced writes are lost")
				} else {
					// The program syncs every fourth record of 100 bytes.
					require.Zero(s, held%400, "a crash kept unsynced writes: the log holds %d", held)
				}
			}, simtest.Seeds(10), simtest.KeepFailures(false), simtest.Storage(chaos.NoStorageFaults()))
		})
	}
}
