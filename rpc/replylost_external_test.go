package rpc_test

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
)

// TestAReplyThatDoesNotEncodeOnLoopback: on real TCP, a handler that
// applied its effect and returned a reply JSON cannot encode (a NaN) is
// reported as handled with its reply lost, never as its refusal.
func TestAReplyThatDoesNotEncodeOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := providers.Real()
	server, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer server.Close()
	var applied atomic.Int64
	ep, err := rpc.Serve(server, rpc.WellKnown(1), func(context.Context, echoReq) (float64, error) {
		applied.Add(1)
		return math.NaN(), nil
	})
	require.NoError(t, err)
	client, err := rpc.NewTransport(ctx, p, rpc.Config{})
	require.NoError(t, err)
	defer client.Close()

	_, err = ep.GetReply(ctx, client, echoReq{1})
	require.ErrorIs(t, err, rpc.ErrReplyLost)
	require.ErrorIs(t, err, rpc.ErrMaybeDelivered)
	var re *rpc.RemoteError
	assert.False(t, errors.As(err, &re), "not the handler's refusal: %v", err)
	assert.Contains(t, err.Error(), "the handler ran and replied, but its reply could not be sent: encode the reply: json: unsupported value: NaN")
	assert.Equal(t, int64(1), applied.Load())
	require.NoError(t, client.Close())
	require.NoError(t, server.Close())
}
