package simtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// keepDir is where failing seeds are kept, below the test's package
// directory, as go test -fuzz keeps failing inputs under testdata/fuzz.
const keepDir = "testdata/simtest"

// keptSeeds returns the seeds kept for the test called name, in numeric
// order. A missing directory is no seeds; a file whose name is not a seed
// is ignored, so that a README may sit beside them.
func keptSeeds(name string) ([]uint64, error) {
	entries, err := os.ReadDir(keepPath(name))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("simtest: reading the kept seeds of %s: %w", name, err)
	}
	var out []uint64
	for _, e := range entries {
		if seed, err := strconv.ParseUint(e.Name(), 10, 64); err == nil && !e.IsDir() {
			out = append(out, seed)
		}
	}
	slices.Sort(out)
	return out, nil
}

// keepSeed writes a file for seed under the test's directory, saying why
// it is there: why, the failure in its own words, every line commented.
// An existing file is left alone.
func keepSeed(name string, seed uint64, why, replay string) error {
	dir := keepPath(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("simtest: keeping seed %d: %w", seed, err)
	}
	path := filepath.Join(dir, strconv.FormatUint(seed, 10))
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# This seed failed %s; simtest runs it first on every run of the test.\n# It failed with:\n", name)
	for _, line := range strings.Split(strings.TrimRight(why, "\n"), "\n") {
		fmt.Fprintf(&b, "#   %s\n", line)
	}
	fmt.Fprintf(&b, "# replay: %s\n", replay)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("simtest: keeping seed %d: %w", seed, err)
	}
	return nil
}

func keepPath(name string) string {
	return filepath.Join(keepDir, filepath.FromSlash(name))
}

// keeps reports whether failing seeds of a test run on t are kept: only a
// real test's, so that helpers which drive Run with a testing.TB of their
// own write nothing.
func keeps(t testing.TB, c config) bool {
	if !c.keep {
		return false
	}
	_, ok := t.(*testing.T)
	return ok
}

// withKept puts the test's kept seeds before seeds, unless a single seed is
// being replayed.
func (r *runner) withKept(seeds []uint64) []uint64 {
	r.t.Helper()
	if r.cfg.replaySet || r.fuzz != nil {
		return seeds
	}
	kept, err := keptSeeds(r.t.Name())
	if err != nil {
		r.t.Log(err)
	}
	if len(kept) == 0 {
		return seeds
	}
	r.t.Logf("simtest: running %s kept from earlier failures first (%s)", plural(len(kept), "seed"), keepPath(r.t.Name()))
	return append(kept, slices.DeleteFunc(seeds, func(s uint64) bool { return slices.Contains(kept, s) })...)
}

// keep keeps a failing seed, when the Run keeps failures; replay is the
// seed's replay line.
func (r *runner) keep(o *seedOutcome, replay string) {
	if r.fuzz != nil || !keeps(r.t, r.cfg) || isEscaped(o.res.Err) || o.s != nil && o.s.config != nil {
		return
	}
	why := failureWords(o)
	if err := keepSeed(r.t.Name(), o.res.Seed, why, replay); err != nil {
		r.t.Log(err)
	}
}

// maxKeptErrors bounds how many of a seed's errors its kept file repeats.
const maxKeptErrors = 10

// failureWords is why a seed failed, in the failure's own words: the
// engine's failure, the errors reported, what the determinism check found.
func failureWords(o *seedOutcome) string {
	var parts []string
	var f *sim.Failure
	switch {
	case errors.As(o.res.Err, &f):
		if f.Kind != sim.Stopped || o.s == nil || len(o.s.errs) == 0 {
			parts = append(parts, f.Error())
		}
	case o.res.Err != nil:
		parts = append(parts, o.res.Err.Error())
	}
	if o.diverge != "" {
		parts = append(parts, "the run is not deterministic: "+o.diverge)
	}
	if o.s != nil {
		errs := o.s.errs
		if len(errs) > maxKeptErrors {
			errs = append(errs[:maxKeptErrors:maxKeptErrors], fmt.Sprintf("(and %d more errors)", len(o.s.errs)-maxKeptErrors))
		}
		parts = append(parts, errs...)
	}
	if o.viaT {
		parts = append(parts, viaTMessage)
	}
	if len(parts) == 0 {
		return "it failed"
	}
	return strings.Join(parts, "\n")
}
