package osnet

import (
	"context"
	"net"

	"google.golang.org/grpc"
)

func GRPC(ctx context.Context, l net.Listener) {
	srv := grpc.NewServer()                     // want `grpc.NewServer: grpc-go serves, dials and reads on goroutines of its own.*run the gRPC code as a program`
	_ = srv.Serve(l)                            // want `grpc.Server.Serve: grpc-go serves`
	srv.Stop()                                  // a server made elsewhere stops: fine
	_, _ = grpc.NewClient("dns:///ledger:9000") // want `grpc.NewClient: grpc-go serves`
	_, _ = grpc.Dial("ledger:9000")             // want `grpc.Dial: grpc-go serves`
	_, _ = grpc.DialContext(ctx, "ledger:9000") // want `grpc.DialContext: grpc-go serves`
}
