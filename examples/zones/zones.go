package zones

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"net"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// Port is where replicas listen.
const Port = "7000"

// Copies is how many replicas keep each blob.
const Copies = 3

// Server is a replica. It keeps each blob it is sent in a file of its own,
// named after itself and the key, since the processes of a machine share
// its disk, and syncs it before it answers.
type Server struct{}

// Run serves "PUT key value" and "GET key" lines on the process's host
// until ctx ends.
func (Server) Run(ctx context.Context, p providers.Providers) error {
	self := p.Cluster.Self()
	l, err := p.Network.Listen(ctx, net.JoinHostPort(self.Host, Port))
	if err != nil {
		return err
	}
	p.Task.Go(ctx, "accept", func(ctx context.Context) error {
		for {
			c, err := l.Accept()
			if err != nil {
				return nil // closed
			}
			p.Task.Go(ctx, "serve", func(ctx context.Context) error {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return nil
					}
					if _, err := io.WriteString(c, serve(p, self.Name, strings.Fields(line))+"\n"); err != nil {
						return nil
					}
				}
			})
		}
	})
	_ = providers.Wait(ctx, p.Task)
	return l.Close()
}

func serve(p providers.Providers, self string, req []string) string {
	switch {
	case len(req) == 3 && req[0] == "PUT":
		if err := put(p.Storage, self+"."+req[1], req[2]); err != nil {
			return "ERR " + err.Error()
		}
		return "OK"
	case len(req) == 2 && req[0] == "GET":
		f, err := p.Storage.Open(self + "." + req[1])
		if errors.Is(err, fs.ErrNotExist) {
			return "MISSING"
		} else if err != nil {
			return "ERR " + err.Error()
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return "ERR " + err.Error()
		}
		return "VAL " + string(b)
	}
	return "ERR bad request"
}

func put(s providers.Storage, name, value string) error {
	f, err := s.Create(name)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, value); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// A Placement picks the replicas of a key among the peers.
type Placement func(key string, peers []providers.Peer) []providers.Peer

// Replicas places a key's copies in as many zones as it can: from the
// key's place on the ring of peers, it takes each next peer whose zone
// holds no copy yet, then, with fewer zones than copies, the next peers.
func Replicas(key string, peers []providers.Peer) []providers.Peer {
	start := ring(key, len(peers))
	var out []providers.Peer
	zones := map[string]bool{}
	for i := range peers {
		if q := peers[(start+i)%len(peers)]; !zones[q.Locality.Zone] {
			zones[q.Locality.Zone] = true
			out = append(out, q)
			if len(out) == Copies {
				return out
			}
		}
	}
	for i := range peers { // fewer zones than copies
		if q := peers[(start+i)%len(peers)]; !contains(out, q) {
			out = append(out, q)
			if len(out) == Copies {
				break
			}
		}
	}
	return out
}

// Naive places a key's copies on the next peers of the ring from the key's
// place, wherever they run.
func Naive(key string, peers []providers.Peer) []providers.Peer {
	start := ring(key, len(peers))
	var out []providers.Peer
	for i := range min(Copies, len(peers)) {
		out = append(out, peers[(start+i)%len(peers)])
	}
	return out
}

func ring(key string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

func contains(ps []providers.Peer, p providers.Peer) bool {
	for _, q := range ps {
		if q.Name == p.Name {
			return true
		}
	}
	return false
}

// Client writes and reads blobs.
type Client struct {
	P       providers.Providers
	Peers   []providers.Peer
	Place   Placement
	Timeout time.Duration // of each request to one replica, the connect included
}

// Put writes the blob to every replica of key, and fails unless each
// stored it.
func (c *Client) Put(ctx context.Context, key, value string) error {
	for _, r := range c.Place(key, c.Peers) {
		resp, err := c.call(ctx, r, "PUT "+key+" "+value)
		if err != nil {
			return fmt.Errorf("put %s on %s: %w", key, r.Name, err)
		}
		if resp != "OK" {
			return fmt.Errorf("put %s on %s: %s", key, r.Name, resp)
		}
	}
	return nil
}

// getPasses is how many times Get asks every replica before it gives up:
// a replica's outage can end while the others' begin, each within the
// fault budget, so that one pass meets all three down one after another.
const getPasses = 2

// Get reads the blob of key from the first of its replicas that has it,
// asking them all again, after a pause of Timeout, when none answered.
func (c *Client) Get(ctx context.Context, key string) (string, error) {
	var errs []error
	for pass := range getPasses {
		if pass > 0 {
			if err := c.P.Time.Sleep(ctx, c.Timeout); err != nil {
				return "", err
			}
		}
		errs = errs[:0]
		for _, r := range c.Place(key, c.Peers) {
			resp, err := c.call(ctx, r, "GET "+key)
			if v, ok := strings.CutPrefix(resp, "VAL "); ok && err == nil {
				return v, nil
			}
			if err == nil {
				err = errors.New(resp)
			}
			errs = append(errs, fmt.Errorf("%s (%s): %w", r.Name, r.Locality.Zone, err))
		}
	}
	return "", fmt.Errorf("get %s: no replica answered, %d times each: %w", key, getPasses, errors.Join(errs...))
}

func (c *Client) call(ctx context.Context, r providers.Peer, req string) (string, error) {
	ctx, cancel := c.P.Time.WithTimeout(ctx, c.Timeout)
	defer cancel()
	conn, err := c.P.Network.Dial(ctx, net.JoinHostPort(r.Host, Port))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	if _, err := io.WriteString(conn, req+"\n"); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}
