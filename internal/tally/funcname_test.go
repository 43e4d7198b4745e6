package tally

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	} {
		assert.Equal(t, c.want, names.Of(&Site{File: file, Line: c.line, Col: c.col, Func: c.runtime}), c.why)
	}
	outside := &Site{File: file, Line: 6, Col: 3, Func: "example.com/m/hunt_test.TestHunt.Body.func2"}
	assert.Equal(t, outside.Func, NewFuncNames(t.TempDir(), "example.com/m").Of(outside), "a file outside the module keeps the runtime's name")
	missing := &Site{File: filepath.Join(dir, "gone.go"), Line: 6, Func: "example.com/m/hunt_test.TestHunt.Body.func2"}
	assert.Equal(t, missing.Func, names.Of(missing), "a file that cannot be read keeps the runtime's name")
	assert.Equal(t, "", names.Of(nil))
}
