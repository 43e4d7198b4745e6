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
// all reused. Its context is the one its transport was made with, which
// ends only as the transport does. A call whose context its caller may
// cancel sooner adds the request's own context on the server, which the
// caller's cancel ends (two allocations in a simulation: the context and
// its cancel); one with a deadline too has that context end at it (one
// more, which reports the deadline on the server's clock).
func TestGetReplyAllocations(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	var allocs, cancelAllocs, byAllocs float64
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

		// Under a context its caller may cancel: the request's own
		// context on the server is all that a call adds.
		cctx, stop := context.WithCancel(s.Context())
		defer stop()
		cancelCall := func() {
			req[0]++
			resp, err := ep.GetReply(cctx, client, req)
			if err != nil || resp != req {
				s.Fatalf("GetReply: %v, %v; want the request echoed", resp[0], err)
			}
		}
		cancelCall()
		cancelAllocs = testing.AllocsPerRun(1000, cancelCall)

		// With a deadline, which travels: the request's context, which
		// ends at that deadline too, is all that a call adds.
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
	assert.LessOrEqual(t, cancelAllocs, 2.0, "allocations per GetReply round trip that its caller may cancel: the request's context's")
	assert.LessOrEqual(t, byAllocs, 3.0, "allocations per GetReply round trip with a deadline: the handler's context's")
}
