package rpc_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/moonpool-go/moonpool/rpc"
)

// A long poll waits for an update or for its caller to go: its context
// ends when the connection its request came on does, here as the
// caller's transport closes, and its cause says so.
func Example_callerGone() {
	ctx := context.Background()
	p := realProviders()
	server, _ := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0"})
	defer server.Close()
	updates := make(chan string) // nothing is published
	waiting := make(chan struct{})
	gone := make(chan error, 1)
	poll, _ := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, _ struct{}) (string, error) {
		close(waiting)
		select {
		case u := <-updates:
			return u, nil
		case <-ctx.Done():
			gone <- context.Cause(ctx)
			return "", ctx.Err() // its answer reaches no one, and fails nothing
		}
	})

	client, _ := rpc.NewTransport(ctx, p, rpc.Config{})
	go func() { _, _ = poll.GetReply(ctx, client, struct{}{}) }() // ends with ErrClosed
	<-waiting
	client.Close()
	err := <-gone
	fmt.Println(errors.Is(err, rpc.ErrCallerGone))
	// Output: true
}
