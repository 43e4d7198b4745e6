package rpc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// A GetReply of a message that takes the codec's binary path allocates,
// in steady state, nothing: the waits of its two parked tasks, the
// call, the handler's task, the request, the reply and the promise are
// all reused. One with a deadline adds the handler's context that ends
// at it, which Time.WithDeadline makes (three allocations in a
// simulation).
func TestGetReplyAllocations(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	var allocs, byAllocs float64
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(_ context.Context, r blob) (blob, error) { return r, nil })
		if err != nil {
			s.Fatal(err)
		}
		var req blob
		call := func() {
			req[0]++
			resp, err := ep.GetReply(s.Context(), client, req)
			if err != nil || resp != req {
				s.Fatalf("GetReply: %v, %v; want the request echoed", resp[0], err)
			}
		}
		call() // connected, the handler's task started
		allocs = testing.AllocsPerRun(1000, call)

		// With a deadline, which travels: the handler's context with
		// that deadline (Time.WithDeadline's) is all that a call adds.
		dctx, cancel := client.Providers().Time.WithTimeout(s.Context(), time.Hour)
		defer cancel()
		byCall := func() {
			req[0]++
			resp, err := ep.GetReply(dctx, client, req)
			if err != nil || resp != req {
				s.Fatalf("GetReply: %v, %v; want the request echoed", resp[0], err)
			}
		}
		byCall()
		byAllocs = testing.AllocsPerRun(1000, byCall)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.AllowGaps())
	assert.Zero(t, allocs, "allocations per GetReply round trip")
	assert.LessOrEqual(t, byAllocs, 3.0, "allocations per GetReply round trip with a deadline: the handler's context's")
}
