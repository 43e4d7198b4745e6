// Command raftkv runs one node of a replicated key-value store on
// hashicorp/raft, with an HTTP API. See package server for the API and the
// flags, or run raftkv -h.
//
//simvet:production a wasip1 program: the host simulates its goroutines, clock, network and disk
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
