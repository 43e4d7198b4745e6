package kv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// The errors of a [Client]'s operations. A Put that fails with
// ErrIndeterminate may take effect later or never; every other failed
// operation took no effect.
var (
	ErrUnavailable   = errors.New("kv: no quorum of replicas answered; the operation took no effect")
	ErrIndeterminate = errors.New("kv: the write reached some replicas but no quorum acknowledged it; it may or may not take effect")
)

// ClientOptions tune a [Client].
type ClientOptions struct {
	// Timeout bounds one round trip to a quorum, and a connect; zero
	// means 300ms.
	Timeout time.Duration
	// Attempts bounds how many round trips each phase of an operation
	// tries before it gives up; zero means 3.
	Attempts int
}

// Client reads and writes the store. It runs the ABD quorum protocol
// (Attiya, Bar-Noy and Dolev, 1995) against the replicas, which makes
// every Get and Put linearizable while any majority of them is up:
//
//   - Put asks a majority for their newest tag of the key, then stores
//     the value under a greater one on a majority;
//   - Get asks a majority for their newest version and, unless they all
//     agree on it, writes it back to a majority before returning it, so
//     that no later Get can return an older one.
//
// A Client keeps one connection to each replica and may be used by
// several tasks; it runs their operations one at a time.
type Client struct {
	p       providers.Providers
	timeout time.Duration
	tries   int
	links   []*link
	answers *providers.Chan[answer]
	stop    context.CancelFunc

	ops    *providers.Mutex // one operation at a time; guards what follows
	nextID uint64
	body   []byte // scratch for encoding requests
	frame  []byte
	heard  []bool  // scratch for a round: which replicas answered
	oks    []reply // scratch for a round: the replies, valid until the next
}

// link is the connection to one replica, kept by a task of its own.
type link struct {
	addr string
	// want wakes the task when an operation finds no connection.
	want *providers.Chan[struct{}]
	// mu guards what follows; it is never held across a call that
	// blocks.
	//simvet:allow sync never held across a call that parks, so no task ever waits on it
	mu      sync.Mutex
	conn    net.Conn // nil while disconnected
	pending uint64   // the request awaiting a reply, or 0
	// The write deadline set on conn was set at wdlSet, and is moved after
	// wdlMove, once most of it has passed.
	wdlSet, wdlMove time.Time

	// What the link's task reads with, kept from one connection to the
	// next (a client reconnects after every reboot of its replica); only
	// that task touches them.
	br     *bufio.Reader
	buf    []byte
	values interner
}

// answer is what a link heard for a request: a reply, or the error that
// broke its connection.
type answer struct {
	replica int
	id      uint64
	rep     reply
	err     error
}

// NewClient returns a client of the replicas at addrs ("host:port"). Its
// connections live until Close or until ctx ends.
func NewClient(ctx context.Context, p providers.Providers, addrs []string, opts ClientOptions) *Client {
	ctx, stop := context.WithCancel(ctx)
	c := &Client{
		p:       p,
		timeout: opts.Timeout,
		tries:   opts.Attempts,
		answers: providers.NewChan[answer](p.Task, 4*len(addrs)),
		stop:    stop,
		ops:     providers.NewMutex(p.Task),
	}
	if c.timeout <= 0 {
		c.timeout = 300 * time.Millisecond
	}
	if c.tries <= 0 {
		c.tries = 3
	}
	for i, addr := range addrs {
		l := &link{addr: addr, want: providers.NewChan[struct{}](p.Task, 1)}
		c.links = append(c.links, l)
		p.Task.Go(ctx, "kv client to "+addr, func(ctx context.Context) error {
			c.keep(ctx, i)
			return nil
		})
	}
	return c
}

// Close closes the client's connections.
func (c *Client) Close() {
	c.stop()
	for _, l := range c.links {
		l.reset()
	}
}

// Put stores value under key.
func (c *Client) Put(ctx context.Context, key, value string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if len(value) > MaxValue {
		return fmt.Errorf("kv: a value of %d bytes is longer than MaxValue (%d); split it", len(value), MaxValue)
	}
	if err := c.ops.Lock(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer c.ops.Unlock()

	var newest Tag
	err := c.retry(ctx, func() error {
		oks, err := c.round(ctx, request{Op: opQuery, Entry: entry{Key: key}})
		for _, r := range oks {
			if r.Found && newest.Less(r.Entry.Tag) {
				newest = r.Entry.Tag
			}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: put %q: %w", ErrUnavailable, key, err)
	}
	// The random id orders this write against others that read the same
	// newest tag at the same time.
	e := entry{Key: key, Tag: Tag{Time: newest.Time + 1, ID: c.p.Random.Uint64()}, Value: value}
	err = c.retry(ctx, func() error {
		_, err := c.round(ctx, request{Op: opStore, Entry: e})
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: put %q: %w", ErrIndeterminate, key, err)
	}
	return nil
}

// Get returns the value stored under key, and whether there is one.
func (c *Client) Get(ctx context.Context, key string) (value string, ok bool, err error) {
	if err := checkKey(key); err != nil {
		return "", false, err
	}
	if err := c.ops.Lock(ctx); err != nil {
		return "", false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer c.ops.Unlock()

	var newest reply
	agreed := true
	err = c.retry(ctx, func() error {
		newest, agreed = reply{}, true
		oks, err := c.round(ctx, request{Op: opQuery, Entry: entry{Key: key}})
		for i, r := range oks {
			if r.Found && (!newest.Found || newest.Entry.Tag.Less(r.Entry.Tag)) {
				newest = r
			}
			if i > 0 && (r.Found != oks[0].Found || r.Entry.Tag != oks[0].Entry.Tag) {
				agreed = false
			}
		}
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("%w: get %q: %w", ErrUnavailable, key, err)
	}
	if !newest.Found {
		return "", false, nil
	}
	// A quorum that agrees already holds the version; otherwise it may be
	// on a minority only, and a later Get could miss it: write it back.
	// Buggify takes the write-back path even when it is not needed.
	if !agreed || chaos.Buggify(ctx) {
		newest.Entry.Key = key
		err = c.retry(ctx, func() error {
			_, err := c.round(ctx, request{Op: opStore, Entry: newest.Entry})
			return err
		})
		if err != nil {
			return "", false, fmt.Errorf("%w: get %q: writing back: %w", ErrUnavailable, key, err)
		}
	}
	return newest.Entry.Value, true, nil
}

func checkKey(key string) error {
	if key == "" || len(key) > MaxKey {
		return fmt.Errorf("kv: a key of %d bytes; keys have 1 to MaxKey (%d) bytes", len(key), MaxKey)
	}
	return nil
}

// retry calls round until it succeeds, the attempts run out or ctx ends,
// backing off between attempts.
func (c *Client) retry(ctx context.Context, round func() error) error {
	backoff := 20 * time.Millisecond
	for try := 1; ; try++ {
		err := round()
		if err == nil || try == c.tries || ctx.Err() != nil {
			return err
		}
		if err := c.p.Time.Sleep(ctx, backoff); err != nil {
			return err
		}
		backoff *= 2
	}
}

// errNoQuorum is why a round fails when too many replicas refused.
var errNoQuorum = errors.New("too few replicas could answer")

// round sends q to every replica and waits for a quorum of them to answer
// it with success. It returns the successful replies it got, which are
// valid until the next round.
func (c *Client) round(ctx context.Context, q request) ([]reply, error) {
	c.nextID++
	q.ID = c.nextID
	c.body = q.appendTo(c.body[:0])
	c.frame = appendFrame(c.frame[:0], c.body)
	n, need := len(c.links), quorum(len(c.links))
	heard := c.heard[:0]
	for range n {
		heard = append(heard, false)
	}
	c.heard = heard
	failed := 0
	for i := range c.links {
		if !c.send(i, q.ID, c.frame) {
			heard[i] = true
			failed++
		}
	}
	tctx, cancel := c.p.Time.WithTimeout(ctx, c.timeout)
	defer cancel()
	oks := c.oks[:0]
	defer func() { c.oks = oks[:0] }()
	for len(oks) < need {
		if failed > n-need {
			return oks, errNoQuorum
		}
		a, _, err := c.answers.Recv(tctx)
		if err != nil {
			// Connections that stayed silent may be dead without knowing
			// it: start them anew.
			for i, h := range heard {
				if !h {
					c.links[i].reset()
				}
			}
			return oks, fmt.Errorf("%d of %d replicas answered in %v", len(oks), need, c.timeout)
		}
		if a.id != q.ID || heard[a.replica] {
			continue // an answer to an earlier round
		}
		heard[a.replica] = true
		if a.err != nil || a.rep.Op != q.Op || a.rep.Status != statusOK {
			failed++
			continue
		}
		oks = append(oks, a.rep)
	}
	return oks, nil
}

// send writes a request frame to replica i, and reports whether it could.
func (c *Client) send(i int, id uint64, frame []byte) bool {
	l := c.links[i]
	l.mu.Lock()
	conn := l.conn
	if conn != nil {
		l.pending = id
	}
	l.mu.Unlock()
	if conn == nil {
		l.want.TrySend(struct{}{})
		return false
	}
	if err := l.deadline(c.p.Time.Now(), 10*c.timeout); err != nil {
		return false
	}
	if _, err := conn.Write(frame); err != nil {
		conn.Close()
		return false
	}
	return true
}

// keep keeps the connection to replica i. It dials, reads replies until
// the connection breaks, then dials again when an operation wants the
// replica; while the replica cannot be reached, it also backs off.
func (c *Client) keep(ctx context.Context, i int) {
	l := c.links[i]
	const first = 250 * time.Millisecond
	backoff := first
	for {
		dctx, cancel := c.p.Time.WithTimeout(ctx, c.timeout)
		conn, err := c.p.Network.Dial(dctx, l.addr)
		cancel()
		if err == nil {
			backoff = first
			l.want.TryRecv() // wanted before: it is here now
			l.mu.Lock()
			l.conn, l.wdlSet, l.wdlMove = conn, time.Time{}, time.Time{}
			l.mu.Unlock()
			err = c.read(ctx, i, conn)
			l.mu.Lock()
			id := l.pending
			l.conn, l.pending = nil, 0
			l.mu.Unlock()
			conn.Close()
			if id != 0 {
				_ = c.answers.Send(ctx, answer{replica: i, id: id, err: err})
			}
		} else {
			if c.p.Time.Sleep(ctx, backoff) != nil {
				return
			}
			backoff = min(2*backoff, 2*time.Second)
		}
		if _, _, err := l.want.Recv(ctx); err != nil {
			return
		}
	}
}

// read hands the replies on conn to the operations waiting for them.
func (c *Client) read(ctx context.Context, i int, conn net.Conn) error {
	l := c.links[i]
	if l.br == nil {
		l.br = bufio.NewReaderSize(conn, readBuffer)
	} else {
		l.br.Reset(conn)
	}
	defer l.br.Reset(nil)
	for {
		body, err := readFrame(l.br, l.buf)
		if err != nil {
			return err
		}
		l.buf = body
		var rep reply
		if err := rep.decodeWith(body, nil, &l.values); err != nil {
			return err
		}
		l.mu.Lock()
		if l.pending == rep.ID {
			l.pending = 0
		}
		l.mu.Unlock()
		if err := c.answers.Send(ctx, answer{replica: i, id: rep.ID, rep: rep}); err != nil {
			return err
		}
	}
}

// deadline makes sure that a write on the connection gives up, within d
// from now (a link's d is the same at every call): a write blocks only
// when the replica stopped reading, so the bound is loose. Setting a
// deadline costs a timer, so it is moved only once most of it has passed,
// or if the clock reads earlier than when it was set.
func (l *link) deadline(now time.Time, d time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return net.ErrClosed
	}
	if !now.Before(l.wdlSet) && !now.After(l.wdlMove) {
		return nil
	}
	wdl := now.Add(d)
	l.wdlSet, l.wdlMove = now, wdl.Add(-d/10)
	return l.conn.SetWriteDeadline(wdl)
}

// reset closes the connection, if any; its task dials again.
func (l *link) reset() {
	l.mu.Lock()
	conn := l.conn
	l.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}
