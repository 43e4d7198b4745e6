package wasmhost_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/wasmhost"
	"github.com/moonpool-go/moonpool/simtest"
)

// randomLines runs the guest's "random" twice, one instance after the
// other, with the same arguments and environment, and returns the two
// lines they print.
func randomLines(t *testing.T, c wasmhost.Config) []string {
	t.Helper()
	mod := guestModule(t)
	var lines []string
	simtest.Run(t, func(s *simtest.S) {
		for range 2 {
			var out bytes.Buffer
			c.Args, c.Stdout = []string{"guest", "random"}, &out
			require.NoError(s, mod.Run(s.Context(), s.Providers(), c))
			lines = append(lines, out.String())
		}
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	return lines
}

var randomLine = regexp.MustCompile(`^crypto ([0-9a-f]+) math (\d+) init (\d+)\n$`)

// Instances started from one snapshot share what the package
// initializers drew, and nothing after: the runtime's random state, and
// so math/rand's, is drawn again for each from its own source.
func TestSnapshotReseedsTheRuntime(t *testing.T) {
	mod := guestModule(t)
	require.NoError(t, wasmhost.SnapshotErr(mod, wasmhost.Config{Args: []string{"guest", "random"}}), "the guest starts from a snapshot")
	lines := randomLines(t, wasmhost.Config{})
	a, b := randomLine.FindStringSubmatch(lines[0]), randomLine.FindStringSubmatch(lines[1])
	require.NotNil(t, a, lines[0])
	require.NotNil(t, b, lines[1])
	assert.NotEqual(t, a[1], b[1], "crypto/rand after the start draws from each instance's source")
	assert.NotEqual(t, a[2], b[2], "math/rand after the start draws from each instance's reseeded runtime")
	assert.Equal(t, a[3], b[3], "a package initializer's draw is the snapshot's")
}

// ColdStart runs the initializers in each instance, with its own draws.
func TestColdStartDrawsInEachInstance(t *testing.T) {
	lines := randomLines(t, wasmhost.Config{ColdStart: true})
	a, b := randomLine.FindStringSubmatch(lines[0]), randomLine.FindStringSubmatch(lines[1])
	require.NotNil(t, a, lines[0])
	require.NotNil(t, b, lines[1])
	assert.NotEqual(t, a[2], b[2])
	assert.NotEqual(t, a[3], b[3], "each cold start runs the initializers with its own draws")
}

// A program whose initializers reach the world starts cold, with no
// error, and runs as it would from a snapshot.
func TestUnsafeInitializersStartCold(t *testing.T) {
	mod := guestModule(t)
	for what, why := range map[string]string{
		"clock": "it reads the wall clock",
		"file":  "it calls wasi_snapshot_preview1.path_open",
		"print": "it calls wasi_snapshot_preview1.fd_write",
	} {
		t.Run(what, func(t *testing.T) {
			c := wasmhost.Config{Args: []string{"guest", "hello"}, Env: []string{"GUEST_INIT=" + what, "WHO=cold"}}
			err := wasmhost.SnapshotErr(mod, c)
			require.ErrorIs(t, err, wasmhost.ErrUnsafeInit)
			require.ErrorContains(t, err, why)
			simtest.Run(t, func(s *simtest.S) {
				var out bytes.Buffer
				c.Stdout = &out
				require.NoError(s, mod.Run(s.Context(), s.Providers(), c))
				require.Contains(s, out.String(), "hello from cold\n")
			}, simtest.Seeds(1), simtest.KeepFailures(false))
		})
	}
}

// A process that starts in an instance another process ran in, and grew,
// runs as one that starts in a new instance: the memory past the
// snapshot's comes zeroed, and the runtime lays out its heap at the same
// addresses.
func TestAnIdleInstanceStartsTheProgramAsANewOne(t *testing.T) {
	guestModule(t)
	// A module of its own, whose instances no other test leaves idle.
	mod, err := wasmhost.CompileFile(context.Background(), guest.path, wasmhost.Options{CacheDir: wasmhost.DefaultCacheDir()})
	require.NoError(t, err)
	defer mod.Close(context.Background())
	var lines []string
	var idle [][]uint32
	simtest.Run(t, func(s *simtest.S) {
		for _, mib := range []int{24, 16, 24} {
			var out bytes.Buffer
			c := wasmhost.Config{Args: []string{"guest", fmt.Sprintf("heap=%d", mib)}, Stdout: &out}
			require.NoError(s, mod.Run(s.Context(), s.Providers(), c))
			lines = append(lines, out.String())
			idle = append(idle, wasmhost.IdleMemories(mod))
		}
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	require.Len(t, lines, 3)
	assert.Contains(t, lines[0], "dirty 0 ")
	assert.Equal(t, lines[0], lines[2], "the third process, in the instance the first two grew, runs as the first, in a new one")
	assert.Contains(t, lines[1], "dirty 0 ")
	assert.NotEqual(t, lines[0], lines[1], "a smaller heap ends lower")
	require.Len(t, idle[0], 1, "the first process leaves its instance for the next")
	assert.Equal(t, idle[0], idle[1], "the second process uses the memory the first grew")
	assert.Equal(t, idle[0], idle[2], "the third process, as large as the first, grows it no further")

	// The memory the processes filled past the snapshot's is cleared.
	dirty, past, err := wasmhost.RestoreIdle(mod, wasmhost.Config{Args: []string{"guest", "heap=1"}})
	require.NoError(t, err)
	assert.Greater(t, past, 24<<20)
	assert.Zero(t, dirty)
}

// An instance a process left with all the memory a program can have, 4
// GiB, where the memory's size in bytes no longer fits its uint32, is not
// one a later process fails to start in.
func TestAnInstanceAtTheMemoryLimitStartsNoProcess(t *testing.T) {
	guestModule(t)
	mod, err := wasmhost.CompileFile(context.Background(), guest.path, wasmhost.Options{CacheDir: wasmhost.DefaultCacheDir()})
	require.NoError(t, err)
	defer mod.Close(context.Background())
	simtest.Run(t, func(s *simtest.S) {
		c := wasmhost.Config{Args: []string{"guest", "nothing"}}
		require.NoError(s, mod.Run(s.Context(), s.Providers(), c))
		pages, ok := wasmhost.GrowIdleToLimit(mod)
		require.True(s, ok)
		require.EqualValues(s, 65536, pages)
		for range 2 {
			require.NoError(s, mod.Run(s.Context(), s.Providers(), c), "a start after the instance at the limit")
			assert.NotContains(s, wasmhost.IdleMemories(mod), uint32(0), "a new instance took its place")
		}
	}, simtest.Seeds(1), simtest.KeepFailures(false))
}
