package wasmhost_test

import (
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/simtest"
)

// A program has a /tmp, empty at each of its starts, as a tmpfs is after
// a reboot: os.TempDir is "/tmp", os.MkdirTemp works, and a rename out of
// it is EXDEV, as between two file systems. Nothing of it reaches the
// process's disk, and the root lists the disk alone: a program that tells
// its first boot by an empty directory still sees one.
func TestEachStartHasAnEmptyTmp(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "t", New: func() simtest.Process { return process(mod, &out, "tmp", "forever") }})
		s.Sleep(500 * time.Millisecond)
		c.Reboot("t-0", simtest.Crash)
		s.Sleep(500 * time.Millisecond)
		c.Reboot("t-0", simtest.Graceful, simtest.Grace(time.Second))
		s.Sleep(500 * time.Millisecond)
		_, err := s.Disk("t-0").Storage().Stat("tmp")
		require.ErrorIs(s, err, fs.ErrNotExist, "the tmpfs reached the disk")
	}, simtest.Seeds(2), simtest.KeepFailures(false))
	once := "tempdir /tmp 0 <nil>\nmade true temporary <nil>\nrename out of /tmp: true\nroot lists 0 <nil>\n"
	require.Equal(t, strings.Repeat(once, 3*2), out.String())
}
