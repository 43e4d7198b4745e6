package lease

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// Port is the port the lock server and the store listen on.
const Port = "7000"

// serve answers every line of every connection l accepts with handle's
// answer, until l is closed. Each connection is served by a task of its
// own.
func serve(ctx context.Context, p providers.Providers, l net.Listener, handle func(line string) string) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return nil // the listener was closed
		}
		p.Task.Go(ctx, "serve", func(ctx context.Context) error {
			defer c.Close()
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return nil // the client went away
				}
				if _, err := fmt.Fprintln(c, handle(strings.TrimSpace(line))); err != nil {
					return nil
				}
			}
		})
	}
}

// listen listens on the process's host and serves handle until ctx ends.
func listen(ctx context.Context, p providers.Providers, handle func(line string) string) error {
	l, err := p.Network.Listen(ctx, ":"+Port)
	if err != nil {
		return err
	}
	defer l.Close()
	p.Task.Go(ctx, "accept", func(ctx context.Context) error { return serve(ctx, p, l, handle) })
	return providers.Wait(ctx, p.Task)
}

// LockServer grants one lock, to one client at a time, for Lease.
type LockServer struct {
	Lease time.Duration

	token   int64
	holder  string
	expires time.Time
}

// Run serves "acquire NAME": "granted TOKEN" if the lock is free or its
// lease ran out (by the server's clock), else "busy".
func (s *LockServer) Run(ctx context.Context, p providers.Providers) error {
	return listen(ctx, p, func(line string) string {
		name, ok := strings.CutPrefix(line, "acquire ")
		if !ok {
			return "error: unknown request"
		}
		now := p.Time.Now()
		if s.holder != "" && s.holder != name && now.Before(s.expires) {
			return "busy"
		}
		s.token++
		s.holder, s.expires = name, now.Add(s.Lease)
		return fmt.Sprintf("granted %d", s.token)
	})
}

// A Write is a record the store applied: the token of the lease its
// client held, the client, and the client's count of its writes.
type Write struct {
	Token  int64
	Client string
	N      int
}

// Store keeps the records clients write. Fenced, it refuses a write whose
// token is below the highest it has applied.
type Store struct {
	Fenced bool

	// Applied is every write applied, in order.
	Applied []Write
	highest int64
}

// Run serves "write TOKEN CLIENT N": "ok", or "fenced" for a write a
// fenced store refuses.
func (s *Store) Run(ctx context.Context, p providers.Providers) error {
	return listen(ctx, p, func(line string) string {
		var w Write
		if _, err := fmt.Sscanf(line, "write %d %s %d", &w.Token, &w.Client, &w.N); err != nil {
			return "error: " + err.Error()
		}
		if s.Fenced && w.Token < s.highest {
			return "fenced"
		}
		s.highest = max(s.highest, w.Token)
		s.Applied = append(s.Applied, w)
		return "ok"
	})
}

// Client writes to the store while it holds the lock.
type Client struct {
	Lock, Store string // host:port of each
	// Lease is the lock server's lease; the client counts it from the
	// instant it asked, before the server granted it.
	Lease time.Duration
	// Margin is the least time a lease must have left for a write to
	// start: the journal's sync and the network's latency fit in it.
	Margin time.Duration
}

// Run takes the lock and writes records, one each 50 ms: first to the
// client's journal, synced, then to the store. A store that fences its
// write makes it take the lock again.
func (cl *Client) Run(ctx context.Context, p providers.Providers) error {
	me := p.Cluster.Self().Name
	journal, err := p.Storage.Create("journal")
	if err != nil {
		return err
	}
	defer journal.Close()
	var token int64
	var deadline time.Time
	for n := 0; ; n++ {
		if err := p.Time.Sleep(ctx, 50*time.Millisecond); err != nil {
			return nil
		}
		if token == 0 || !p.Time.Now().Add(cl.Margin).Before(deadline) {
			asked := p.Time.Now()
			reply, err := call(ctx, p, cl.Lock, "acquire "+me)
			if t, ok := strings.CutPrefix(reply, "granted "); err == nil && ok {
				token, _ = strconv.ParseInt(t, 10, 64)
				deadline = asked.Add(cl.Lease)
			} else {
				token = 0
			}
			continue
		}
		// The lease has Margin left at least: the write is safe to start.
		rec := fmt.Sprintf("write %d %s %d", token, me, n)
		if _, err := journal.Write([]byte(rec + "\n")); err != nil {
			return err
		}
		if err := journal.Sync(); err != nil {
			return err
		}
		reply, err := call(ctx, p, cl.Store, rec)
		if err != nil || reply == "fenced" {
			token = 0 // a newer holder wrote: take the lock again
		}
	}
}

// call sends one request on a connection of its own and returns the
// answer's line.
func call(ctx context.Context, p providers.Providers, addr, req string) (string, error) {
	c, err := p.Network.Dial(ctx, addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if _, err := fmt.Fprintln(c, req); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}
