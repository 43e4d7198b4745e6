package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

var (
	errNotLeader = errors.New("not the leader")
	errReadOnly  = errors.New("read only")
	errElsewhere = errors.New("an error no handler returns")
)

// failWith serves a handler that returns the error its request's N picks,
// and returns a call of it from the client.
func failWith(s *simtest.S, errs ...error) func(i int) error {
	server, client := newPair(s)
	ep, err := rpc.Serve(server, rpc.WellKnown(1), func(_ context.Context, r echoReq) (echoResp, error) {
		return echoResp{}, errs[r.N]
	})
	require.NoError(s, err)
	return func(i int) error {
		_, err := ep.GetReply(s.Context(), client, echoReq{i})
		return err
	}
}

func TestRemoteErrorMatchesWhatTheHandlerWrapped(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		call := failWith(s,
			errNotLeader,
			fmt.Errorf("put %q: %w", "k", errNotLeader),
			errors.Join(errReadOnly, fmt.Errorf("replica 2: %w", errNotLeader)),
			&fs.PathError{Op: "open", Path: "/data", Err: fs.ErrPermission},
		)
		for i, want := range [][]error{
			{errNotLeader},
			{errNotLeader},
			{errNotLeader, errReadOnly},
			{fs.ErrPermission},
		} {
			err := call(i)
			var re *rpc.RemoteError
			require.ErrorAs(s, err, &re, "call %d", i)
			for _, w := range want {
				assert.ErrorIs(s, err, w, "call %d: the handler's error wraps it", i)
			}
			assert.NotErrorIs(s, err, errElsewhere, "call %d", i)
		}
		err := call(1)
		assert.Equal(s, `put "k": not the leader`, err.(*rpc.RemoteError).Msg, "Msg is the handler's whole message")
	}, quiet...)
}

func TestRemoteErrorNeverMatchesTheCallsOwnOutcomes(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		call := failWith(s,
			fmt.Errorf("ask the store: %w", context.DeadlineExceeded),
			fmt.Errorf("forward: %w", rpc.ErrMaybeDelivered),
			context.Canceled,
			rpc.ErrClosed,
		)
		for i, own := range []error{context.DeadlineExceeded, rpc.ErrMaybeDelivered, context.Canceled, rpc.ErrClosed} {
			err := call(i)
			var re *rpc.RemoteError
			require.ErrorAs(s, err, &re, "call %d", i)
			assert.NotErrorIs(s, err, own, "call %d: the handler's %v is not the client's call's", i, own)
			assert.Contains(s, re.Msg, own.Error(), "call %d: its message still says it", i)
		}
	}, quiet...)
}

// With a small frame, an error too large for it still arrives, cut to fit,
// rather than leave its caller waiting.
func TestRemoteErrorTooLargeForASmallFrameArrivesCut(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		cfg := rpc.Config{Listen: ":4500", MaxPayload: 100}
		server, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.1"), cfg)
		require.NoError(s, err)
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), cfg)
		require.NoError(s, err)
		big := errors.New("é" + strings.Repeat("x", 150))
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(context.Context, echoReq) (echoResp, error) { return echoResp{}, big })
		require.NoError(s, err)
		_, err = ep.GetReply(within(s, time.Second), client, echoReq{})
		var re *rpc.RemoteError
		require.ErrorAs(s, err, &re)
		assert.True(s, strings.HasPrefix(re.Msg, "éxx"))
		assert.True(s, utf8.ValidString(re.Msg))
		assert.Contains(s, re.Msg, "(cut: the error was 152 bytes, more than a frame holds)")
	}, quiet...)
}

func TestRemoteErrorTooLargeForAFrameArrivesCut(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		huge := errors.New(strings.Repeat("x", rpc.DefaultMaxPayload+10))
		err := failWith(s, huge)(0)
		var re *rpc.RemoteError
		require.ErrorAs(s, err, &re, "the caller learns of the failure rather than waiting")
		assert.True(s, strings.HasPrefix(re.Msg, "xxxx"))
		assert.Contains(s, re.Msg, fmt.Sprintf("(cut: the error was %d bytes, more than a frame holds)", len(huge.Error())))
		assert.Less(s, len(re.Msg), rpc.DefaultMaxPayload)
	}, quiet...)
}

// TestAnErrorLargerThanATinyFrameIsCut: a handler's error longer than
// the caller's MaxPayload allows reaches it cut to fit, however small
// that is, not as no answer at all.
func TestAnErrorLargerThanATinyFrameIsCut(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		server, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500"})
		require.NoError(s, err)
		client, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.2"), rpc.Config{MaxPayload: 40})
		require.NoError(s, err)
		_, err = rpc.Serve(server, rpc.WellKnown(1), func(context.Context, echoReq) (echoResp, error) {
			return echoResp{}, errors.New(strings.Repeat("x", 200))
		})
		require.NoError(s, err)
		_, err = rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1)).GetReply(within(s, 10*time.Second), client, echoReq{1})
		var re *rpc.RemoteError
		require.ErrorAs(s, err, &re)
		assert.Equal(s, strings.Repeat("x", 36)+"...", re.Msg)
		assert.True(s, re.HandlerRan())
	}, quiet...)
}
