package tally

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/callsite"
)

// A copy of a closure that the compiler made in inlining the function
// that declares it is named as the source declares the closure; any
// other name is kept.
func TestFuncNamesNameTheSourcesClosure(t *testing.T) {
	root := t.TempDir()
	src := `package hunt

func Body() func() {
	_ = func() {}
	return func() {
		check()
		f := func() {
			check()
		}
		f()
	}
}

func (h *Hunt) Run() func() {
	return func() { check() }
}

func check() {}
`
	dir := filepath.Join(root, "hunt")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	file := filepath.Join(dir, "hunt.go")
	require.NoError(t, os.WriteFile(file, []byte(src), 0o644))
	names := NewFuncNames(root, "example.com/m")
	for _, c := range []struct {
		line      int
		col       int
		runtime   string
		want, why string
	}{
		{6, 3, "example.com/m/hunt_test.TestHunt.Body.func2", "example.com/m/hunt.Body.func2", "a copy inlined into a test function"},
		{6, 0, "example.com/m/hunt_test.TestHunt.func1.Body.3", "example.com/m/hunt.Body.func2", "a copy inlined into a closure, the column unknown"},
		{8, 4, "example.com/m/hunt_test.TestHunt.Body.func2.1", "example.com/m/hunt.Body.func2.1", "a closure in a copied closure"},
		{15, 18, "example.com/m/kv.Serve.(*Hunt).Run.func4", "example.com/m/hunt.(*Hunt).Run.func1", "a method's closure"},
		{6, 3, "example.com/m/hunt.Body.func2", "example.com/m/hunt.Body.func2", "the closure itself"},
		{6, 3, "example.com/m/hunt.Body.func7", "example.com/m/hunt.Body.func7", "the closure itself, as the runtime numbers it"},
		{19, 1, "example.com/m/hunt.check", "example.com/m/hunt.check", "no closure"},
		{6, 3, "example.com/m/hunt_test.TestHunt.func3", "example.com/m/hunt_test.TestHunt.func3", "a name that does not say whose copy it is"},
		{6, 3, "example.com/m/hunt_test.TestHunt.Body.func2-range2", "example.com/m/hunt.Body.func2", "a loop body in a copy of a closure"},
		{6, 3, "example.com/m/hunt_test.TestHunt.Body.func2.gowrap1", "example.com/m/hunt.Body.func2", "a go statement's wrapper in a copy"},
		{8, 4, "example.com/m/hunt.Body.func2.1.deferwrap2", "example.com/m/hunt.Body.func2.1", "a defer statement's wrapper in a closure"},
		{18, 14, "example.com/m/hunt_test.TestHunt.check-range1-range1", "example.com/m/hunt.check", "nested loop bodies in a copy of a declared function"},
		{6, 3, "example.com/m/hunt.Body.func2-rangeX", "example.com/m/hunt.Body.func2-rangeX", "a name the compiler does not make"},
	} {
		assert.Equal(t, c.want, names.Of(&Site{File: file, Line: c.line, Col: c.col, Func: c.runtime}), c.why)
	}
	outside := &Site{File: file, Line: 6, Col: 3, Func: "example.com/m/hunt_test.TestHunt.Body.func2"}
	assert.Equal(t, outside.Func, NewFuncNames(t.TempDir(), "example.com/m").Of(outside), "a file outside the module keeps the runtime's name")
	missing := &Site{File: filepath.Join(dir, "gone.go"), Line: 6, Func: "example.com/m/hunt_test.TestHunt.Body.func2"}
	assert.Equal(t, missing.Func, names.Of(missing), "a file that cannot be read keeps the runtime's name")
	assert.Equal(t, "", names.Of(nil))
}

// capture records the site of its caller's call as a Book does: the
// return address read from the frame pointers (internal/callsite), which
// keeps the compiler's wrappers that runtime.Callers steps over.
//
//go:noinline
func capture(s *Site) {
	var pcs [1]uintptr
	callsite.Callers(pcs[:])
	*s = *siteOf(pcs[0])
}

// captureDone is capture for a go statement, which then says so.
//
//go:noinline
func captureDone(s *Site, done chan<- struct{}) {
	var pcs [1]uintptr
	callsite.Callers(pcs[:])
	*s = *siteOf(pcs[0])
	close(done)
}

// siteOf is the site at return PC pc, as Sites.outside finds it.
func siteOf(pc uintptr) *Site {
	f := callsite.First([]uintptr{pc})
	return &Site{File: f.File, Line: f.Line, Func: f.Function}
}

func once(yield func(int) bool) { yield(1) }

func siteInRange() (s Site) {
	for range once {
		capture(&s)
	}
	return s
}

func siteInRangeInClosure() (s Site) {
	f := func() {
		for range once {
			for range once {
				capture(&s)
			}
		}
	}
	f()
	return s
}

func siteOfGo() (s Site) {
	done := make(chan struct{})
	go captureDone(&s, done)
	<-done
	return s
}

func siteOfDefer() (s Site) {
	func() {
		defer capture(&s)
	}()
	return s
}

// Sites in the functions the compiler makes for a range-over-func loop's
// body and for a go or defer statement's call are named for the function
// or closure the source declares around them, as compiled here.
func TestFuncNamesNameTheSourcesFunctionAroundCompilerMadeOnes(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	names := NewFuncNames(root, "github.com/moonpool-go/moonpool")
	const pkg = "github.com/moonpool-go/moonpool/internal/tally."
	for _, c := range []struct {
		site       Site
		made, want string
	}{
		{siteInRange(), "-range1", pkg + "siteInRange"},
		{siteInRangeInClosure(), "func1-range", pkg + "siteInRangeInClosure.func1"},
		{siteOfGo(), ".gowrap1", pkg + "siteOfGo"},
		{siteOfDefer(), ".deferwrap1", pkg + "siteOfDefer.func1"},
	} {
		require.True(t, strings.Contains(c.site.Func, c.made),
			"the compiler names the function %s, not ...%s", c.site.Func, c.made)
		assert.Equal(t, c.want, names.Of(&c.site), c.site.Func)
	}

}
