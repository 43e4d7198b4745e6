package callsite

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A call site, named three ways: by Caller, by Callers, and by
// runtime.Callers, which unwinds the stack through the runtime's tables.
type named struct {
	fast uintptr
	pcs  []uintptr
	slow uintptr
}

// site names its call site.
//
//go:noinline
func site() named {
	var pc [1]uintptr
	runtime.Callers(2, pc[:])
	n := named{fast: Caller(), pcs: make([]uintptr, 4), slow: pc[0]}
	n.pcs = n.pcs[:Callers(n.pcs)]
	return n
}

// genericSite is site for a generic function, which the compiler builds
// per shape with a dictionary argument.
//
//go:noinline
func genericSite[T any](T) named {
	var pc [1]uintptr
	runtime.Callers(2, pc[:])
	n := named{fast: Caller(), pcs: make([]uintptr, 4), slow: pc[0]}
	n.pcs = n.pcs[:Callers(n.pcs)]
	return n
}

type box struct{}

//go:noinline
func (*box) site() named {
	var pc [1]uintptr
	runtime.Callers(2, pc[:])
	n := named{fast: Caller(), pcs: make([]uintptr, 4), slow: pc[0]}
	n.pcs = n.pcs[:Callers(n.pcs)]
	return n
}

// inlined calls site from a function the compiler inlines into its
// caller: the site is still the line in inlined.
func inlined() named { return site() }

// deep grows the stack, so that Caller reads frames that the runtime
// moved.
//
//go:noinline
func deep(n int) named {
	var pad [512]byte
	if n == 0 {
		return site()
	}
	s := deep(n - 1)
	s.fast += uintptr(pad[n%len(pad)])
	return s
}

func where(pc uintptr) runtime.Frame {
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	return f
}

func TestCallerIsTheReturnAddressThatCallersGives(t *testing.T) {
	cases := map[string]func() named{
		"function":       site,
		"closure":        func() named { return site() },
		"function value": func() named { f := site; return f() },
		"generic":        func() named { return genericSite(1) },
		"generic of a pointer shape": func() named {
			return genericSite(&box{})
		},
		"method":             func() named { return (&box{}).site() },
		"method expression":  func() named { return (*box).site(&box{}) },
		"inlined caller":     inlined,
		"after stack growth": func() named { return deep(64) },
		"deferred": func() (n named) {
			defer func() { n = site() }()
			return n
		},
		"from a goroutine": func() (n named) {
			done := make(chan struct{})
			go func() { n = site(); close(done) }()
			<-done
			return n
		},
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			n := call()
			require.NotZero(t, n.slow)
			assert.Equal(t, n.slow, n.fast, "Caller gives the return address runtime.Callers gives")
			require.NotEmpty(t, n.pcs)
			assert.Equal(t, n.slow, n.pcs[0], "and so does Callers")
			assert.Equal(t, where(n.slow), First(n.pcs))
		})
	}
}

// Called through a method value, Caller may name the compiler's wrapper;
// First steps over it to the line that runtime.Callers names.
func TestFirstStepsOverMethodValues(t *testing.T) {
	f := (&box{}).site
	n := f()
	want, got := where(n.slow), First(n.pcs)
	assert.Equal(t, want.Function, got.Function)
	assert.Equal(t, want.Line, got.Line)
}

// Two calls on different lines are two sites; one call reached twice is
// one.
func TestCallerTellsSitesApart(t *testing.T) {
	var pcs []uintptr
	for range 2 {
		a := site()
		b := site()
		pcs = append(pcs, a.fast, b.fast)
	}
	assert.NotEqual(t, pcs[0], pcs[1])
	assert.Equal(t, pcs[0], pcs[2])
	assert.Equal(t, pcs[1], pcs[3])
}

//go:noinline
func fastSite() uintptr { return Caller() }

//go:noinline
func slowSite() uintptr {
	var pc [1]uintptr
	runtime.Callers(2, pc[:])
	return pc[0]
}

// BenchmarkCaller compares Caller with the runtime.Callers it replaces.
func BenchmarkCaller(b *testing.B) {
	b.Run("Caller", func(b *testing.B) {
		for b.Loop() {
			fastSite()
		}
	})
	b.Run("runtime.Callers", func(b *testing.B) {
		for b.Loop() {
			slowSite()
		}
	})
}
