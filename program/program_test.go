package program

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a build's clock that the test moves: its timer fires when
// the test calls fire, or at once when auto is set.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	after   time.Duration // what AfterFunc was asked for
	f       func()
	stopped bool
	auto    bool          // fire as soon as the timer is set
	step    time.Duration // added to now at each Now after the first
	reads   int
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reads > 0 {
		c.now = c.now.Add(c.step)
	}
	c.reads++
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	c.after, c.f = d, f
	c.mu.Unlock()
	if c.auto {
		f()
	}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.stopped = true
		return false
	}
}

// fire calls the timer's func, as the real timer would from its own
// goroutine.
func (c *fakeClock) fire() {
	c.mu.Lock()
	f := c.f
	c.mu.Unlock()
	f()
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const slowLine = "program: building counterd for wasip1 (GOOS=wasip1 GOARCH=wasm)\n"

const coldLine = "program: building counterd for wasip1 (GOOS=wasip1 GOARCH=wasm); Go's build cache lacks the standard library compiled for wasip1 (as on a machine's first build, or after a Go upgrade or go clean -cache), so this build compiles it too, a minute or two\n"

func TestQuickBuildSaysNothing(t *testing.T) {
	var out strings.Builder
	clk := &fakeClock{}
	n := noticeSlow(&out, clk, "counterd")
	assert.Equal(t, slowBuild, clk.after)
	n.compiling(true)
	n.done(nil)
	assert.True(t, clk.stopped, "the timer is stopped when the build ends")
	// A timer that fired as the build ended, too late to be stopped.
	clk.fire()
	assert.Empty(t, out.String())
}

func TestSlowBuildSaysWhatItDoesAndHowLongItTook(t *testing.T) {
	var out strings.Builder
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	n := noticeSlow(&out, clk, "counterd")
	n.compiling(false)
	clk.fire()
	assert.Equal(t, slowLine, out.String(), "said while the build runs, with no word of the standard library, which is compiled already")
	clk.advance(17*time.Second + 400*time.Millisecond)
	n.done(nil)
	assert.Equal(t, slowLine+"program: built counterd in 17s\n", out.String())
}

// Only a build that compiles the standard library says it is the reason
// for the wait: a slow rebuild of the program's own code does not.
func TestSlowBuildOfTheStandardLibrarySaysSo(t *testing.T) {
	var out strings.Builder
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	n := noticeSlow(&out, clk, "counterd")
	n.compiling(true)
	clk.fire()
	assert.Equal(t, coldLine, out.String(), "said while the build runs")
	clk.advance(103*time.Second + 400*time.Millisecond)
	n.done(nil)
	assert.Equal(t, coldLine+"program: built counterd in 1m43s\n", out.String())

	// Told after the line is out: said on a line of its own.
	out.Reset()
	n = noticeSlow(&out, clk, "counterd")
	clk.fire()
	n.compiling(true)
	assert.Equal(t, slowLine+"program: Go's build cache lacks the standard library compiled for wasip1 (as on a machine's first build, or after a Go upgrade or go clean -cache), so this build compiles it too, a minute or two\n", out.String())
}

func TestSlowBuildThatFailsSaysSo(t *testing.T) {
	var out strings.Builder
	clk := &fakeClock{}
	n := noticeSlow(&out, clk, "counterd")
	clk.fire()
	clk.advance(14 * time.Second)
	n.done(errors.New("compile error"))
	assert.Equal(t, slowLine+"program: building counterd failed after 14s\n", out.String())
}

func TestBuildTellsOfASlowBuild(t *testing.T) {
	var out strings.Builder
	clk := &fakeClock{auto: true, step: 90 * time.Second}
	prog, err := build(context.Background(), Config{Dir: "../internal/wasmhost", Package: "./testdata/guest"}, &out, clk)
	require.NoError(t, err)
	t.Cleanup(func() { prog.Close() })
	// The timer fires at once, before the build knows whether it compiles
	// the standard library, which it says on a line of its own if it does
	// (on a machine that never built for wasip1).
	got := strings.Replace(out.String(), "program: "+coldStdWords+"\n", "", 1)
	assert.Equal(t, "program: building guest for wasip1 (GOOS=wasip1 GOARCH=wasm)\n"+
		"program: built guest in 1m30s\n", got)
}
