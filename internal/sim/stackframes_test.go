package sim

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStackFramesDropArgumentsAndOffsets(t *testing.T) {
	stack := "time.Sleep(0x3b9aca00)\n\t/usr/local/go/src/runtime/time.go:363 +0x10d\n" +
		"example.com/heavy_test.TestStuck.func2()\n\t/src/heavy/extra_test.go:130 +0x25\n" +
		"created by example.com/heavy_test.TestStuck in goroutine 7\n\t/src/heavy/extra_test.go:128 +0x5a\n"
	want := []StackFrame{
		{Func: "time.Sleep", Loc: "/usr/local/go/src/runtime/time.go:363"},
		{Func: "example.com/heavy_test.TestStuck.func2", Loc: "/src/heavy/extra_test.go:130"},
		{Func: "created by example.com/heavy_test.TestStuck in goroutine 7", Loc: "/src/heavy/extra_test.go:128"},
	}
	assert.Empty(t, cmp.Diff(want, StackFrames(stack)))
	assert.Empty(t, StackFrames(""))
	assert.Empty(t, StackFrames("main.main()"), "a function without its place")

	// A Failure's stack, trimmed already, reads the same.
	assert.Empty(t, cmp.Diff(want[:1], StackFrames("time.Sleep\n\t/usr/local/go/src/runtime/time.go:363")))

	// A real stack: this test's frame, with its file.
	_, raw, _ := strings.Cut(string(debug.Stack()), "\n")
	frames := StackFrames(raw)
	require.NotEmpty(t, frames)
	found := false
	for _, f := range frames {
		if f.Func == "github.com/moonpool-go/moonpool/internal/sim.TestStackFramesDropArgumentsAndOffsets" {
			found = strings.Contains(f.Loc, "/internal/sim/stackframes_test.go:") && !strings.Contains(f.Loc, " ")
		}
	}
	assert.True(t, found, "%q", frames)
}

func TestStdlibFunc(t *testing.T) {
	for fn, std := range map[string]bool{
		"time.Sleep":                              true,
		"net/http.(*Transport).getConn":           true,
		"main.main":                               true,
		"golang.org/x/time/rate.(*Limiter).wait":  false,
		"example.com/heavy_test.TestStuck.func2":  false,
		"github.com/moonpool-go/moonpool/sim.Run": false,
	} {
		assert.Equal(t, std, StdlibFunc(fn), fn)
	}
}
