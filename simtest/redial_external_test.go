package simtest_test

import (
	"context"
	"errors"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// The redial case: a follower that handles a leader's clean close (EOF)
// and silence (its own timeout) by dialling again, but gives up for good
// on a reset. Its leader closes each connection with the usual
// deferred Close. When a crash let that Close act, every crash looked
// clean at the follower, and the bug hid; a crash now ends the connection
// as the leader's kernel would, with a reset where the leader had unread
// data, and a power loss leaves the follower to its deadline.

// leader sends a heartbeat every 100 ms on every connection and reads what
// the follower sends.
func leader() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		l, err := p.Network.Listen(ctx, ":7000")
		if err != nil {
			return err
		}
		defer l.Close()
		for {
			conn, err := l.Accept()
			if err != nil {
				return ctx.Err()
			}
			p.Task.Go(ctx, "beat", func(ctx context.Context) error {
				defer conn.Close()
				p.Task.Go(ctx, "acks", func(context.Context) error {
					_, _ = io.Copy(io.Discard, conn)
					return nil
				})
				for ctx.Err() == nil {
					if _, err := conn.Write([]byte("beat")); err != nil {
						return nil
					}
					_ = p.Time.Sleep(ctx, 100*time.Millisecond)
				}
				return nil
			})
		}
	})
}

// follower holds what the seed checks: whether the follower gave up.
type follower struct{ gaveUp *error }

func (f follower) Run(ctx context.Context, p providers.Providers) error {
	for ctx.Err() == nil {
		dctx, cancel := p.Time.WithTimeout(ctx, time.Second)
		conn, err := p.Network.Dial(dctx, "leader-0:7000")
		cancel()
		if err != nil {
			_ = p.Time.Sleep(ctx, 200*time.Millisecond)
			continue
		}
		err = f.follow(p, conn)
		conn.Close()
		if err != nil {
			*f.gaveUp = err // the planted bug: a reset ends following for good
			return p.Time.Sleep(ctx, 365*24*time.Hour)
		}
	}
	return nil
}

// follow reads heartbeats, and pings the leader every half second, as a
// follower renewing its lease does, until the connection ends. It returns
// nil for the ends it handles: EOF, and two seconds without a heartbeat.
func (f follower) follow(p providers.Providers, conn interface {
	io.ReadWriter
	SetReadDeadline(time.Time) error
}) error {
	b := make([]byte, 64)
	last := p.Time.Now()
	for {
		_ = conn.SetReadDeadline(p.Time.Now().Add(500 * time.Millisecond))
		_, err := conn.Read(b)
		switch {
		case err == nil:
			last = p.Time.Now()
			continue
		case errors.Is(err, io.EOF):
			return nil
		case !errors.Is(err, os.ErrDeadlineExceeded):
			return err
		case p.Time.Now().Sub(last) >= 2*time.Second:
			return nil // the leader is silent: dial again
		}
		if _, err := conn.Write([]byte("ping")); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
	}
}

// redial is one seed of the redial case.
func redial(s *simtest.S) {
	var gaveUp error
	c := s.Boot(
		simtest.Processes{Name: "leader", New: leader},
		simtest.Processes{Name: "follower", New: func() simtest.Process { return follower{&gaveUp} }},
	)
	c.Run(simtest.Phases{Chaos: 30 * time.Second})
	if gaveUp != nil {
		s.Errorf("the follower gave up on its leader: %v", gaveUp)
	}
}

var seedsRunRE = regexp.MustCompile(`simtest: (\d+)(?: of \d+)? seeds?(?: run \([^)]*\))?, \d+ passed, 1 failed`)

// seedsToFailure runs the redial case from base until a seed fails, at
// most max seeds, and returns how many seeds ran (max+1 when none failed).
func seedsToFailure(t *testing.T, base uint64, max int) int {
	r := runIn("TestRedial", func(r *recorder) {
		simtest.Run(r, redial, simtest.BaseSeed(base), simtest.Seeds(max), simtest.KeepFailures(false))
	})
	if !r.failed {
		return max + 1
	}
	m := seedsRunRE.FindStringSubmatch(r.output())
	require.NotNil(t, m, r.output())
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

// TestRedialFollowerThatMishandlesResetsIsFound runs the redial case from
// five base seeds and expects the bug found within 30 seeds from most of
// them. MOONPOOL_REDIAL_BASES=n measures from n base seeds, up to 200
// seeds each, and logs the median number of seeds to the first failure.
func TestRedialFollowerThatMishandlesResetsIsFound(t *testing.T) {
	bases, max := 5, 30
	if v := os.Getenv("MOONPOOL_REDIAL_BASES"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		bases, max = n, 200
	}
	var counts []int
	for b := range bases {
		counts = append(counts, seedsToFailure(t, uint64(b+1), max))
	}
	slices.Sort(counts)
	median := float64(counts[len(counts)/2])
	if len(counts)%2 == 0 {
		median = float64(counts[len(counts)/2-1]+counts[len(counts)/2]) / 2
	}
	t.Logf("seeds to the first failure from %d base seeds: %v; median %v", bases, counts, median)
	require.LessOrEqual(t, median, float64(max), "the bug is found within %d seeds from most base seeds", max)
}
