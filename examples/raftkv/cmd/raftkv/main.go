// Command raftkv runs one node of a replicated key-value store on
// hashicorp/raft, with an HTTP API. See package server for the API and the
// flags, or run raftkv -h.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/moonpool-go/moonpool/examples/raftkv/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := server.Main(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}
