package wasmhost_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/simtest"
)

// Assertions and buggify called inside the program reach the run's book.
func TestGuestAssertionsAndBuggify(t *testing.T) {
	mod := guestModule(t)
	var fired []string
	simtest.Run(t, func(s *simtest.S) {
		w := s.Watch("buggify fired", "buggify site on")
		s.Boot(simtest.Processes{Name: "a", New: func() simtest.Process { return process(mod, nil, "assert=ok") }})
		s.Sleep(time.Second)
		for _, e := range w.Next() {
			fired = append(fired, e.Msg)
		}
	}, simtest.Seeds(4), simtest.KeepFailures(false))
	require.NotEmpty(t, fired, "no guest buggify site was switched on in 4 seeds")
	for _, f := range fired {
		require.Contains(t, f, "main.go:", "a guest site is named by its file and line")
	}
}

// A crash point inside a program crashes its process where it stands,
// as one in native code does.
func TestGuestCrashPointCrashesTheProcess(t *testing.T) {
	mod := guestModule(t)
	cfg := chaos.Off()
	cfg.Buggify = chaos.DefaultBuggify()
	cfg.Buggify.ActivationProb = 1
	var points []string
	boots := 0
	simtest.Run(t, func(s *simtest.S) {
		w := s.Watch("crash point", "boot")
		c := s.Boot(simtest.Processes{Name: "a", New: func() simtest.Process { return process(mod, nil, "crashpoint") }})
		c.Run(simtest.Phases{Chaos: 10 * time.Second})
		for _, e := range w.Next() {
			if e.Name == "crash point" {
				points = append(points, e.Msg)
			} else {
				boots++
			}
		}
	}, simtest.Seeds(2), simtest.Chaos(cfg), simtest.KeepFailures(false))
	require.NotEmpty(t, points, "no crash point fired in 2 seeds of 500 reaches each")
	require.Regexp(t, `^crash point: a-0 crashes at main\.go:\d+$`, points[0])
	require.Equal(t, 2+len(points), boots, "a first boot a seed, and one a crash")
}

// Inside a program, the simulation's seed is the run's.
func TestGuestSeesTheSeed(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	var seed uint64
	simtest.Run(t, func(s *simtest.S) {
		seed = s.Seed()
		s.Boot(simtest.Processes{Name: "a", New: func() simtest.Process { return process(mod, &out, "seed") }})
		s.Sleep(time.Second)
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, fmt.Sprintf("seed %d\n", seed), out.String())
}

func TestGuestAlwaysFailsTheSeed(t *testing.T) {
	mod := guestModule(t)
	r := runIn(t.Name(), func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", New: func() simtest.Process { return process(mod, nil, "assert=fail") }})
			s.Sleep(time.Second)
		}, simtest.Seeds(1), simtest.KeepFailures(false))
	})
	require.True(t, r.failed)
	require.Contains(t, r.output(), "guest always")
}

// recorder is a testing.TB that keeps what Run tells it.
type recorder struct {
	testing.TB
	name   string
	mu     sync.Mutex
	lines  []string
	failed bool
}

func (r *recorder) Name() string { return r.name }
func (r *recorder) Helper()      {}
func (r *recorder) add(s string) { r.mu.Lock(); r.lines = append(r.lines, s); r.mu.Unlock() }
func (r *recorder) Error(args ...any) {
	r.add(fmt.Sprint(args...))
	r.Fail()
}
func (r *recorder) Errorf(format string, args ...any) { r.add(fmt.Sprintf(format, args...)); r.Fail() }
func (r *recorder) Log(args ...any)                   { r.add(fmt.Sprint(args...)) }
func (r *recorder) Logf(format string, args ...any)   { r.add(fmt.Sprintf(format, args...)) }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); r.FailNow() }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); r.FailNow() }
func (r *recorder) Fail()                             { r.mu.Lock(); r.failed = true; r.mu.Unlock() }
func (r *recorder) Failed() bool                      { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }
func (r *recorder) FailNow()                          { r.Fail(); runtime.Goexit() }
func (r *recorder) Skip(args ...any)                  { runtime.Goexit() }
func (r *recorder) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

func runIn(name string, f func(r *recorder)) *recorder {
	r := &recorder{name: name}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}
