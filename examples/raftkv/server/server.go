package server

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/moonpool-go/moonpool/examples/raftkv/store"
)

// Main runs a node with the command-line arguments args (without the
// program's name) until ctx is done, logging to stderr, and returns the
// process's exit code: 0 after a clean stop, 1 when the node failed, 2 for
// bad arguments.
func Main(ctx context.Context, args []string, stderr io.Writer) int {
	c, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 2
	}
	if err := run(ctx, c, stderr); err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 1
	}
	return 0
}

// A Peer is a member of the cluster.
type Peer struct {
	ID   string // raft's server ID
	Raft string // the raft transport's address, host:port
	HTTP string // the HTTP API's address, host:port
}

// String gives the peer as the -peer flag takes it.
func (p Peer) String() string { return p.ID + "=" + p.Raft + "," + p.HTTP }

// ParsePeer parses a -peer flag's value, "id=raft-host:port,http-host:port".
func ParsePeer(s string) (Peer, error) {
	id, addrs, ok := strings.Cut(s, "=")
	r, h, ok2 := strings.Cut(addrs, ",")
	if !ok || !ok2 || id == "" {
		return Peer{}, fmt.Errorf("peer %q is not id=raft-host:port,http-host:port", s)
	}
	for _, a := range []string{r, h} {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return Peer{}, fmt.Errorf("peer %q: %w", s, err)
		}
	}
	return Peer{ID: id, Raft: r, HTTP: h}, nil
}

// config is what the flags say.
type config struct {
	id                string
	peers             []Peer
	data              string
	staleReads        bool
	snapshotThreshold uint64
	snapshotInterval  time.Duration
	trailingLogs      uint64
	heartbeatTimeout  time.Duration
	electionTimeout   time.Duration
	commitTimeout     time.Duration
	logLevel          string
}

func (c *config) self() Peer {
	for _, p := range c.peers {
		if p.ID == c.id {
			return p
		}
	}
	return Peer{}
}

func parse(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("raftkv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: raftkv -id ID -peer ID=RAFT-ADDR,HTTP-ADDR... [-data DIR]\n\n"+
			"raftkv runs one node of a replicated key-value store on raft. Every node\n"+
			"is given the whole cluster, itself included, with one -peer flag each;\n"+
			"a node on an empty data directory bootstraps the cluster with them.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.id, "id", "", "this node's `ID`, one of the peers'")
	fs.Func("peer", "a member of the cluster, `ID=RAFT-ADDR,HTTP-ADDR`; give one flag per member, this node included", func(s string) error {
		p, err := ParsePeer(s)
		if err != nil {
			return err
		}
		c.peers = append(c.peers, p)
		return nil
	})
	fs.StringVar(&c.data, "data", "data", "the `directory` for raft's log, stable state and snapshots")
	fs.BoolVar(&c.staleReads, "stale-reads", false, "answer GETs on any node from its own state, without asking the cluster (fast, and stale under partitions)")
	fs.Uint64Var(&c.snapshotThreshold, "snapshot-threshold", raft.DefaultConfig().SnapshotThreshold, "snapshot after this many new log entries")
	fs.DurationVar(&c.snapshotInterval, "snapshot-interval", raft.DefaultConfig().SnapshotInterval, "how often to check whether to snapshot (at a random time between one and two intervals)")
	fs.Uint64Var(&c.trailingLogs, "trailing-logs", raft.DefaultConfig().TrailingLogs, "log entries kept after a snapshot")
	d := raft.DefaultConfig()
	fs.DurationVar(&c.heartbeatTimeout, "heartbeat-timeout", d.HeartbeatTimeout, "how long a follower waits for the leader before it stands for election; the leader sends heartbeats ten times as often")
	fs.DurationVar(&c.electionTimeout, "election-timeout", d.ElectionTimeout, "how long a candidate waits for votes before it tries again")
	fs.DurationVar(&c.commitTimeout, "commit-timeout", d.CommitTimeout, "how long the leader goes without sending entries before it sends its commit index anyway")
	fs.StringVar(&c.logLevel, "log-level", "info", "the `level` of raft's log: trace, debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments %q; every setting is a flag", fs.Args())
	case c.id == "":
		return nil, errors.New("no -id; give this node's ID, one of the peers'")
	case c.self() == Peer{}:
		return nil, fmt.Errorf("-id %s is not among the peers %v; give one -peer flag per member, this node included", c.id, c.peers)
	case hclog.LevelFromString(c.logLevel) == hclog.NoLevel:
		return nil, fmt.Errorf("-log-level %q is not a level; use trace, debug, info, warn or error", c.logLevel)
	}
	seen := map[string]bool{}
	for _, p := range c.peers {
		if seen[p.ID] {
			return nil, fmt.Errorf("peer ID %s is given twice; each member once", p.ID)
		}
		seen[p.ID] = true
	}
	return c, nil
}

// node is one running node.
type node struct {
	c     *config
	raft  *raft.Raft
	fsm   *fsm
	http  map[raft.ServerID]string // each peer's HTTP address
	stale bool
}

func run(ctx context.Context, c *config, stderr io.Writer) error {
	logger := hclog.New(&hclog.LoggerOptions{
		Name: c.id, Output: stderr, Level: hclog.LevelFromString(c.logLevel),
	})
	st, err := store.Open(filepath.Join(c.data, "raft"))
	if err != nil {
		return err
	}
	defer st.Close()
	snaps, err := raft.NewFileSnapshotStoreWithLogger(c.data, 2, logger.Named("snapshots"))
	if err != nil {
		return fmt.Errorf("open the snapshot store: %w", err)
	}
	self := c.self()
	tr, err := raft.NewTCPTransportWithLogger(self.Raft, nil, 3, 10*time.Second, logger.Named("transport"))
	if err != nil {
		return fmt.Errorf("listen for raft on %s: %w", self.Raft, err)
	}
	defer tr.Close()

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(c.id)
	rc.Logger = logger
	rc.SnapshotThreshold = c.snapshotThreshold
	rc.SnapshotInterval = c.snapshotInterval
	rc.TrailingLogs = c.trailingLogs
	rc.HeartbeatTimeout = c.heartbeatTimeout
	rc.ElectionTimeout = c.electionTimeout
	rc.CommitTimeout = c.commitTimeout
	if rc.LeaderLeaseTimeout > rc.HeartbeatTimeout {
		rc.LeaderLeaseTimeout = rc.HeartbeatTimeout
	}
	n := &node{c: c, fsm: &fsm{data: map[string]string{}}, http: map[raft.ServerID]string{}, stale: c.staleReads}
	var servers []raft.Server
	for _, p := range c.peers {
		n.http[raft.ServerID(p.ID)] = p.HTTP
		servers = append(servers, raft.Server{ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Raft)})
	}
	existing, err := raft.HasExistingState(st, st, snaps)
	if err != nil {
		return fmt.Errorf("read the raft state: %w", err)
	}
	if !existing {
		// Every node bootstraps with the same configuration, which raft
		// allows: the first to be elected commits it.
		if err := raft.BootstrapCluster(rc, st, st, snaps, tr, raft.Configuration{Servers: servers}); err != nil {
			return fmt.Errorf("bootstrap the cluster: %w", err)
		}
		logger.Info("bootstrapped the cluster", "peers", len(servers))
	}
	r, err := raft.NewRaft(rc, n.fsm, st, st, snaps, tr)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	n.raft = r

	ln, err := net.Listen("tcp", self.HTTP)
	if err != nil {
		r.Shutdown().Error()
		return fmt.Errorf("listen for HTTP on %s: %w", self.HTTP, err)
	}
	srv := &http.Server{
		Handler:           n.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          logger.Named("http").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("serving", "raft", self.Raft, "http", self.HTTP, "stale-reads", c.staleReads)

	var failed error
	select {
	case <-ctx.Done():
	case err := <-served:
		failed = fmt.Errorf("serve HTTP: %w", err)
	}
	logger.Info("stopping")
	stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(stop)
	if r.State() == raft.Leader {
		// Hand over now, rather than leave the others to time out.
		if err := r.LeadershipTransfer().Error(); err != nil {
			logger.Warn("no leadership transfer", "error", err)
		}
	}
	if err := r.Shutdown().Error(); err != nil && failed == nil {
		failed = fmt.Errorf("shut raft down: %w", err)
	}
	return failed
}

func (n *node) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /kv/{key}", n.put)
	mux.HandleFunc("GET /kv/{key}", n.get)
	return mux
}

// timeout bounds how long raft may take to accept a request.
const timeout = 5 * time.Second

func (n *node) put(w http.ResponseWriter, req *http.Request) {
	value, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "read the value: "+err.Error(), http.StatusBadRequest)
		return
	}
	if n.raft.State() != raft.Leader {
		n.notLeader(w, req)
		return
	}
	cmd, _ := json.Marshal(command{Key: req.PathValue("key"), Value: string(value)})
	err = n.raft.Apply(cmd, timeout).Error()
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, raft.ErrNotLeader):
		n.notLeader(w, req)
	case errors.Is(err, raft.ErrEnqueueTimeout):
		http.Error(w, "raft is too busy to take the write; it had no effect", http.StatusServiceUnavailable)
	default:
		http.Error(w, "the write may or may not take effect: "+err.Error(), http.StatusInternalServerError)
	}
}

func (n *node) get(w http.ResponseWriter, req *http.Request) {
	if !n.stale {
		if n.raft.State() != raft.Leader {
			n.notLeader(w, req)
			return
		}
		// A barrier commits through a majority, so once it is applied
		// this node was the leader after the read began, and its state
		// holds every write acknowledged before.
		if err := n.raft.Barrier(timeout).Error(); err != nil {
			if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
				n.notLeader(w, req)
				return
			}
			http.Error(w, "no linearizable read: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	v, ok := n.fsm.get(req.PathValue("key"))
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	io.WriteString(w, v)
}

// notLeader redirects the request to the leader, or answers 503 when
// there is none known.
func (n *node) notLeader(w http.ResponseWriter, req *http.Request) {
	_, id := n.raft.LeaderWithID()
	addr, ok := n.http[id]
	if !ok || id == raft.ServerID(n.c.id) {
		http.Error(w, "no leader; the request had no effect", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Location", "http://"+addr+req.URL.Path)
	http.Error(w, "not the leader; the request had no effect", http.StatusTemporaryRedirect)
}

// command is a write, as raft's log holds it.
type command struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// fsm is the replicated map.
type fsm struct {
	mu   sync.Mutex
	data map[string]string
}

func (f *fsm) get(k string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.data[k]
	return v, ok
}

// Apply applies a committed write.
func (f *fsm) Apply(l *raft.Log) any {
	var c command
	if err := json.Unmarshal(l.Data, &c); err != nil {
		return fmt.Errorf("entry %d is not a write: %w", l.Index, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data[c.Key] = c.Value
	return nil
}

// Snapshot copies the map; raft persists the copy while writes go on.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return snapshot(maps.Clone(f.data)), nil
}

// Restore replaces the map with a snapshot's.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	data := map[string]string{}
	if err := json.NewDecoder(rc).Decode(&data); err != nil {
		return fmt.Errorf("read a snapshot: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data = data
	return nil
}

type snapshot map[string]string

func (s snapshot) Persist(sink raft.SnapshotSink) error {
	// encoding/json writes a map's keys in order, so a snapshot's bytes
	// depend on its contents only.
	if err := json.NewEncoder(sink).Encode(map[string]string(s)); err != nil {
		sink.Cancel()
		return fmt.Errorf("write a snapshot: %w", err)
	}
	return sink.Close()
}

func (s snapshot) Release() {}
