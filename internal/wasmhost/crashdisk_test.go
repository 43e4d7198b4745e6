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
