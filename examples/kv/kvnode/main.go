// Command kvnode runs one replica of the kv example in production: the
// same kv.Server as the simulation, on providers.Real(), with its log in a
// directory of real files.
//
//	kvnode -name kv-1 -dir /var/lib/kv-1 \
//	    -cluster kv-1=127.0.0.1:7071,kv-2=127.0.0.1:7072,kv-3=127.0.0.1:7073
//
// The replica listens on its own address from -cluster. It boots as the
// cluster's first boot when its directory holds no log, and as after a
// crash otherwise (it cannot know how it stopped). SIGINT and SIGTERM stop
// it gracefully.
//
//simvet:production a command on providers.Real(), never run inside a simulation
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/moonpool-go/moonpool/examples/kv"
	"github.com/moonpool-go/moonpool/providers"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("kvnode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "this replica's name, one of -cluster's")
	dir := fs.String("dir", "", "the directory of this replica's log; it must exist")
	cluster := fs.String("cluster", "", "every replica as name=host:port, comma-separated")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "" || *dir == "" || *cluster == "" {
		fmt.Fprintln(stderr, "kvnode: -name, -dir and -cluster are required")
		fs.Usage()
		return 2
	}
	peers, self, err := parseCluster(*cluster, *name)
	if err != nil {
		fmt.Fprintf(stderr, "kvnode: %v\n", err)
		return 2
	}
	st, err := providers.OpenOSStorage(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "kvnode: %v\n", err)
		return 1
	}
	defer st.Close()
	boot := providers.FirstBoot
	if ents, err := st.ReadDir("."); err == nil && len(ents) > 0 {
		boot = providers.AfterCrash
	}
	p := providers.Real()
	p.Storage = st
	p.Cluster = providers.StaticCluster(self, peers, boot)
	p.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := (&kv.Server{}).Run(ctx, p); err != nil {
		fmt.Fprintf(stderr, "kvnode: %v\n", err)
		return 1
	}
	return 0
}

// parseCluster reads "name=host:port,..." into peers whose port is in
// their kv.PortTag.
func parseCluster(s, name string) (peers []providers.Peer, self providers.Peer, err error) {
	found := false
	for _, part := range strings.Split(s, ",") {
		n, addr, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, self, fmt.Errorf("-cluster: %q is not name=host:port", part)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, self, fmt.Errorf("-cluster: replica %s: %w", n, err)
		}
		peer := providers.Peer{Name: n, Host: host, Tags: map[string]string{kv.PortTag: port}}
		peers = append(peers, peer)
		if n == name {
			self, found = peer, true
		}
	}
	if !found {
		return nil, self, fmt.Errorf("-name %q is not in -cluster", name)
	}
	return peers, self, nil
}
