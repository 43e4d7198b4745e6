package simtest

import (
	"errors"
	"reflect"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// The test's t is shared by the Run's workers: a seed that ran while
// another skipped t sees the skip, but only the seed whose task the skip
// ended reports it, with the line that skipped.
func TestOnlyTheSeedThatSkippedReportsTheSkip(t *testing.T) {
	for _, err := range []error{nil, errors.New("a failure of its own"), &sim.Failure{Kind: sim.Panic, Stack: "main.f()\n\t/src/f.go:3 +0x1\n"}} {
		bystander := &S{}
		skippedInBody(bystander, err, nil)
		assert.Nil(t, bystander.config, "%v", err)
	}

	skipper := &S{}
	skippedInBody(skipper, &sim.Failure{Kind: sim.Goexit, Stack: "example.com/m.skipIfNoBackend(...)\n\t/src/m/skip_test.go:39 +0x1c\n"}, nil)
	require.NotNil(t, skipper.config)
	assert.Equal(t, "skip_test.go:39", skipper.config.where)
	assert.EqualError(t, skipper.config.err, outerSkipError)
	assert.True(t, skipper.failed)
}

// The skip's error names the body's line as well as the helper's that
// skipped: the innermost frame in the body's function, or in a closure
// declared in it (a task's), whatever the helpers between.
func TestTheSkipNamesTheBodysLine(t *testing.T) {
	body := func(*S) {}
	name := runtime.FuncForPC(reflect.ValueOf(body).Pointer()).Name()
	skip := "testing.(*common).SkipNow(...)\n\t/go/src/testing/testing.go:1200 +0x10\n" +
		"example.com/m.skipIfNoBackend(...)\n\t/src/m/skip_test.go:39 +0x1c\n" +
		"example.com/m.check(...)\n\t/src/m/helpers_test.go:12 +0x1c\n"
	for _, c := range []struct{ frame, want string }{
		{name + "(0xc000010000)\n\t/src/m/run_test.go:23 +0x2c\n", "skip_test.go:39, called from the body at run_test.go:23"},
		{name + ".1({0x1, 0x2})\n\t/src/m/run_test.go:29 +0x2c\n" + name + "(0xc000010000)\n\t/src/m/run_test.go:27 +0x2c\n", "skip_test.go:39, called from the body at run_test.go:29"},
		{name + "0(0xc000010000)\n\t/src/m/run_test.go:23 +0x2c\n", "skip_test.go:39"}, // another closure, func10 beside func1
	} {
		s := &S{}
		skippedInBody(s, &sim.Failure{Kind: sim.Goexit, Stack: skip + c.frame}, body)
		require.NotNil(t, s.config)
		assert.Equal(t, c.want, s.config.where)
	}
	s := &S{}
	skippedInBody(s, &sim.Failure{Kind: sim.Goexit, Stack: name + "(0xc000010000)\n\t/src/m/run_test.go:23 +0x2c\n"}, body)
	assert.Equal(t, "run_test.go:23", s.config.where, "a skip in the body itself is named once")
}
