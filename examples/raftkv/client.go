package raftkv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

var (
	// ErrIndeterminate is the error of a Put whose outcome is unknown:
	// the request may have reached the leader, and the write may take
	// effect, now or later, or never. Retrying it could apply it twice.
	ErrIndeterminate = errors.New("raftkv: the write may or may not take effect")
	// ErrUnavailable is the error of a request that no node took: a Put
	// that fails with it had no effect.
	ErrUnavailable = errors.New("raftkv: no node took the request")
)

// ClientOptions tunes a [Client]. The zero value gives the defaults.
type ClientOptions struct {
	// Timeout bounds one attempt: connecting, sending the request and
	// reading the response. Zero means 3s.
	Timeout time.Duration
	// Attempts is how many times a request is tried, across the nodes,
	// before it fails with ErrUnavailable. Zero means 10.
	Attempts int
	// Backoff is the first pause after a node that could not take a
	// request; it doubles after each, up to 1s, with jitter. Zero means
	// 25ms.
	Backoff time.Duration
}

// A Client reads and writes a raftkv cluster over HTTP/1.1. It sends each
// request to the node it believes leads, follows the redirects of the
// others, and on a node that does not answer moves to the next one, after
// a bounded, jittered backoff. It runs on its providers alone, with no
// goroutines of its own: one connection at a time, each write on a fresh
// one, its deadlines on p.Time. So the same client runs in
// production over package net ([providers.Real]) and in a simulation,
// where its requests cross the simulated network.
//
// A Client is for one task at a time.
type Client struct {
	p     providers.Providers
	addrs []string
	o     ClientOptions
	next  int    // the index in addrs of the next node to try
	cur   string // the node it talks to, "" for none yet
	conn  net.Conn
	br    *bufio.Reader
}

// NewClient returns a client of the nodes whose HTTP addresses are addrs.
func NewClient(p providers.Providers, addrs []string, o ClientOptions) *Client {
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Second
	}
	if o.Attempts == 0 {
		o.Attempts = 10
	}
	if o.Backoff == 0 {
		o.Backoff = 25 * time.Millisecond
	}
	return &Client{p: p, addrs: addrs, o: o, next: p.Random.IntN(len(addrs))}
}

// Close closes the client's connection.
func (c *Client) Close() error {
	c.drop()
	return nil
}

// Put sets key to value. It returns nil once the cluster has committed the
// write, [ErrIndeterminate] when the write's outcome is unknown, and an
// error wrapping [ErrUnavailable] when no node took it.
func (c *Client) Put(ctx context.Context, key, value string) error {
	_, _, err := c.do(ctx, http.MethodPut, key, value)
	return err
}

// Get reads key: its value and true, or "" and false when it was never
// written.
func (c *Client) Get(ctx context.Context, key string) (string, bool, error) {
	return c.do(ctx, http.MethodGet, key, "")
}

// do sends a request until a node answers it for good.
func (c *Client) do(ctx context.Context, method, key, value string) (string, bool, error) {
	backoff := c.o.Backoff
	var last error
	for range c.o.Attempts {
		if err := ctx.Err(); err != nil {
			return "", false, err
		}
		if c.cur == "" {
			c.cur = c.addrs[c.next]
			c.next = (c.next + 1) % len(c.addrs)
		}
		status, body, loc, sent, err := c.attempt(ctx, method, key, value)
		switch {
		case err != nil && sent && method == http.MethodPut:
			// The request may have reached the leader: a write now of
			// unknown outcome.
			return "", false, fmt.Errorf("%w: %s %s on %s: %w", ErrIndeterminate, method, key, c.cur, err)
		case err != nil:
			last = fmt.Errorf("%s: %w", c.cur, err)
		case status == http.StatusNoContent && method == http.MethodPut:
			return "", false, nil
		case status == http.StatusOK && method == http.MethodGet:
			return body, true, nil
		case status == http.StatusNotFound && method == http.MethodGet:
			return "", false, nil
		case status == http.StatusTemporaryRedirect:
			// Not the leader, and nothing done: go where it says.
			if u, perr := url.Parse(loc); perr == nil && u.Host != "" && u.Host != c.cur {
				c.drop()
				c.cur = u.Host
				continue
			}
			last = fmt.Errorf("%s: a redirect to %q", c.cur, loc)
		case status == http.StatusServiceUnavailable:
			last = fmt.Errorf("%s: %s", c.cur, strings.TrimSpace(body))
		case status == http.StatusInternalServerError && method == http.MethodPut:
			return "", false, fmt.Errorf("%w: %s", ErrIndeterminate, strings.TrimSpace(body))
		default:
			return "", false, fmt.Errorf("raftkv: %s %s on %s: status %d: %s", method, key, c.cur, status, strings.TrimSpace(body))
		}
		// This node could not take it: try the next, after a pause.
		c.drop()
		c.cur = ""
		pause := backoff/2 + time.Duration(c.p.Random.Int64N(int64(backoff)))
		backoff = min(2*backoff, time.Second)
		if err := c.p.Time.Sleep(ctx, pause); err != nil {
			return "", false, err
		}
	}
	return "", false, fmt.Errorf("%w: %s %s, %d attempts; the last: %w", ErrUnavailable, method, key, c.o.Attempts, last)
}

// attempt makes one request to c.cur. sent reports whether any of the
// request may have left, so that a failed write may yet take effect.
func (c *Client) attempt(ctx context.Context, method, key, value string) (status int, body, location string, sent bool, err error) {
	if method == http.MethodPut {
		// A connection kept from an earlier request may have been closed
		// by the node meanwhile, which the write cannot tell from a node
		// that took the request and then failed: a write goes on a
		// connection of its own.
		c.drop()
	}
	if c.conn == nil {
		dctx, cancel := c.p.Time.WithTimeout(ctx, c.o.Timeout)
		conn, err := c.p.Network.Dial(dctx, c.cur)
		cancel()
		if err != nil {
			return 0, "", "", false, err
		}
		c.conn, c.br = conn, bufio.NewReader(conn)
	}
	if err := c.conn.SetDeadline(c.p.Time.Now().Add(c.o.Timeout)); err != nil {
		c.drop()
		return 0, "", "", false, err
	}
	var rd io.Reader
	if method == http.MethodPut {
		rd = strings.NewReader(value)
	}
	req, err := http.NewRequest(method, "http://"+c.cur+"/kv/"+url.PathEscape(key), rd)
	if err != nil {
		return 0, "", "", false, err
	}
	if err := req.Write(c.conn); err != nil {
		c.drop()
		return 0, "", "", true, err
	}
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		c.drop()
		return 0, "", "", true, err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		c.drop()
		return 0, "", "", true, err
	}
	if resp.Close {
		c.drop()
	}
	return resp.StatusCode, string(b), resp.Header.Get("Location"), true, nil
}

func (c *Client) drop() {
	if c.conn != nil {
		c.conn.Close()
		c.conn, c.br = nil, nil
	}
}
