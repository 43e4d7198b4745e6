package simnet_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

// sendWords runs one seed in which the client sends words, one write each,
// and the server reads them all.
func sendWords(t *testing.T, record bool, words ...string) sim.Result {
	t.Helper()
	w := sim.New(sim.Config{Seed: 4, Record: record, HashData: record, TimeBudget: time.Hour})
	n, err := simnet.New(w, chaos.DefaultNetwork())
	require.NoError(t, err)
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		client, server := on(p, n.SteadyHost("10.0.0.1")), on(p, n.SteadyHost("10.0.0.2"))
		c, s := pair(t, ctx, client, server)
		for _, word := range words {
			if _, err := c.Write([]byte(word)); err != nil {
				return err
			}
		}
		if err := c.Close(); err != nil {
			return err
		}
		_, err := io.ReadAll(s)
		return err
	})
	require.NoError(t, res.Err)
	return res
}

func TestRecordingHashesTheBytesWritten(t *testing.T) {
	a := sendWords(t, true, "one", "two", "three")
	b := sendWords(t, true, "one", "three", "two")
	assert.Equal(t, a.Trace, b.Trace, "the trace covers no bytes")
	assert.NotEqual(t, a.Data, b.Data)
	assert.Regexp(t, `^step \d+ differs: the bytes of write #2 to conn 10\.0\.0\.1:\d+->10\.0\.0\.2:\d+ differ \(3 bytes, then 5\)\n`,
		sim.Diverge(a.Record, b.Record))

	plain := sendWords(t, false, "one", "two", "three")
	assert.Equal(t, plain.Trace, a.Trace, "recording leaves the trace alone")
	assert.Equal(t, a.Data, sendWords(t, true, "one", "two", "three").Data)
}

// The log names a connection at its connect and at each end's close as
// String names its ends.
func TestLogNamesConnections(t *testing.T) {
	var names []string
	res := simulate(t, 1, chaos.Network{}, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":7000")
		if err != nil {
			return err
		}
		c, err := client.Network.Dial(ctx, "10.0.0.2:7000")
		if err != nil {
			return err
		}
		s, err := l.Accept()
		if err != nil {
			return err
		}
		names = []string{fmt.Sprint(c), fmt.Sprint(s)}
		if err := c.Close(); err != nil {
			return err
		}
		if err := s.Close(); err != nil {
			return err
		}
		return l.Close()
	})
	require.NoError(t, res.Err)
	var msgs []string
	for _, e := range res.Timeline {
		if strings.HasPrefix(e.Msg, "net: connected") || strings.HasPrefix(e.Msg, "net: close ") && !strings.Contains(e.Msg, "listener") {
			msgs = append(msgs, e.Msg)
		}
	}
	want := []string{"net: connected " + names[0], "net: close " + names[0], "net: close " + names[1]}
	assert.Equal(t, want, msgs)
	assert.Contains(t, names[0], "->10.0.0.2:7000")
}
