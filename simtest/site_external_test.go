package simtest_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/program"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// brokenServer's Run returns an error after a second.
type brokenServer struct{}

var brokenServerRun = line(2)

func (brokenServer) Run(ctx context.Context, p providers.Providers) error {
	_ = p.Time.Sleep(ctx, time.Second)
	return errors.New("the journal is torn")
}

// brokenPtr's Run has a pointer receiver.
type brokenPtr struct{ n int }

var brokenPtrRun = line(2)

func (b *brokenPtr) Run(ctx context.Context, p providers.Providers) error {
	return fmt.Errorf("bad state %d", b.n)
}

func TestFailingProcessIsReportedAtItsRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func() simtest.Process
		want string
	}{
		{"method", func() simtest.Process { return brokenServer{} }, brokenServerRun + ": process kv-0 failed: the journal is torn"},
		{"pointer method", func() simtest.Process { return &brokenPtr{n: 7} }, brokenPtrRun + ": process kv-0 failed: bad state 7"},
		{"ProcessFunc", func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				return errors.New("refused")
			})
		}, "site_external_test.go:48: process kv-0 failed: refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				s.Boot(simtest.Processes{Name: "kv", New: tc.new})
				s.Sleep(2 * time.Second)
			}, simtest.Seeds(1))
			assert.False(t, res.OK())
			assert.Contains(t, res.Report, tc.want)
			assert.NotContains(t, res.Report, "cluster.go:")
		})
	}
}

// node embeds a program's process, as a test's own type may.
type node struct{ *program.Process }

// A process whose Run is this module's code, as a program's is, is
// reported at the line of the Boot call that declared it: a line of
// program.go would name nothing the test's author can look at, and their
// own file of that name would be taken for it.
func TestAProgramsFailureIsReportedAtItsBoot(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func() simtest.Process
	}{
		{"program", func() simtest.Process { return new(program.Process) }},
		{"embedded", func() simtest.Process { return node{new(program.Process)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var boot string
			res := simtest.Simulate(func(s *simtest.S) {
				_, _, l, _ := runtime.Caller(0)
				boot = fmt.Sprintf("site_external_test.go:%d", l+2)
				s.Boot(simtest.Processes{Name: "kv", New: tc.new})
				s.Sleep(time.Second)
			}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
			require.False(t, res.OK())
			assert.Contains(t, res.Report, boot+": process kv-0 failed: program: the Process is of a nil *Program")
			assert.NotContains(t, res.Report, "program.go:")
		})
	}
}

func TestPanickingProcessIsReportedAtItsLine(t *testing.T) {
	var at string
	res := simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "kv", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				var m map[string]int
				_, _, l, _ := runtime.Caller(0)
				at = fmt.Sprintf("site_external_test.go:%d", l+2)
				m["x"]++ // panics: a nil map
				return nil
			})
		}})
		s.Sleep(time.Second)
	}, simtest.Seeds(1))
	assert.False(t, res.OK())
	assert.Contains(t, res.Report, "failed: "+at+": panic at 0s in task \"kv-0/main\"")
	assert.Contains(t, res.PerSeed[0].FirstFailure, at+": panic")
}

// A primitive's panic at its misuse (a second Close, an Unlock of an
// unlocked Mutex) is reported at the line that misused it, not at the
// line in package providers that panicked.
func TestPrimitivesMisuseIsReportedAtTheCall(t *testing.T) {
	var at string
	res := simtest.Simulate(func(s *simtest.S) {
		m := providers.NewMutex(s.Providers().Task)
		_, _, l, _ := runtime.Caller(0)
		at = fmt.Sprintf("site_external_test.go:%d", l+2)
		m.Unlock() // panics: the Mutex is not locked
	}, simtest.Seeds(1))
	assert.False(t, res.OK())
	assert.Contains(t, res.Report, "failed: "+at+": panic at 0s in task \"driver\": providers: unlock of unlocked Mutex")
	assert.NotContains(t, res.Report, "failed: mutex.go:")
}

// A panic's stack in the report holds the task's own frames only, as the
// other stacks a report shows do.
func TestPanicStackInTheReportIsTheTasksOwn(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		var m map[string]int
		m["x"]++ // panics: a nil map
	}, simtest.Seeds(1))
	assert.False(t, res.OK())
	assert.Contains(t, res.Report, "stack of task \"driver\":\n    github.com/moonpool-go/moonpool/simtest_test.TestPanicStackInTheReportIsTheTasksOwn.func1\n    \t")
	assert.NotContains(t, res.Report, "runtime/debug.Stack")
	assert.NotContains(t, res.Report, "internal/sim.")
	assert.NotContains(t, res.Report, "goroutine ")
}
