package rpc

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
)

// An answer that arrives for a call already settled (a duplicate of a
// resent request's, or one racing the caller's own timeout) may be read
// by a connection's reader goroutine while the caller hands the call
// back: the reader must look at the call only under the transport's
// lock, where the caller clears it. Run under -race, which reports the
// unguarded reads.
func TestAnswerToSettledCallRacesNothingWithItsCaller(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := providers.Real()
	p.Logger = slog.New(slog.DiscardHandler)
	tr, err := NewTransport(context.Background(), p, Config{})
	require.NoError(t, err)
	defer tr.Close()
	c := &conn{t: tr, rstate: readByTask, peer: &peer{addr: "127.0.0.1:1"}}
	for _, kind := range []byte{kindReply, kindRemoteErr, kindRemoteErrWrapping, kindBroken} {
		x, err := tr.newCall("GetReply", "127.0.0.1:1", WellKnown(1), modeTry)
		require.NoError(t, err)
		tok := x.tok
		require.True(t, x.complete(tok, []byte("first"), nil))
		_, _, err = x.done.Recv(context.Background())
		require.NoError(t, err)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			x.receive(c, tok, []byte{kind, 'x'})
		}()
		tr.putCall(x)
		wg.Wait()
	}
	require.Equal(t, uint64(4), tr.Stats().Orphans, "each late answer is an orphan")
}
