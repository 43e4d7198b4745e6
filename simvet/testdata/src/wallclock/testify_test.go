package wallclock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"

	"github.com/moonpool-go/moonpool/simtest"
)

func TestEventually(t *testing.T) {
	done := func() bool { return true }
	require.Eventually(t, done, time.Second, time.Millisecond) // on the test goroutine: not reported
	simtest.Run(t, func(s *simtest.S) {
		require.Eventually(s, done, time.Second, time.Millisecond)                             // want `require.Eventually polls on the wall clock, from a goroutine of its own, while simulated time stands still; in a simulation body use s.Eventually\(name, within, check\), which the simulation checks in simulated time`
		assert.EventuallyWithT(s, func(c *assert.CollectT) {}, time.Second, time.Millisecond)  // want `assert.EventuallyWithT polls on the wall clock.*use s.Eventually\(name, within, check\)`
		require.EventuallyWithT(s, func(c *assert.CollectT) {}, time.Second, time.Millisecond) // want `require.EventuallyWithT polls on the wall clock`
		assert.Never(s, done, time.Second, time.Millisecond)                                   // want `assert.Never polls on the wall clock.*use s.Invariant\(name, check\)`
		r := require.New(s)
		r.EventuallyWithT(func(c *assert.CollectT) {}, time.Second, time.Millisecond) // want `require.EventuallyWithT polls on the wall clock`
		require.NoError(s, nil)                                                       // no wait: not reported
	})
}

type CacheSuite struct{ suite.Suite }

// A suite's Eventually, its Require's and its Assert's are reported here,
// not by testingt as well: s.Eventually mends both.
func (cs *CacheSuite) TestEventually() {
	done := func() bool { return true }
	simtest.Run(cs.T(), func(s *simtest.S) {
		cs.Eventually(done, time.Second, time.Millisecond)           // want `assert.Eventually polls on the wall clock.*use s.Eventually\(name, within, check\)`
		cs.Require().Eventually(done, time.Second, time.Millisecond) // want `require.Eventually polls on the wall clock`
		cs.Assert().Never(done, time.Second, time.Millisecond)       // want `assert.Never polls on the wall clock.*use s.Invariant\(name, check\)`
	})
}
