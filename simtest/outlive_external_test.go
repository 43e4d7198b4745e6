package simtest_test

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// A cleanup registered on the test's own t runs after every seed ended:
// a Close there of what a seed made returns an error that wraps the
// closed error, as a second Close does in production, and that names the
// Run and the fix, instead of stopping the test binary.
func TestACloseInTheTestsCleanupAfterTheRunReturnsAnError(t *testing.T) {
	var seed uint64
	var errs map[string]error
	var inner string
	t.Run("inner", func(t *testing.T) {
		inner = t.Name()
		simtest.Run(t, func(s *simtest.S) {
			seed = s.Seed()
			server := s.HostProviders("10.0.0.1")
			ln, err := server.Network.Listen(s.Context(), ":7000")
			require.NoError(s, err)
			p := s.Providers()
			conn, err := p.Network.Dial(s.Context(), "10.0.0.1:7000")
			require.NoError(s, err)
			pc, err := p.Network.ListenPacket(s.Context(), ":9000")
			require.NoError(s, err)
			f, err := p.Storage.Create("data")
			require.NoError(s, err)
			t.Cleanup(func() { //simvet:allow testingt the slip this test is about
				errs = map[string]error{"conn": conn.Close(), "listener": ln.Close(), "packet": pc.Close(), "file": f.Close()}
			})
		}, simtest.Seeds(1))
	})
	require.Len(t, errs, 4)
	want := fmt.Sprintf("the simulation it belonged to (seed %d of the simtest.Run in %s) has ended; "+
		"register the cleanup that closes it with s.Cleanup, which runs at the seed's end (or give the helper that registers it the body's s), "+
		"not with the test's t.Cleanup, which runs after every seed has ended", seed, inner)
	for what, err := range errs {
		closed := net.ErrClosed
		if what == "file" {
			closed = os.ErrClosed
		}
		require.ErrorIs(t, err, closed, what)
		assert.Contains(t, err.Error(), want, what)
	}
	assert.True(t, strings.HasPrefix(errs["conn"].Error(), "close tcp "), "a *net.OpError, as production's: %v", errs["conn"])
	assert.True(t, strings.HasPrefix(errs["file"].Error(), "close data: file already closed: "), "a *fs.PathError, as production's: %v", errs["file"])
}
