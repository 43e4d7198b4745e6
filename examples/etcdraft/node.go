package etcdraft

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/providers"
)

// The ports of a node on its host.
const (
	RaftPort   = 7000
	ClientPort = 7001
)

// The node's timing: raft ticks every tickInterval, and a leader sends a
// heartbeat every tick. A follower that hears no leader for a time drawn
// in [electionMin, 2*electionMin) campaigns.
const (
	tickInterval = 100 * time.Millisecond
	electionMin  = time.Second
	silentAfter  = 3 * time.Second
)

// Node is one member of a three-or-more-node replicated key-value store on
// etcd's raft library, driven through its RawNode. Its members are the
// processes of its cluster view, raft IDs 1, 2, ... in their order.
//
// It persists raft's hard state and entries in a log of three copies (see
// wal.go) before it sends the messages of the same Ready, applies the
// committed entries to a map, and answers a client's put or get once the
// operation has gone through the log and been applied. It asks to be
// restarted (providers.ErrRestart) when its disk fails it, and says it is
// not ready after a restart until it has caught up with a leader.
type Node struct {
	// StaleReads is the planted bug: a get is answered from the node's
	// own map, at once, by whichever node the client asked.
	StaleReads bool

	p       providers.Providers
	rn      *raft.RawNode
	ms      *raft.MemoryStorage
	log     *wal
	kv      map[string]string
	pending map[string]*providers.Chan[reply]
	peers   []string // hosts, by raft ID - 1
	id      uint64
	applied uint64
	out     []*providers.Chan[raftpb.Message]

	// catchingUp is set while the node is not ready; wiped while it also
	// must not vote: its empty log says nothing of what it promised.
	catchingUp, wiped bool
	heardLeader       bool
	election          time.Time // when a follower campaigns
}

// An event is what the node's loop hears: a tick, a message from a peer,
// or a client's request.
type event struct {
	tick  bool
	msg   raftpb.Message
	req   *request
	reply *providers.Chan[reply]
}

// fixedMembers is raft's storage with the cluster's voters fixed, so that
// no configuration entries are needed to start.
type fixedMembers struct {
	*raft.MemoryStorage
	cs raftpb.ConfState
}

func (f fixedMembers) InitialState() (raftpb.HardState, raftpb.ConfState, error) {
	hs, _, err := f.MemoryStorage.InitialState()
	return hs, f.cs, err
}

// Run runs the node until ctx ends.
func (n *Node) Run(ctx context.Context, p providers.Providers) error {
	n.p = p
	self := p.Cluster.Self()
	var cs raftpb.ConfState
	for i, peer := range p.Cluster.Peers() {
		n.peers = append(n.peers, peer.Host)
		cs.Voters = append(cs.Voters, uint64(i+1))
		if peer.Name == self.Name {
			n.id = uint64(i + 1)
		}
	}
	if n.id == 0 {
		return fmt.Errorf("etcdraft: %s is not among its cluster's peers", self.Name)
	}
	if boot := p.Cluster.Boot(); boot != providers.FirstBoot {
		n.catchingUp = true
		n.wiped = boot == providers.AfterWipe
		providers.SetNotReady(p.Cluster, "replaying its log and catching up with a leader")
	}
	w, rec, err := openWAL(p.Storage)
	if err != nil {
		// A read or a write of the disk failed: a fresh boot reads it again.
		return fmt.Errorf("etcdraft: open the log: %v: %w", err, providers.ErrRestart)
	}
	assertions.Sometimes(ctx, rec.repaired > 0, "a copy of the log lacks a record that another has")
	n.log = w
	n.ms = raft.NewMemoryStorage()
	if err := n.ms.SetHardState(rec.hs); err != nil {
		return err
	}
	if err := n.ms.Append(rec.entries); err != nil {
		return err
	}
	n.rn, err = raft.NewRawNode(&raft.Config{
		ID: n.id,
		// Raft draws its own election timeouts from crypto/rand, outside
		// the seed: its elections are left unreachable, and the node
		// campaigns on a timer drawn from its providers' Random.
		ElectionTick:    1 << 30,
		HeartbeatTick:   1,
		Storage:         fixedMembers{n.ms, cs},
		MaxSizePerMsg:   64 << 10,
		MaxInflightMsgs: 64,
		PreVote:         true,
		Logger:          raftLogger{p.Logger},
	})
	if err != nil {
		return err
	}
	n.kv = map[string]string{}
	n.pending = map[string]*providers.Chan[reply]{}
	n.resetElection()

	inbox := providers.NewChan[event](p.Task, 1024)
	if err := n.serve(ctx, self.Host, inbox); err != nil {
		return err
	}
	for {
		ev, _, err := inbox.Recv(ctx)
		if err != nil {
			return nil // asked to stop
		}
		n.handle(ev)
		if err := n.ready(ctx); err != nil {
			return err
		}
	}
}

// serve starts the node's tasks: the ticker, a sender per peer, and the
// listeners for peers and clients.
func (n *Node) serve(ctx context.Context, host string, inbox *providers.Chan[event]) error {
	p := n.p
	raftLn, err := p.Network.Listen(ctx, net.JoinHostPort(host, strconv.Itoa(RaftPort)))
	if err != nil {
		return err
	}
	clientLn, err := p.Network.Listen(ctx, net.JoinHostPort(host, strconv.Itoa(ClientPort)))
	if err != nil {
		return err
	}
	p.Task.Go(ctx, "closer", func(ctx context.Context) error {
		_ = providers.Wait(ctx, p.Task)
		raftLn.Close()
		return clientLn.Close()
	})
	p.Task.Go(ctx, "ticker", func(ctx context.Context) error {
		for p.Time.Sleep(ctx, tickInterval) == nil {
			if inbox.Send(ctx, event{tick: true}) != nil {
				break
			}
		}
		return nil
	})
	n.out = make([]*providers.Chan[raftpb.Message], len(n.peers))
	for i, h := range n.peers {
		if uint64(i+1) == n.id {
			continue
		}
		q := providers.NewChan[raftpb.Message](p.Task, 256)
		n.out[i] = q
		p.Task.Go(ctx, "send to "+h, func(ctx context.Context) error { n.send(ctx, h, q); return nil })
	}
	p.Task.Go(ctx, "raft accept", func(ctx context.Context) error {
		for {
			c, err := raftLn.Accept()
			if err != nil {
				return nil
			}
			p.Task.Go(ctx, "raft conn", func(ctx context.Context) error {
				defer c.Close()
				for {
					b, err := readFrame(c)
					if err != nil {
						return nil
					}
					var m raftpb.Message
					if m.Unmarshal(b) != nil || inbox.Send(ctx, event{msg: m}) != nil {
						return nil
					}
					if _, err := c.Write([]byte{1}); err != nil {
						return nil
					}
				}
			})
		}
	})
	p.Task.Go(ctx, "client accept", func(ctx context.Context) error {
		for {
			c, err := clientLn.Accept()
			if err != nil {
				return nil
			}
			p.Task.Go(ctx, "client conn", func(ctx context.Context) error {
				defer c.Close()
				var req request
				if readJSON(c, &req) != nil {
					return nil
				}
				back := providers.NewChan[reply](p.Task, 1)
				if inbox.Send(ctx, event{req: &req, reply: back}) != nil {
					return nil
				}
				rep, _, err := back.Recv(ctx)
				if err != nil {
					return nil
				}
				_ = writeJSON(c, rep)
				return nil
			})
		}
	})
	return nil
}

// send carries messages to one peer over one connection, dialled again
// after a failure. A message that cannot go is dropped: raft resends.
func (n *Node) send(ctx context.Context, host string, q *providers.Chan[raftpb.Message]) {
	p := n.p
	addr := net.JoinHostPort(host, strconv.Itoa(RaftPort))
	var c net.Conn
	for {
		m, _, err := q.Recv(ctx)
		if err != nil {
			if c != nil {
				c.Close()
			}
			return
		}
		if c == nil {
			dctx, cancel := p.Time.WithTimeout(ctx, 500*time.Millisecond)
			c, err = p.Network.Dial(dctx, addr)
			cancel()
			if err != nil {
				c = nil
				continue
			}
			// The peer acknowledges every frame with a byte. A
			// connection that carries no acknowledgement for
			// silentAfter is closed: the peer is gone (a FIN, a reset,
			// or silence after a power loss or a silent close), or it
			// was idle. The next write fails and dials again.
			conn := c
			p.Task.Go(ctx, "watch "+host, func(ctx context.Context) error {
				var ack [64]byte
				for {
					_ = conn.SetReadDeadline(p.Time.Now().Add(silentAfter))
					if _, err := conn.Read(ack[:]); err != nil {
						return conn.Close()
					}
				}
			})
		}
		b, err := m.Marshal()
		if err != nil {
			continue
		}
		_ = c.SetWriteDeadline(p.Time.Now().Add(time.Second))
		if writeFrame(c, b) != nil {
			c.Close()
			c = nil
		}
	}
}

func (n *Node) resetElection() {
	n.election = n.p.Time.Now().Add(electionMin + time.Duration(n.p.Random.Int64N(int64(electionMin))))
}

// handle takes one event into raft.
func (n *Node) handle(ev event) {
	st := n.rn.BasicStatus()
	switch {
	case ev.tick:
		n.rn.Tick()
		if st.RaftState == raft.StateLeader {
			n.resetElection()
		} else if !n.wiped && !n.p.Time.Now().Before(n.election) {
			n.resetElection()
			_ = n.rn.Campaign()
		}
	case ev.req != nil:
		n.request(*ev.req, ev.reply, st)
	default:
		m := ev.msg
		switch m.Type {
		case raftpb.MsgApp, raftpb.MsgHeartbeat, raftpb.MsgSnap:
			if m.Term >= st.Term {
				n.resetElection()
				n.heardLeader = true
			}
		case raftpb.MsgVote, raftpb.MsgPreVote:
			if n.wiped {
				return // it cannot know what it promised before: no vote
			}
		}
		_ = n.rn.Step(m)
	}
}

func (n *Node) request(req request, back *providers.Chan[reply], st raft.BasicStatus) {
	if !req.Put && n.StaleReads {
		v, ok := n.kv[req.Key]
		back.TrySend(reply{OK: true, Value: v, Found: ok})
		return
	}
	if st.RaftState != raft.StateLeader {
		back.TrySend(reply{NotLeader: true, Leader: st.Lead})
		return
	}
	data, err := json.Marshal(req)
	if err != nil || n.rn.Propose(data) != nil {
		back.TrySend(reply{NotLeader: true})
		return
	}
	n.pending[req.ID] = back
}

// ready persists, sends and applies what raft has ready, in that order:
// nothing is sent that the disk does not hold.
func (n *Node) ready(ctx context.Context) error {
	for n.rn.HasReady() {
		rd := n.rn.Ready()
		retried := n.log.retried
		err := n.log.save(rd.HardState, rd.Entries)
		assertions.Sometimes(ctx, n.log.retried > retried, "a batch is written to a copy again after a failed sync")
		if err != nil {
			// Two copies of the batch failed twice: nothing says what
			// the disk will keep. Crash, and read it again. (Too rare
			// for an assertion to ask for it.)
			return fmt.Errorf("etcdraft: %v: %w", err, providers.ErrRestart)
		}
		if !raft.IsEmptyHardState(rd.HardState) {
			_ = n.ms.SetHardState(rd.HardState)
		}
		if err := n.ms.Append(rd.Entries); err != nil {
			return err
		}
		for _, m := range rd.Messages {
			if q := n.out[m.To-1]; q != nil && !q.TrySend(m) {
				n.rn.ReportUnreachable(m.To)
			}
		}
		for _, e := range rd.CommittedEntries {
			n.apply(e)
		}
		n.rn.Advance(rd)
	}
	if n.catchingUp {
		st := n.rn.BasicStatus()
		leading := st.RaftState == raft.StateLeader
		if (leading || n.heardLeader && st.Lead != 0) && n.applied >= st.Commit {
			n.catchingUp, n.wiped = false, false
			providers.SetReady(n.p.Cluster)
			assertions.Reachable(ctx, "a rebooted node has caught up and is ready again")
		}
	}
	return nil
}

func (n *Node) apply(e raftpb.Entry) {
	n.applied = e.Index
	if e.Type != raftpb.EntryNormal || len(e.Data) == 0 {
		return
	}
	var req request
	if err := json.Unmarshal(e.Data, &req); err != nil {
		panic(fmt.Sprintf("etcdraft: a committed entry %d does not decode: %v", e.Index, err))
	}
	rep := reply{OK: true}
	if req.Put {
		n.kv[req.Key] = req.Value
	} else {
		rep.Value, rep.Found = n.kv[req.Key]
	}
	if back := n.pending[req.ID]; back != nil {
		delete(n.pending, req.ID)
		back.TrySend(rep)
	}
}
