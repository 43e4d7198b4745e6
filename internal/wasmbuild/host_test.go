package wasmbuild

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// seededReader is a random source keyed by a seed.
type seededReader struct{ r *rand.ChaCha8 }

func (s seededReader) Read(p []byte) (int, error) { return s.r.Read(p) }

func newSeeded(seed uint64) seededReader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return seededReader{rand.NewChaCha8(key)}
}

// host runs one compiled module under a minimal deterministic host: random
// bytes from a seed, a virtual clock that moves only when the guest sleeps.
type host struct {
	t   *testing.T
	r   wazero.Runtime
	mod wazero.CompiledModule
}

func newHost(t *testing.T, path string) *host {
	t.Helper()
	ctx := context.Background()
	bin, err := os.ReadFile(path)
	require.NoError(t, err)
	// The interpreter: compiling a module with wazero's compiler takes
	// most of a minute under the race detector, and these programs are
	// short.
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	t.Cleanup(func() { r.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	mod, err := r.CompileModule(ctx, bin)
	require.NoError(t, err)
	return &host{t: t, r: r, mod: mod}
}

// run runs the module once with seed and returns its standard output.
func (h *host) run(seed uint64, args ...string) string {
	h.t.Helper()
	ctx := context.Background()
	var now int64 = 1_700_000_000_000_000_000
	var stdout, stderr bytes.Buffer
	cfg := wazero.NewModuleConfig().WithName("").
		WithArgs(append([]string{"prog"}, args...)...).
		WithStdout(&stdout).WithStderr(&stderr).
		WithRandSource(newSeeded(seed)).
		WithWalltime(func() (int64, int32) { return now / 1e9, int32(now % 1e9) }, sys.ClockResolution(1)).
		WithNanotime(func() int64 { return now }, sys.ClockResolution(1)).
		WithNanosleep(func(ns int64) { now += ns })
	mod, err := h.r.InstantiateModule(ctx, h.mod, cfg)
	if mod != nil {
		mod.Close(ctx)
	}
	if ee, ok := err.(*sys.ExitError); ok && ee.ExitCode() == 0 {
		err = nil
	}
	require.NoError(h.t, err, "stderr: %s", stderr.String())
	return stdout.String()
}

// run runs the module at path once with seed.
func run(t *testing.T, path string, seed uint64, args ...string) string {
	t.Helper()
	return newHost(t, path).run(seed, args...)
}
