package wasmhost_test

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/internal/wasmhost"
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
		`writable shared, read-only file: true`,
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
			var lines []simtest.Entry
			for i := 0; len(lines) == 0 && i < 1000; i++ {
				s.Sleep(time.Millisecond)
				lines = out.Next()
			}
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

// The stores into a writable shared mapping are the file's for whoever
// looks at it: a read through another descriptor, a read of the whole
// file, a stat; a write shows in the mapping and a store over it wins; a
// store past the file's end is undone, with a line in the timeline, as
// SIGBUS stops it on Linux; a truncation takes away the stores past the
// new end; Msync and Munmap write the stores back, a closed descriptor's
// mapping goes on working, two mappings of the file see each other's
// stores once the file is looked at, a private mapping's stores stay its
// own, a file of /tmp maps as one of the disk, and the program's end
// writes back what is left.
func TestAWritableMappingsStoresReachTheFile(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		p.Storage = s.Storage()
		sigbus := s.Watch("mmap")
		h := s.Go("run", func(ctx context.Context) error {
			return mod.Run(ctx, p, wasmhost.Config{Args: []string{"guest", "mmapstore"}, Stdout: &out})
		})
		require.NoError(s, h.Join(s.Context()))
		lines := sigbus.Next()
		require.Len(s, lines, 1)
		require.Contains(s, lines[0].Msg, "a store into a shared mapping of w at offset 2000 is past the file's end")
		f, err := s.Storage().Open("w")
		require.NoError(s, err)
		data, err := io.ReadAll(f)
		require.NoError(s, err)
		require.Equal(s, "aWs.", string(data[:4]))
		require.Equal(s, "SC.AE", string([]byte{data[10], data[20], data[30], data[40], data[50]}))
	}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.Storage(chaos.NoStorageFaults()))
	require.Equal(t, strings.Join([]string{
		`stored, read: "abc."`,
		`stored, read whole: "xyz." 1024`,
		`written, mapping: "aWW."`,
		`stored over a write: "aWs."`,
		`past the end: size 1024, mapping '\x00'`,
		`shrunk: '\x00'`,
		`grown: '\x00' "\x00"`,
		`msync: <nil> S`,
		`closed, then unmapped: "C"`,
		`private: "."`,
		`two mappings: '.' then 'A'`,
		`tmpfs: "Tmpfs"`,
	}, "\n")+"\n", out.String())
}

// A program that keeps its log in a mapping, storing its records and
// syncing them with Msync, keeps what it synced across crashes of its
// machine and every record it stored across kills of the process, whose
// stores the kernel's page cache holds.
func TestAWritableMappedLogAcrossCrashes(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		out := s.Watch("stdout")
		c := s.Boot(simtest.Processes{Name: "w", New: func() simtest.Process { return process(mod, nil, "mmapwal=300") }})
		synced, stored := 0, 0
		note := func(lines []simtest.Entry) {
			for _, e := range lines {
				if n, ok := strings.CutPrefix(e.Msg, "synced "); ok {
					synced, _ = strconv.Atoi(n)
				}
				if n, ok := strings.CutPrefix(e.Msg, "stored "); ok {
					stored, _ = strconv.Atoi(n)
				}
			}
		}
		for round := range 6 {
			s.Sleep(time.Duration(1+s.Providers().Random.IntN(60)) * time.Millisecond)
			how := simtest.Crash
			if round%2 == 1 {
				how = simtest.Kill
			}
			c.Stop("w-0", how)
			note(out.Next())
			c.Start("w-0")
			var lines []simtest.Entry
			for i := 0; len(lines) == 0 && i < 1000; i++ {
				s.Sleep(time.Millisecond)
				lines = out.Next()
			}
			require.NotEmpty(s, lines)
			held, err := strconv.Atoi(strings.TrimPrefix(lines[0].Msg, "log holds "))
			require.NoError(s, err, lines[0].Msg)
			if how == simtest.Kill {
				require.Equal(s, stored, held, "a kill lost stored records, or kept more")
			} else {
				require.GreaterOrEqual(s, held, synced, "a crash lost synced records")
				require.LessOrEqual(s, held, stored, "the log holds records never stored")
			}
			synced, stored = held, held
			note(lines[1:])
		}
	}, simtest.Seeds(10), simtest.KeepFailures(false), simtest.Storage(chaos.NoStorageFaults()))
}

// Two programs on one machine share a file: the stores of the one that
// maps it reach what the other reads, and the other's write reaches the
// mapping.
func TestProcessesOfAMachineShareAMappedFile(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		out := s.Watch("stdout")
		c := s.Boot(simtest.Processes{Name: "m", Count: 2, Topology: simtest.Topology{PerMachine: 2},
			NewFor: func(id simtest.ProcessID) simtest.Process {
				return process(mod, nil, "mmapshare="+string(rune('a'+id.Index)))
			}})
		_ = c
		s.Sleep(time.Second)
		var got []string
		for _, e := range out.Next() {
			got = append(got, e.Process+": "+e.Msg)
		}
		require.ElementsMatch(s, []string{"m-1: b sees a's stores", "m-0: a sees b's write"}, got)
	}, simtest.Seeds(5), simtest.KeepFailures(false), simtest.Storage(chaos.NoStorageFaults()))
}
