//go:build !wasm

// Command serve builds the browser demo and serves it on loopback:
//
//	go run ./examples/browser/serve             # then open http://127.0.0.1:8080
//	go run ./examples/browser/serve -run buggy/3 # print a seed's history, natively
//	go run ./examples/browser/serve -out DIR    # write the static site into DIR
//
// A seed's history printed with -run is the one the page shows for it.
//
//simvet:production a command that builds and serves the demo, never inside a simulation
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/moonpool-go/moonpool/examples/browser"
	"github.com/moonpool-go/moonpool/examples/browser/site"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "the `address` to serve on")
	run := flag.String("run", "", "run one seed natively, written `mode/seed` (such as stormy/7), print its history, and exit")
	out := flag.String("out", "", "write the static site into this `directory` and exit")
	flag.Parse()
	if *run != "" {
		mode, seed, err := browser.ParseRun(*run)
		if err != nil {
			log.Fatal(err)
		}
		o, err := browser.Run(mode, seed)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(strings.Join(o.History, "\n"))
		if !o.OK {
			fmt.Println(o.Report)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir := *out
	if dir == "" {
		tmp, err := os.MkdirTemp("", "moonpool-demo-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	log.Printf("building the simulation for WebAssembly into %s", dir)
	if err := site.Build(ctx, dir); err != nil {
		log.Fatal(err)
	}
	if *out != "" {
		return
	}
	srv := &http.Server{Addr: *addr, Handler: site.Handler(dir)}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Printf("serving the demo at http://%s (Ctrl-C stops)", *addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Print(err)
	}
}
