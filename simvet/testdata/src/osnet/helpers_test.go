package osnet

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/suite"

	"github.com/moonpool-go/moonpool/simtest"
)

// golden runs only where the tests call it, after their Runs: not checked.
func golden(tb testing.TB, name string, got []byte) {
	want, _ := os.ReadFile(name)
	_ = os.WriteFile(name, got, 0o644)
	_ = want
}

// update is called only by golden's callers' helpers: not checked either.
func update(tb testing.TB, name string) { golden(tb, name, nil) }

// config is called from a body: it runs in a simulation.
func config(tb testing.TB) []byte {
	b, _ := os.ReadFile("cache.conf") // want `os.ReadFile reaches the real operating system`
	return b
}

// fixture is handed on as a value: where it runs is not known.
func fixture(tb testing.TB) {
	_ = os.Remove("fixture") // want `os.Remove reaches the real operating system`
}

// unused is called from nowhere: where it runs is not known.
func unused() {
	_, _ = os.Stat("x") // want `os.Stat reaches the real operating system`
}

// task is called from a task in a test.
func task() {
	_, _ = os.Stat("y") // want `os.Stat reaches the real operating system`
}

func runAll(fns ...func(testing.TB)) {}

func TestGolden(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		_ = config(s)
		s.Go("task", func(ctx context.Context) error { task(); return nil })
	})
	golden(t, "testdata/kv.golden", nil)
	update(t, "testdata/kv.golden")
	t.Run("sub", func(t *testing.T) { golden(t, "testdata/sub.golden", nil) })
	runAll(fixture)
}

type StoreSuite struct{ suite.Suite }

// A suite's Test methods and hooks run on the test goroutine, as a test
// function does.
func (ss *StoreSuite) SetupTest() { _, _ = os.ReadFile("seed.json") }

func (ss *StoreSuite) TestStore() {
	golden(ss.T(), "testdata/store.golden", nil)
	ss.Run("sub", func() { _, _ = os.ReadFile("sub.json") })
	simtest.Run(ss.T(), func(s *simtest.S) {
		_, _ = os.ReadFile("in.json") // want `os.ReadFile reaches the real operating system`
	})
}

// A method of the suite that is not a test or hook may run in a body.
func (ss *StoreSuite) load() { _, _ = os.ReadFile("load.json") } // want `os.ReadFile reaches the real operating system`
