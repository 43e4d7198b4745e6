package rpc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// A stream's request whose caller cancels it ends with ErrCallerCanceled
// as its cause, which contexts made under it after take too, and its
// reply then goes nowhere, without an error.
func TestAStreamRequestsCancelReachesItsContext(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(1))
		require.NoError(s, err)
		ctx := within(s, time.Hour)
		ctx, cancel := context.WithCancel(ctx)
		call := s.Go("call", func(context.Context) error {
			_, err := st.Endpoint().GetReply(ctx, client, echoReq{N: 1})
			return err
		})
		r, err := st.Next(s.Context())
		require.NoError(s, err)
		require.NoError(s, r.Context().Err())
		cancel()
		require.ErrorIs(s, call.Join(s.Context()), context.Canceled)
		s.Sleep(time.Second)
		assert.Equal(s, context.Canceled, r.Context().Err())
		assert.ErrorIs(s, context.Cause(r.Context()), rpc.ErrCallerCanceled)
		assert.NoError(s, r.Reply(echoResp{N: 1}))
		later, stop := context.WithCancel(r.Context())
		defer stop()
		assert.ErrorIs(s, context.Cause(later), rpc.ErrCallerCanceled)
	}, append(quiet, simtest.Seeds(1))...)
}
