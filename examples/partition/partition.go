package partition

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// Serve answers "ping N" lines with "pong N" on every connection l accepts,
// until l is closed. Each connection is served by a task of its own.
func Serve(ctx context.Context, p providers.Providers, l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return nil // the listener was closed
		}
		p.Task.Go(ctx, "serve "+c.RemoteAddr().String(), func(ctx context.Context) error {
			defer c.Close()
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return nil // the client went away
				}
				n, ok := strings.CutPrefix(strings.TrimSpace(line), "ping ")
				if !ok {
					return nil // not our protocol: hang up
				}
				if _, err := fmt.Fprintf(c, "pong %s\n", n); err != nil {
					return nil
				}
			}
		})
	}
}

// A Client pings the service.
type Client interface {
	Ping(ctx context.Context, n int) error
}

// call sends one ping on c and waits for its pong until timeout.
func call(p providers.Providers, c net.Conn, r *bufio.Reader, n int, timeout time.Duration) error {
	if err := c.SetDeadline(p.Time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(c, "ping %d\n", n); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if want := fmt.Sprintf("pong %d\n", n); line != want {
		return fmt.Errorf("the service answered %q to ping %d", line, n)
	}
	return nil
}

// Naive dials once and gives up at the first error.
type Naive struct {
	P       providers.Providers
	Addr    string
	Timeout time.Duration // of every call

	c net.Conn
	r *bufio.Reader
}

// Ping sends ping n and waits for its pong.
func (cl *Naive) Ping(ctx context.Context, n int) error {
	if cl.c == nil {
		c, err := cl.P.Network.Dial(ctx, cl.Addr)
		if err != nil {
			return err
		}
		cl.c, cl.r = c, bufio.NewReader(c)
	}
	return call(cl.P, cl.c, cl.r, n, cl.Timeout)
}

// Resilient retries every failed call on a new connection, backing off
// from 50ms to a second between attempts, until its context ends. A ping
// is harmless to repeat, which is what makes retrying it safe.
type Resilient struct {
	P       providers.Providers
	Addr    string
	Timeout time.Duration // of every attempt, the connect included

	c net.Conn
	r *bufio.Reader
}

// Ping sends ping n until its pong comes back or ctx ends.
func (cl *Resilient) Ping(ctx context.Context, n int) error {
	backoff := 50 * time.Millisecond
	for {
		err := cl.attempt(ctx, n)
		if err == nil {
			return nil
		}
		if cl.c != nil {
			cl.c.Close()
			cl.c = nil
		}
		if err := cl.P.Time.Sleep(ctx, backoff); err != nil {
			return fmt.Errorf("ping %d: gave up: %w", n, err)
		}
		backoff = min(2*backoff, time.Second)
	}
}

func (cl *Resilient) attempt(ctx context.Context, n int) error {
	if cl.c == nil {
		dctx, cancel := cl.P.Time.WithTimeout(ctx, cl.Timeout)
		c, err := cl.P.Network.Dial(dctx, cl.Addr)
		cancel()
		if err != nil {
			return err
		}
		cl.c, cl.r = c, bufio.NewReader(c)
	}
	return call(cl.P, cl.c, cl.r, n, cl.Timeout)
}
