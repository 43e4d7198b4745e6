package slips

import (
	"testing"

	"github.com/moonpool-go/moonpool/simtest"
)

func TestServer(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		srv := &Server{p: s.Providers()}
		t.Cleanup(func() { srv.flush() }) // the test's t, not the seed's s
	})
}
