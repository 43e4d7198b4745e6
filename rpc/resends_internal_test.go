package rpc

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The resend line names at most four endpoints, and how many more there
// were, so that a long queue to many endpoints stays one short line.
func TestResendsNameAtMostFourEndpoints(t *testing.T) {
	var r resends
	for i := range 6 {
		for range i + 1 {
			r.add(WellKnown(uint64(i + 1)))
		}
	}
	assert.Equal(t, 21, r.n)
	assert.Equal(t, "wellknown/1 x1, wellknown/2 x2, wellknown/3 x3, wellknown/4 x4, and 2 more endpoints", r.String())
	assert.Equal(t, "rpc: resent 21 requests to kv-0:4500 on a new connection", r.message("kv-0:4500"))
}
