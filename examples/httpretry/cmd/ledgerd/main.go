// Command ledgerd serves a [httpretry.Ledger] over HTTP, with its journal
// in a data directory: a production main with no simulation code.
//
//	ledgerd -listen :8080 -data /var/lib/ledgerd
//
// On start it recovers the journal; on SIGTERM or SIGINT it stops taking
// requests and finishes those in flight.
//
//simvet:production a wasip1 program: the host simulates its goroutines, clock, network and disk
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/moonpool-go/moonpool/examples/httpretry"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ledgerd:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", ":8080", "the address to serve on")
	data := flag.String("data", "data", "the directory that holds the journal")
	planted := flag.Bool("planted", false, "record a deposit's key only once it is journaled (the planted bug)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return err
	}
	path := filepath.Join(*data, "journal")
	ledger := &httpretry.Ledger{Planted: *planted, Log: log}
	if f, err := os.Open(path); err == nil {
		n, err := ledger.Recover(f)
		f.Close()
		if err != nil {
			return err
		}
		log.Info("recovered", "deposits", n)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	journal, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer journal.Close()
	ledger.Journal = journal

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: ledger, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Info("serving", "addr", ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
