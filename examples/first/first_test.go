package first_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// echo is the process under test: it sends back what it reads.
type echo struct{}

func (echo) Run(ctx context.Context, p providers.Providers) error {
	ln, err := p.Network.Listen(ctx, p.Cluster.Self().Host+":7000")
	if err != nil {
		return err
	}
	p.Task.Go(ctx, "accept", func(ctx context.Context) error {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return nil // the listener was closed: Run is returning
			}
			p.Task.Go(ctx, "conn", func(context.Context) error { _, _ = io.Copy(conn, conn); return conn.Close() })
		}
	})
	_ = providers.Wait(ctx, p.Task) // until asked to stop
	return ln.Close()
}

// client is the workload: it sends lines while the faults strike, for
// the whole chaos phase, and once they have healed requires an answer.
type client struct{}

func (client) Setup(context.Context, providers.Providers) error { return nil }

func (c client) Run(ctx context.Context, p providers.Providers) error {
	phase := simtest.ChaosContext(ctx) // ends with the chaos phase, where ctx does not
	for phase.Err() == nil {
		_ = c.send(ctx, p, "hello\n") // a fault may fail a call: not retried
		_ = p.Time.Sleep(phase, 200*time.Millisecond)
	}
	return nil
}

func (c client) Check(ctx context.Context, p providers.Providers) error {
	if err := c.send(ctx, p, "after the faults\n"); err != nil {
		return fmt.Errorf("the echo server did not answer once the faults had healed: %w", err)
	}
	return nil
}

func (client) send(ctx context.Context, p providers.Providers, line string) error {
	dialCtx, cancel := p.Time.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := p.Network.Dial(dialCtx, "echo-0:7000")
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(p.Time.Now().Add(time.Second))
	if _, err := conn.Write([]byte(line)); err != nil {
		return err
	}
	got, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	assertions.Always(ctx, got == line, "the echo is the line sent", "sent", line, "got", got)
	return nil
}

func TestEcho(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "echo", New: func() simtest.Process { return echo{} }})
		c.Run(simtest.Phases{Chaos: 10 * time.Second, Settle: time.Second}, client{})
	})
}
