package wasip1exec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// Epoch is the wall-clock time at which a program's clock starts.
var Epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Mount is a host directory the program sees at Guest.
type Mount struct {
	Host, Guest string
	ReadOnly    bool
}

// Config says what to run.
type Config struct {
	// Path is the .wasm file.
	Path string
	// Args are the program's arguments after its name.
	Args []string
	// Env is the program's environment, as "KEY=value" strings.
	Env []string
	// Mounts are the directories the program sees.
	Mounts []Mount
	// Seed keys the random source.
	Seed uint64
	// Stdin, Stdout and Stderr are the program's standard files; nil
	// Stdin reads nothing, nil Stdout and Stderr discard.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// CacheDir, if not "", keeps wazero's compiled modules between runs.
	CacheDir string
}

// clockStep is how far the clocks move at each read.
const clockStep = time.Microsecond

// Run runs the program and returns its exit code. The error is non-nil only
// if the program could not be run or stopped without exiting (a trap).
func Run(ctx context.Context, c Config) (int, error) {
	bin, err := os.ReadFile(c.Path)
	if err != nil {
		return 0, fmt.Errorf("wasip1exec: reading the program: %w", err)
	}
	rc := wazero.NewRuntimeConfig()
	if c.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(c.CacheDir)
		if err != nil {
			return 0, fmt.Errorf("wasip1exec: opening the compilation cache %s: %w", c.CacheDir, err)
		}
		defer cache.Close(ctx)
		rc = rc.WithCompilationCache(cache)
	}
	r := wazero.NewRuntimeWithConfig(ctx, rc)
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)

	// One clock for both readings: monotonic nanoseconds since start; the
	// wall clock is Epoch plus the same.
	var now int64 = int64(time.Second) // the runtime refuses a monotonic clock of zero
	read := func() int64 { now += int64(clockStep); return now }
	fs := wazero.NewFSConfig()
	for _, m := range c.Mounts {
		if m.ReadOnly {
			fs = fs.WithReadOnlyDirMount(m.Host, m.Guest)
		} else {
			fs = fs.WithDirMount(m.Host, m.Guest)
		}
	}
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithArgs(append([]string{filepath.Base(c.Path)}, c.Args...)...).
		WithFSConfig(fs).
		WithRandSource(seeded(c.Seed)).
		WithWalltime(func() (int64, int32) {
			t := Epoch.Add(time.Duration(read()))
			return t.Unix(), int32(t.Nanosecond())
		}, sys.ClockResolution(1)).
		WithNanotime(read, sys.ClockResolution(1)).
		WithNanosleep(func(ns int64) { now += ns }).
		WithOsyield(func() {})
	if c.Stdin != nil {
		cfg = cfg.WithStdin(c.Stdin)
	}
	if c.Stdout != nil {
		cfg = cfg.WithStdout(c.Stdout)
	}
	if c.Stderr != nil {
		cfg = cfg.WithStderr(c.Stderr)
	}
	for _, kv := range c.Env {
		k, v, ok := cut(kv)
		if !ok {
			return 0, fmt.Errorf("wasip1exec: environment entry %q has no =; write it as KEY=value", kv)
		}
		cfg = cfg.WithEnv(k, v)
	}
	mod, err := r.InstantiateWithConfig(ctx, bin, cfg)
	if mod != nil {
		mod.Close(ctx)
	}
	var exit *sys.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return int(exit.ExitCode()), nil
	default:
		return 0, fmt.Errorf("wasip1exec: running %s: %w", c.Path, err)
	}
}

func cut(kv string) (k, v string, ok bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], i > 0
		}
	}
	return "", "", false
}

// seeded returns a random source keyed by seed.
func seeded(seed uint64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return rand.NewChaCha8(key)
}
