package globalstate

import (
	"sync"
	"testing"

	"github.com/moonpool-go/moonpool/simtest"
)

type prog struct{ name string }

func buildProg(name string) (*prog, error) { return &prog{name}, nil }

// programs are built once per test binary, before any simulation.
var programs struct {
	once sync.Once
	a, b *prog
	err  error
}

// build is called only from test functions, before their Runs: the
// function its sync.Once runs, on the caller's goroutine, runs there too.
// Not reported.
func build(tb testing.TB) (*prog, *prog) {
	programs.once.Do(func() {
		programs.a, programs.err = buildProg("a")
		if programs.err == nil {
			programs.b, programs.err = buildProg("b")
		}
	})
	if programs.err != nil {
		tb.Fatal(programs.err)
	}
	return programs.a, programs.b
}

var cache struct {
	once sync.Once
	v    int
	f    func()
}

// warm is called from a simulation body: what its sync.Once runs is
// checked.
func warm() {
	cache.once.Do(func() {
		cache.v = 1 // want `writes package-level variable cache`
	})
}

func TestBuildOnce(t *testing.T) {
	a, b := build(t)
	var once sync.Once
	once.Do(func() { cache.v = 2 }) // on the test goroutine: not reported
	simtest.Run(t, func(s *simtest.S) {
		_, _ = a, b
		warm()
		once.Do(func() {
			cache.v = 3 // want `writes package-level variable cache`
		})
	})
	// A function handed to anything but sync.Once.Do may be kept and
	// run later, anywhere: checked.
	keep(func() {
		cache.v = 4 // want `writes package-level variable cache`
	})
}

// keep is called only from a test function, outside its literals: not
// reported.
func keep(f func()) { cache.f = f }
