package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
)

type (
	GreetReq  struct{ Name string }
	GreetResp struct{ Text string }
)

// realProviders are production's, on loopback, logging nothing.
func realProviders() providers.Providers {
	p := providers.Real()
	p.Logger = slog.New(slog.DiscardHandler)
	return p
}

// A server serves a handler at a well-known token; a client names the
// endpoint by the server's address and the token, and asks.
func Example() {
	ctx := context.Background()
	p := realProviders()
	server, _ := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0"})
	defer server.Close()
	greet, _ := rpc.Serve(server, rpc.WellKnown(1), func(_ context.Context, r GreetReq) (GreetResp, error) {
		if r.Name == "" {
			return GreetResp{}, errors.New("no name")
		}
		return GreetResp{"hello, " + r.Name}, nil
	})

	client, _ := rpc.NewTransport(ctx, p, rpc.Config{})
	defer client.Close()
	resp, err := greet.GetReply(ctx, client, GreetReq{"ada"})
	fmt.Println(resp.Text, err)
	_, err = greet.GetReply(ctx, client, GreetReq{})
	var remote *rpc.RemoteError
	fmt.Println(errors.As(err, &remote), remote.Msg)
	// Output:
	// hello, ada <nil>
	// true no name
}

// The WaitFailure pattern: a request that the server never answers, sent
// with GetReplyUnlessFailedFor, returns when the server fails. Here the
// server closes; its address then refuses connections, and after 100ms
// of that the caller's promise is broken.
func Example_waitFailure() {
	ctx := context.Background()
	p := realProviders()
	server, _ := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0"})
	watch, _ := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, _ struct{}) (struct{}, error) {
		_ = providers.Wait(ctx, p.Task) // holds the request until the server stops
		return struct{}{}, rpc.ErrBrokenPromise
	})

	client, _ := rpc.NewTransport(ctx, p, rpc.Config{InitialBackoff: 10 * time.Millisecond})
	defer client.Close()
	failed := make(chan error)
	go func() {
		_, err := watch.GetReplyUnlessFailedFor(ctx, client, struct{}{}, 100*time.Millisecond)
		failed <- err
	}()
	time.Sleep(50 * time.Millisecond) // the watch is held
	server.Close()
	err := <-failed
	fmt.Println(errors.Is(err, rpc.ErrBrokenPromise), errors.Is(err, rpc.ErrMaybeDelivered))
	// Output: true true
}

// A stream serves requests from one task, in order, and may answer them
// later or not at all.
func ExampleServeStream() {
	ctx := context.Background()
	p := realProviders()
	server, _ := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0"})
	defer server.Close()
	st, _ := rpc.ServeStream[GreetReq, GreetResp](server, rpc.WellKnown(1))
	go func() {
		for {
			r, err := st.Next(ctx)
			if err != nil {
				return
			}
			if r.Req.Name == "nobody" {
				r.Break()
				continue
			}
			r.Reply(GreetResp{strings.ToUpper(r.Req.Name)})
		}
	}()

	client, _ := rpc.NewTransport(ctx, p, rpc.Config{})
	defer client.Close()
	resp, _ := st.Endpoint().TryGetReply(ctx, client, GreetReq{"grace"})
	fmt.Println(resp.Text)
	_, err := st.Endpoint().TryGetReply(ctx, client, GreetReq{"nobody"})
	fmt.Println(errors.Is(err, rpc.ErrBrokenPromise))
	// Output:
	// GRACE
	// true
}

// An Endpoint is data: a server can hand out the endpoints of its parts
// in a reply, and the client calls them.
func ExampleEndpoint() {
	ctx := context.Background()
	p := realProviders()
	server, _ := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0"})
	defer server.Close()
	// A part served at a dynamic token, named only by this reply.
	part, _ := rpc.Serve(server, rpc.NewToken(p.Random), func(_ context.Context, n int) (int, error) { return n * n, nil })
	directory, _ := rpc.Serve(server, rpc.WellKnown(1), func(context.Context, struct{}) (rpc.Endpoint[int, int], error) {
		return part, nil
	})

	client, _ := rpc.NewTransport(ctx, p, rpc.Config{})
	defer client.Close()
	square, _ := directory.GetReply(ctx, client, struct{}{})
	n, _ := square.GetReply(ctx, client, 12)
	fmt.Println(n)
	// Output: 144
}

// An interface is a server's set of endpoints, named by one address and
// one base token: it travels as data, and each side derives its
// endpoints by index.
type Counter struct {
	Addr string
	Base rpc.Token
}

func (c Counter) Add() rpc.Endpoint[int, int] { return rpc.At[int, int](c.Addr, c.Base.Index(0)) }
func (c Counter) Read() rpc.Endpoint[struct{}, int] {
	return rpc.At[struct{}, int](c.Addr, c.Base.Index(1))
}

func ExampleToken_Index() {
	ctx := context.Background()
	p := realProviders()
	server, _ := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0"})
	defer server.Close()
	iface := Counter{Addr: server.Addr(), Base: rpc.NewToken(p.Random)}
	var n atomic.Int64
	rpc.Serve(server, iface.Add().Token, func(_ context.Context, d int) (int, error) { return int(n.Add(int64(d))), nil })
	rpc.Serve(server, iface.Read().Token, func(context.Context, struct{}) (int, error) { return int(n.Load()), nil })

	client, _ := rpc.NewTransport(ctx, p, rpc.Config{})
	defer client.Close()
	_, _ = iface.Add().GetReply(ctx, client, 5)
	v, _ := iface.Read().GetReply(ctx, client, struct{}{})
	fmt.Println(v)
	// Output: 5
}

// A client whose peers may be down for long: failed dials back off to a
// minute, but a peer with a request waiting to be sent is redialled within
// two seconds. MaxBackoffQueued may not be less than InitialBackoff.
func ExampleConfig_maxBackoffQueued() {
	ctx := context.Background()
	client, err := rpc.NewTransport(ctx, realProviders(), rpc.Config{
		MaxBackoff:       time.Minute,
		MaxBackoffQueued: 2 * time.Second,
	})
	fmt.Println(err)
	defer client.Close()

	_, err = rpc.NewTransport(ctx, realProviders(), rpc.Config{
		InitialBackoff:   5 * time.Second,
		MaxBackoffQueued: time.Second,
	})
	fmt.Println(err)
	// Output:
	// <nil>
	// rpc: Config.MaxBackoffQueued (1s) is less than InitialBackoff (5s); raise it
}
