package wasmhost_test

import (
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
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

// A program killed as kill -9 kills it, its machine up, leaves what it
// wrote in the page cache: the file holds it, synced or not, until the
// machine loses power. A crash, the machine's too, loses it at once.
func TestAKilledProgramsUnsyncedWritesStayUntilAPowerLoss(t *testing.T) {
	mod := guestModule(t)
	const written = "record 0\nrecord 1\nrecord 2\n"
	for _, tc := range []struct {
		name      string
		how       simtest.Reboot
		powerLoss bool
		want      string
	}{
		{"kill", simtest.Kill, false, written},
		{"crash", simtest.Crash, false, ""},
		{"kill, then a power loss", simtest.Kill, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				c := s.Boot(simtest.Processes{Name: "w", New: func() simtest.Process { return process(mod, nil, "writes=3", "forever") }})
				s.Sleep(500 * time.Millisecond)
				c.Stop("w-0", tc.how)
				d := s.Disk("w-0")
				if tc.powerLoss {
					d.Crash()
				}
				got, err := fs.ReadFile(providers.StorageFS(d.Storage()), "records")
				require.NoError(s, err)
				require.Equal(s, tc.want, string(got))
			}, simtest.Seeds(3), simtest.KeepFailures(false), simtest.Storage(chaos.NoStorageFaults()))
		})
	}
}
