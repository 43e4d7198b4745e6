package simdisk

import (
	"context"
	"runtime"
	"testing"

	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/fsparity"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// One random sequence of operations on the operating system's file system
// (providers.OSStorage) and on a simulated disk has the same outcomes:
// bytes, sizes, names, and the class of every error.
func TestParityWithTheOperatingSystem(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the simulated disk follows Linux's semantics")
	}
	rapid.Check(t, func(rt *rapid.T) {
		ops := fsparity.Draw(rt)
		want := fsparity.OnOS(rt, ops, fsparity.Options{})

		var got []string
		w := sim.New(sim.Config{Seed: 1})
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			d, err := New(w, "n1", chaos.Storage{})
			if err != nil {
				return err
			}
			got = fsparity.Run(d.Storage(), ops, fsparity.Options{})
			return nil
		})
		if res.Err != nil {
			rt.Fatal(res.Err)
		}
		fsparity.Compare(rt, "simulated", want, got)
	})
}
