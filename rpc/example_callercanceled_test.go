package rpc_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/moonpool-go/moonpool/rpc"
)

// A long poll waits for an update or for its caller to give up: the
// caller cancels its call, its transport tells the server, and the
// handler's context ends with a cause that says so, while the
// connection serves on.
func Example_callerCanceled() {
	ctx := context.Background()
	p := realProviders()
	server, _ := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0"})
	defer server.Close()
	updates := make(chan string) // nothing is published
	waiting := make(chan struct{})
	gaveUp := make(chan error, 1)
	poll, _ := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, _ struct{}) (string, error) {
		close(waiting)
		select {
		case u := <-updates:
			return u, nil
		case <-ctx.Done():
			gaveUp <- context.Cause(ctx)
			return "", context.Cause(ctx) // its answer is not sent
		}
	})

	client, _ := rpc.NewTransport(ctx, p, rpc.Config{})
	defer client.Close()
	call, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := poll.GetReply(call, client, struct{}{})
		done <- err
	}()
	<-waiting
	cancel()
	fmt.Println(errors.Is(<-done, context.Canceled))
	fmt.Println(errors.Is(<-gaveUp, rpc.ErrCallerCanceled))
	// Output:
	// true
	// true
}
