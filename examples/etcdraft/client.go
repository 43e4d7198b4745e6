package etcdraft

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// ErrUnknown is the error of a put that may or may not have taken effect:
// it was sent to a leader, and no reply came. It is never retried, since a
// retry could apply it twice.
var ErrUnknown = errors.New("etcdraft: the put's outcome is unknown")

// Client reads and writes through the cluster's leader, found by asking
// the nodes in turn and following their hints. It sends a read first to a
// node drawn at random, to spread the reads.
type Client struct {
	P     providers.Providers
	Hosts []string // the nodes' hosts, by raft ID - 1
	Name  string   // unique among clients: it names the operations

	seq    int
	leader int // the index of the node to try first
}

// The client's patience: a dial, and a reply.
const (
	dialTimeout  = 300 * time.Millisecond
	replyTimeout = time.Second
	attempts     = 6
)

// Put sets key to value. An error other than ErrUnknown means it had no
// effect.
func (c *Client) Put(ctx context.Context, key, value string) error {
	_, err := c.do(ctx, request{Put: true, Key: key, Value: value})
	return err
}

// Get reads key through the log. An error means nothing was read.
func (c *Client) Get(ctx context.Context, key string) (value string, found bool, err error) {
	rep, err := c.do(ctx, request{Key: key})
	return rep.Value, rep.Found, err
}

func (c *Client) do(ctx context.Context, req request) (reply, error) {
	c.seq++
	req.ID = fmt.Sprintf("%s/%d", c.Name, c.seq)
	var last error
	for try := range attempts {
		i := c.leader
		if try == 0 && !req.Put {
			// Reads are spread over the nodes: one that is not the
			// leader redirects.
			i = c.P.Random.IntN(len(c.Hosts))
		}
		rep, sent, err := c.ask(ctx, c.Hosts[i], req)
		switch {
		case err == nil && rep.NotLeader:
			c.leader = (i + 1) % len(c.Hosts)
			if rep.Leader != 0 {
				c.leader = int(rep.Leader - 1)
			}
			last = fmt.Errorf("etcdraft: %s is not the leader", c.Hosts[i])
		case err == nil:
			return rep, nil
		case sent && req.Put:
			c.leader = (i + 1) % len(c.Hosts)
			return reply{}, fmt.Errorf("%w: %s: %v", ErrUnknown, c.Hosts[i], err)
		default:
			c.leader = (i + 1) % len(c.Hosts)
			last = err
		}
		if err := c.P.Time.Sleep(ctx, 50*time.Millisecond); err != nil {
			return reply{}, err
		}
	}
	return reply{}, last
}

// ask sends req to one node and reads its reply. sent reports whether the
// request may have reached the node.
func (c *Client) ask(ctx context.Context, host string, req request) (rep reply, sent bool, err error) {
	dctx, cancel := c.P.Time.WithTimeout(ctx, dialTimeout)
	conn, err := c.P.Network.Dial(dctx, net.JoinHostPort(host, strconv.Itoa(ClientPort)))
	cancel()
	if err != nil {
		return rep, false, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(c.P.Time.Now().Add(replyTimeout))
	if err := writeJSON(conn, req); err != nil {
		return rep, true, err
	}
	err = readJSON(conn, &rep)
	return rep, true, err
}
