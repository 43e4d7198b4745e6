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

// A shared mapping of a file shows every write of the program to it, as
// the page cache makes it show them on Linux: through any descriptor, at
// an offset, appended, truncated away, past the file's end, across a
// rename of it or its directory and its removal; a remap larger shows the file as it stands; a private mapping,
// the old mapping after Munmap and the file that replaced the mapped one
// are not the mapped file. Munmap takes the whole of what Mmap returned,
// as Linux's syscall package does: a part of it fails with EINVAL.
func TestAMappingSeesTheProgramsWrites(t *testing.T) {
	out := onDisk(t, "mmap", simtest.Storage(chaos.NoStorageFaults()))
	require.Equal(t, strings.Join([]string{
		`mapped: "0123456789\x00\x00"`,
		`pwrite: "012abc6789\x00\x00"`,
		`append: "012abc6789XYZ\x00"`,
		`write: "0-2abc6789XYZ\x00"`,
		`truncate: "0-2ab\x00\x00\x00\x00\x00\x00\x00\x00\x00"`,
		`far: "\x00far\x00"`,
		`across the end: "\x00\x00en"`,
		`private: "0123456789\x00\x00"`,
		`remapped: "0-2ab"`,
		`remapped far: "\x00far\x00"`,
		`new "0-2Ub" old "0-2ab"`,
		`at an offset: "\x00V\x00\x00\x00\x00\x00\x00\x00\x00"`,
		`renamed: "R-2Ub"`,
		`renamed onto itself: "W\x00\x00\x00\x00"`,
		`replaced: "WS\x00\x00\x00"`,
		`directory renamed: "in e"`,
		`removed: "Xn e"`,
		`new file "\x00\x00\x00\x00", created over`,
		`writable shared: true`,
		`unaligned: true`,
		`directory: true`,
		`write-only: true`,
		`unmap twice: true`,
		`unmap part: true true`,
		`unmap: <nil> <nil> <nil>`,
	}, "\n")+"\n", out)
}

// A program that maps its log and writes it with WriteAt keeps what it
// synced across crashes of its machine and what it wrote across kills of
// the process; each boot maps the file afresh and finds there what the
// file holds, and each write shows in the mapping, which grows by
// remapping.
func TestAMappedLogAcrossCrashes(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		out := s.Watch("stdout")
		c := s.Boot(simtest.Processes{Name: "w", New: func() simtest.Process { return process(mod, nil, "mmaplog=3000") }})
		synced := 0
		for round := range 4 {
			s.Sleep(time.Duration(1+s.Providers().Random.IntN(50)) * time.Millisecond)
			how := simtest.Crash
			if round%2 == 1 {
				how = simtest.Kill
			}
			c.Stop("w-0", how)
			for _, e := range out.Next() {
				if n, ok := strings.CutPrefix(e.Msg, "synced "); ok {
					synced, _ = strconv.Atoi(n)
				}
			}
			c.Start("w-0")
			s.Sleep(5 * time.Millisecond)
			lines := out.Next()
			require.NotEmpty(s, lines)
			held, err := strconv.Atoi(strings.TrimPrefix(lines[0].Msg, "log holds "))
			require.NoError(s, err, lines[0].Msg)
			require.GreaterOrEqual(s, held, synced, "the log lost synced records")
			for _, e := range lines[1:] {
				if n, ok := strings.CutPrefix(e.Msg, "synced "); ok {
					synced, _ = strconv.Atoi(n)
				}
			}
		}
	}, simtest.Seeds(10), simtest.KeepFailures(false), simtest.Storage(chaos.NoStorageFaults()))
}
