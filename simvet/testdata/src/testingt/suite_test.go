package testingt

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"

	"github.com/moonpool-go/moonpool/simtest"
)

type CacheSuite struct {
	suite.Suite
	calls int
}

func start(tb testing.TB) {}

// In a body, the suite's T, Require, Assert and assertions are the test's t.
func (cs *CacheSuite) TestSlips() {
	cs.T().Log("before the Run: not reported")
	cs.Require().NoError(nil)
	simtest.Run(cs.T(), func(s *simtest.S) {
		start(cs.T())                // want `cs.T\(\), the test's, given to start in a simulation body reports to the test, not the seed.*; pass s, the seed's`
		cs.Require().NoError(nil)    // want `cs.Require\(\) in a simulation body is the suite's require on the test's t, so it reports to the test, not the seed.*; use require.NoError\(s, err\) and the rest of package require given s, or r := require.New\(s\) in the body`
		cs.Assert().Equal(1, 1)      // want `cs.Assert\(\) in a simulation body is the suite's assert on the test's t.*; use assert.Equal\(s, want, got\) and the rest of package assert given s, or a := assert.New\(s\) in the body`
		cs.Equal(1, 1)               // want `cs.Equal in a simulation body is the suite's assertion on the test's t, so it reports to the test, not the seed.*; use assert.Equal\(s, ...\), the seed's`
		cs.NoError(nil)              // want `cs.NoError in a simulation body .*use assert.NoError\(s, ...\)`
		require.NoError(cs.T(), nil) // want `cs.T\(\), the test's, given to require.NoError in a simulation body .*pass s, the seed's`
		assert.Equal(cs.T(), 1, 1)   // want `cs.T\(\), the test's, given to assert.Equal`
		cs.T().Cleanup(func() {})    // want `cs.T\(\).Cleanup in a simulation body registers on the test.*; use s.Cleanup, the seed's`
		_ = cs.T().Name()            // the same as the S's: not reported
		t := cs.T()                  // want `cs.T\(\), the test's \*testing.T, used in a simulation body is the whole test's, not the seed's; use the body's \*simtest.S`
		_ = t
		cs.Run("sub", func() {}) // want `cs.Run in a simulation body starts a subtest, which a seed cannot hold; run the simulation inside the subtest instead: cs.Run\(name, func\(\) { simtest.Run\(cs.T\(\), body\) }\)`
		require.NoError(s, nil)  // the seed's: not reported
	})
}

// A method of the suite that the body calls reaches the test's t for it.
func (cs *CacheSuite) load() {
	cs.Require().NoError(nil)
}

func (cs *CacheSuite) check(n int) { cs.Equal(1, n) }

func (cs *CacheSuite) logT() { cs.T().Log("x") }

func (cs *CacheSuite) named() string { return cs.T().Name() }

func (cs *CacheSuite) waits() {
	cs.Eventually(func() bool { return true }, time.Second, time.Millisecond)
}

func (cs *CacheSuite) count() { cs.calls++ }

func (cs *CacheSuite) waitsOnT() {
	cs.Require().Eventually(func() bool { cs.T().Log("x"); return true }, time.Second, time.Millisecond)
}

func (cs *CacheSuite) loadTB(tb testing.TB) { require.NoError(tb, nil) }

func (cs *CacheSuite) loadBoth(tb testing.TB) { cs.Require().NoError(nil) }

func (cs *CacheSuite) TestHelpers() {
	simtest.Run(cs.T(), func(s *simtest.S) {
		cs.load()           // want `cs.load in a simulation body calls the suite's method load, which uses cs.Require\(\) at suite_test.go:45, the test's t, so it reports to the test, not the seed.*; pass s in: have load take a testing.TB and use it in place of the suite's T, Require, Assert and assertions`
		cs.check(1)         // want `cs.check in a simulation body calls the suite's method check, which uses cs.Equal at suite_test.go:48`
		cs.logT()           // want `which uses cs.T\(\) at suite_test.go:50`
		_ = cs.named()      // the T's Name is the S's: not reported
		cs.waits()          // wallclock's, in the method: not reported
		cs.count()          // reaches no T: not reported
		cs.waitsOnT()       // want `cs.waitsOnT in a simulation body calls the suite's method waitsOnT, which uses cs.T\(\) at suite_test.go:61`
		cs.loadTB(s)        // given the S: not reported
		cs.loadBoth(cs.T()) // want `cs.loadBoth in a simulation body calls the suite's method loadBoth, which uses cs.Require\(\)` `cs.T\(\), the test's, given to cs.loadBoth in a simulation body .*; pass s, the seed's`
		s.Go("task", func(context.Context) error {
			cs.load() // want `cs.load in a simulation body calls the suite's method load`
			return nil
		})
	})
	cs.load() // on the test goroutine: not reported
}

// The suite's Eventually and Never poll on the wall clock whatever T they
// are given: wallclock reports them, with s.Eventually, not testingt.
func (cs *CacheSuite) TestWaits() {
	simtest.Run(cs.T(), func(s *simtest.S) {
		cs.Eventually(func() bool { return true }, time.Second, time.Millisecond)
		cs.Require().Eventually(func() bool { return true }, time.Second, time.Millisecond)
		cs.Assert().Never(func() bool { return false }, time.Second, time.Millisecond)
		cs.Require().Eventually(func() bool {
			cs.Require().NoError(nil) // want `cs.Require\(\) in a simulation body is the suite's require on the test's t`
			return true
		}, time.Second, time.Millisecond)
		cs.Assert().Eventually(func() bool {
			cs.T().Log("x")       // want `cs.T\(\).Log in a simulation body`
			return cs.Equal(1, 1) // want `cs.Equal in a simulation body is the suite's assertion on the test's t`
		}, time.Second, time.Millisecond)
	})
}

func TestCacheSuite(t *testing.T) { suite.Run(t, new(CacheSuite)) }
