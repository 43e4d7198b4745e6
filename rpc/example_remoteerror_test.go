package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
)

// The lock service's messages, in a package its servers and clients share.
type (
	LockReq  struct{ Client string }
	LockResp struct {
		Token  uint64
		HeldBy string // not empty: the lock is held by another, and nothing was granted
	}
)

// ErrNotLeader is what a replica that does not lead answers.
var ErrNotLeader = errors.New("lock: not the leader; ask another replica")

// A client tells a handler's outcomes apart in two ways. An outcome it
// acts on (the lock is held, and by whom) is part of the reply, with a
// type: nothing to parse, and room for what comes with it. An error the
// handler returns, as it is or wrapped, from a package both sides import,
// is matched by errors.Is: the messages of the errors it wraps travel
// with it.
func ExampleRemoteError() {
	ctx := context.Background()
	p := providers.Real()
	p.Logger = slog.New(slog.DiscardHandler)
	server, _ := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0"})
	defer server.Close()
	acquire, _ := rpc.Serve(server, rpc.WellKnown(1), func(_ context.Context, r LockReq) (LockResp, error) {
		switch r.Client {
		case "ada":
			return LockResp{Token: 7}, nil
		case "bob":
			return LockResp{HeldBy: "ada"}, nil
		}
		return LockResp{}, fmt.Errorf("acquire for %s: %w", r.Client, ErrNotLeader)
	})

	client, _ := rpc.NewTransport(ctx, p, rpc.Config{})
	defer client.Close()
	for _, who := range []string{"ada", "bob", "cy"} {
		resp, err := acquire.GetReply(ctx, client, LockReq{who})
		var remote *rpc.RemoteError
		switch {
		case err == nil && resp.HeldBy != "":
			fmt.Println(who, "waits: held by", resp.HeldBy)
		case err == nil:
			fmt.Println(who, "holds token", resp.Token)
		case errors.Is(err, ErrNotLeader) && errors.As(err, &remote):
			fmt.Printf("%s asks another replica, told %q\n", who, remote.Msg)
		default:
			fmt.Println(who, "failed:", err)
		}
	}
	// Output:
	// ada holds token 7
	// bob waits: held by ada
	// cy asks another replica, told "acquire for cy: lock: not the leader; ask another replica"
}
