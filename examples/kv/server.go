package kv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// DefaultPort is the port a Server listens on unless told otherwise.
const DefaultPort = 7070

// Server timings.
const (
	// idleTimeout closes a connection that carried no request, or could
	// not send a reply, for about this long, so that connections whose
	// client vanished without a word do not pile up.
	idleTimeout = time.Minute
	// dumpTimeout bounds asking one peer for its state while recovering.
	dumpTimeout = time.Second
)

// Server is one replica of the store. It keeps, for each key, the version
// with the greatest [Tag] it was sent, on its disk, and answers queries
// for it; clients do the rest (see [Client]).
//
// A replica that boots on a disk that lost its state (a new disk in an
// old cluster, a wiped one, one whose files fail their checksums) does
// not answer until it has copied the state of enough peers to hold every
// write the cluster acknowledged: a quorum of the others, counting itself
// out.
type Server struct {
	// Port is the TCP port to listen on and to dial peers at; zero means
	// DefaultPort.
	Port int
	// LazyRecovery is the planted bug: a replica that lost its state
	// rejoins at once with whatever its disk still holds, counting on read
	// repair to fill the gaps. An empty replica is not a slow one: it
	// answers a quorum read as if the keys it lost were never written.
	LazyRecovery bool
}

// replica is the state of a running Server.
type replica struct {
	cfg    *Server
	p      providers.Providers
	logger *slog.Logger
	// persist serializes the writes to the log, which it guards.
	persist *providers.Mutex
	wal     *wal

	// mu guards what follows. It is never held across a call that
	// blocks, so it never makes a task wait in a simulation.
	//simvet:allow sync never held across a call that parks, so no task ever waits on it
	mu      sync.Mutex
	entries map[string]entry
	serving bool                // entries hold every write this replica acknowledged
	conns   map[uint64]net.Conn // by when they were accepted
	nconns  uint64
	spare   []*connBufs // of connections that ended, for the next
	// rebooted is set on an instance that is not the process's first,
	// until it has answered a query.
	rebooted bool
}

// Run serves until ctx is cancelled. It returns an error only when the
// server cannot listen.
func (s *Server) Run(ctx context.Context, p providers.Providers) error {
	// Boots, recoveries and disk trouble go to the process's logger: in a
	// simulation, the seed's timeline.
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if p.Cluster != nil {
		log = log.With("replica", p.Cluster.Self().Name)
	}
	r := &replica{
		cfg:     s,
		p:       p,
		logger:  log,
		wal:     newWAL(p),
		persist: providers.NewMutex(p.Task),
		entries: make(map[string]entry),
		conns:   make(map[uint64]net.Conn),
	}
	addr := fmt.Sprintf(":%d", s.port())
	if p.Cluster != nil {
		// Its own address only, not every interface: replicas on one
		// machine listen on one host at ports of their own.
		addr = PeerAddr(p.Cluster.Self(), s.port())
	}
	ln, err := p.Network.Listen(ctx, addr)
	if err != nil {
		return fmt.Errorf("kv: listen on %s: %w", addr, err)
	}
	p.Task.Go(ctx, "accept", func(ctx context.Context) error {
		r.accept(ctx, ln)
		return nil
	})
	r.boot(ctx)

	_ = providers.Wait(ctx, p.Task) // until asked to stop
	ln.Close()
	r.mu.Lock()
	// In order: a simulation must not see map order.
	for _, id := range slices.Sorted(maps.Keys(r.conns)) {
		r.conns[id].Close()
	}
	r.mu.Unlock()
	return nil
}

// PortTag is the tag of a [providers.Peer] that names the port its
// replica listens on, when it is not the Server's Port: how replicas that
// share a machine find each other.
const PortTag = "port"

// PeerAddr returns the address of a peer's replica: its Host and the port
// its PortTag names, or port.
func PeerAddr(peer providers.Peer, port int) string {
	if p, ok := peer.Tags[PortTag]; ok {
		return net.JoinHostPort(peer.Host, p)
	}
	return net.JoinHostPort(peer.Host, fmt.Sprint(port))
}

func (s *Server) port() int {
	if s.Port == 0 {
		return DefaultPort
	}
	return s.Port
}

// boot loads the disk and, when it lost state, recovers it from peers.
func (r *replica) boot(ctx context.Context) {
	how := providers.FirstBoot
	if r.p.Cluster != nil {
		how = r.p.Cluster.Boot()
	}
	r.mu.Lock()
	r.rebooted = how != providers.FirstBoot
	r.mu.Unlock()
	for backoff := 10 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
		done, err := r.load(ctx, how)
		if done {
			return
		}
		if err == nil {
			err = r.recover(ctx)
			if err == nil {
				return
			}
		}
		r.logger.Warn("boot failed; retrying", "err", err, "in", backoff)
		if r.p.Time.Sleep(ctx, backoff) != nil {
			return
		}
	}
}

// load reads the disk. It reports done when the replica can serve what
// the disk holds.
func (r *replica) load(ctx context.Context, how providers.Boot) (done bool, err error) {
	entries, res, err := r.wal.load()
	if err != nil {
		return false, err
	}
	switch {
	case res == logGood:
		r.logger.Info("booted", "how", how, "keys", len(entries))
	case res == logAbsent && how == providers.FirstBoot:
		// The cluster's first boot: empty is the whole state.
		if err := r.wal.rewrite(ctx, entries); err != nil {
			return false, err
		}
		r.logger.Info("booted on a new disk", "how", how)
	default:
		r.mu.Lock()
		r.entries = entries
		r.mu.Unlock()
		assertions.Reachable(ctx, "a replica boots with its state lost")
		r.logger.Warn("booted with state lost", "how", how, "keys", len(entries), "damaged", res == logDamaged)
		return false, nil
	}
	r.mu.Lock()
	r.entries, r.serving = entries, true
	r.mu.Unlock()
	return true, nil
}

// recover copies the state of enough peers to hold every acknowledged
// write, writes the merged state as its new log, and starts serving.
//
// Every acknowledged write is on a quorum. This replica's copy is gone,
// so it needs a set of others that meets every quorum it was part of:
// n-q+1 of them, which for three replicas is both others. A peer that is
// itself recovering has nothing to give.
func (r *replica) recover(ctx context.Context) error {
	var others []providers.Peer
	n := 1
	if r.p.Cluster != nil {
		self := r.p.Cluster.Self().Name
		peers := r.p.Cluster.Peers()
		n = len(peers)
		for _, p := range peers {
			if p.Name != self {
				others = append(others, p)
			}
		}
	}
	need := min(n-quorum(n)+1, len(others))
	var dumps [][]entry
	if r.cfg.LazyRecovery {
		need = 0
	}
	for backoff := 50 * time.Millisecond; need > 0; backoff = min(2*backoff, 2*time.Second) {
		dumps = r.collect(ctx, others)
		if len(dumps) >= need {
			break
		}
		r.logger.Info("waiting for peers to recover from", "have", len(dumps), "need", need)
		if err := r.p.Time.Sleep(ctx, backoff); err != nil {
			return err
		}
	}

	if err := r.persist.Lock(ctx); err != nil {
		return err
	}
	defer r.persist.Unlock()
	r.mu.Lock()
	merged := maps.Clone(r.entries)
	r.mu.Unlock()
	copied := 0
	for _, dump := range dumps {
		for _, e := range dump {
			if cur, ok := merged[e.Key]; !ok || cur.Tag.Less(e.Tag) {
				merged[e.Key] = e
				copied++
			}
		}
	}
	if err := r.wal.rewrite(ctx, merged); err != nil {
		return err
	}
	r.mu.Lock()
	r.entries, r.serving = merged, true
	r.mu.Unlock()
	assertions.Reachable(ctx, "a replica that lost its state serves again")
	if r.cfg.LazyRecovery {
		r.logger.Warn("rejoined without copying from peers", "keys", len(merged))
	} else {
		r.logger.Info("recovered from peers", "peers", len(dumps), "copied", copied, "keys", len(merged))
	}
	return nil
}

// collect asks each of others for its state, at once, and returns the
// states of those that gave one.
func (r *replica) collect(ctx context.Context, others []providers.Peer) [][]entry {
	got := providers.NewChan[[]entry](r.p.Task, len(others))
	wg := providers.NewWaitGroup(r.p.Task)
	for _, peer := range others {
		addr := PeerAddr(peer, r.cfg.port())
		wg.Go(ctx, "dump "+peer.Name, func(ctx context.Context) error {
			if es, err := r.dump(ctx, addr); err == nil {
				got.TrySend(es)
			}
			return nil
		})
	}
	_ = wg.Wait(ctx)
	var out [][]entry
	for {
		es, _, ready := got.TryRecv()
		if !ready {
			return out
		}
		out = append(out, es)
	}
}

// dump asks the replica at addr for its whole state.
func (r *replica) dump(ctx context.Context, addr string) ([]entry, error) {
	ctx, cancel := r.p.Time.WithTimeout(ctx, dumpTimeout)
	defer cancel()
	c, err := r.p.Network.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.SetDeadline(r.p.Time.Now().Add(dumpTimeout)); err != nil {
		return nil, err
	}
	// The buffers of a served connection: a replica that recovers has
	// none spare yet, and those of its dumps serve its first clients.
	b := r.takeBufs(c)
	defer r.putBufs(b)
	q := request{Op: opDump, ID: 1}
	b.scratch = q.appendTo(b.scratch[:0])
	b.out = appendFrame(b.out[:0], b.scratch)
	if _, err := c.Write(b.out); err != nil {
		return nil, err
	}
	body, err := readFrame(b.br, b.in)
	if err != nil {
		return nil, err
	}
	b.in = body
	var rep reply
	if err := rep.decode(body); err != nil {
		return nil, err
	}
	if rep.Op != opDump || rep.ID != q.ID || rep.Status != statusOK {
		return nil, fmt.Errorf("kv: %s did not give its state (status %d)", addr, rep.Status)
	}
	return rep.Entries, nil
}

func (r *replica) accept(ctx context.Context, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return // the server is stopping
		}
		if err != nil {
			// A connection that failed before it was accepted: the
			// next one may do better.
			r.logger.Warn("accept failed", "err", err)
			if r.p.Time.Sleep(ctx, 10*time.Millisecond) != nil {
				return
			}
			continue
		}
		r.mu.Lock()
		r.nconns++
		id := r.nconns
		r.conns[id] = c
		r.mu.Unlock()
		r.p.Task.Go(ctx, "conn "+c.RemoteAddr().String(), func(ctx context.Context) error {
			r.serve(ctx, c)
			r.mu.Lock()
			delete(r.conns, id)
			r.mu.Unlock()
			return c.Close()
		})
	}
}

// connBufs is what serve reads and writes a connection with. A replica
// hands them from a connection that ended to the next: clients reconnect
// after every reboot and every lost connection.
type connBufs struct {
	br               *bufio.Reader
	in, out, scratch []byte
	keys             interner
	// room is where in, out and scratch start, in the same allocation:
	// requests and replies are small, but for a dump's.
	room [3][48]byte
}

func (r *replica) takeBufs(c net.Conn) *connBufs {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.spare); n > 0 {
		b := r.spare[n-1]
		r.spare = r.spare[:n-1]
		b.br.Reset(c)
		return b
	}
	b := &connBufs{br: bufio.NewReaderSize(c, readBuffer)}
	b.in, b.out, b.scratch = b.room[0][:0], b.room[1][:0], b.room[2][:0]
	return b
}

func (r *replica) putBufs(b *connBufs) {
	b.br.Reset(nil)
	r.mu.Lock()
	r.spare = append(r.spare, b)
	r.mu.Unlock()
}

// serve answers the requests of one connection, in order.
func (r *replica) serve(ctx context.Context, c net.Conn) {
	b := r.takeBufs(c)
	defer r.putBufs(b)
	// A deadline costs a timer: move it only once half of it passed, after
	// renew.
	var renew time.Time
	for {
		if now := r.p.Time.Now(); now.After(renew) {
			deadline := now.Add(idleTimeout)
			renew = deadline.Add(-idleTimeout / 2)
			if c.SetDeadline(deadline) != nil {
				return
			}
		}
		body, err := readFrame(b.br, b.in)
		if err != nil {
			return // gone, idle, or corrupt: the client dials again
		}
		b.in = body
		var q request
		if err := q.decodeWith(body, &b.keys, nil); err != nil {
			return
		}
		rep := r.handle(ctx, &q)
		if q.Op == opStore && chaos.BuggifyWithProb(ctx, 0.02) {
			// Hang up after a durable write and before its ack, as when
			// the connection breaks: the client cannot tell whether the
			// write happened.
			return
		}
		b.scratch = rep.appendTo(b.scratch[:0])
		b.out = appendFrame(b.out[:0], b.scratch)
		if _, err := c.Write(b.out); err != nil {
			return
		}
	}
}

func (r *replica) handle(ctx context.Context, q *request) reply {
	rep := reply{Op: q.Op, ID: q.ID}
	r.mu.Lock()
	serving := r.serving
	r.mu.Unlock()
	if !serving {
		rep.Status = statusRecovering
		return rep
	}
	switch q.Op {
	case opQuery:
		r.mu.Lock()
		rep.Entry, rep.Found = r.entries[q.Entry.Key]
		rebooted := r.rebooted
		r.rebooted = false
		r.mu.Unlock()
		if rebooted {
			assertions.Reachable(ctx, "a rebooted replica answers a query")
		}
	case opStore:
		rep.Status = r.store(ctx, q.Entry)
	case opDump:
		r.mu.Lock()
		rep.Entries = make([]entry, 0, len(r.entries))
		for _, e := range r.entries {
			rep.Entries = append(rep.Entries, e)
		}
		r.mu.Unlock()
		slices.SortFunc(rep.Entries, func(a, b entry) int { return strings.Compare(a.Key, b.Key) })
	}
	return rep
}

// store makes e durable unless the replica holds that version or a newer
// one, and reports the status to answer.
func (r *replica) store(ctx context.Context, e entry) byte {
	if len(e.Key) == 0 {
		return statusBadRequest
	}
	if r.persist.Lock(ctx) != nil {
		return statusFailed
	}
	defer r.persist.Unlock()
	r.mu.Lock()
	cur, ok := r.entries[e.Key]
	r.mu.Unlock()
	if ok && !cur.Tag.Less(e.Tag) {
		return statusOK
	}
	if err := r.wal.append(ctx, e); err != nil {
		r.logger.Warn("store failed", "key", e.Key, "err", err)
		return statusFailed
	}
	r.mu.Lock()
	r.entries[e.Key] = e
	live := len(r.entries)
	r.mu.Unlock()
	if r.wal.needsCompaction(live) {
		r.mu.Lock()
		entries := maps.Clone(r.entries)
		r.mu.Unlock()
		if err := r.wal.rewrite(ctx, entries); err != nil {
			// The records are in the old log still; try again later.
			r.logger.Warn("compaction failed", "err", err)
		}
	}
	return statusOK
}

// quorum is the size of a majority of n replicas.
func quorum(n int) int { return n/2 + 1 }
