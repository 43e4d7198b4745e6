package server

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlags(t *testing.T) {
	peers := []string{"-peer", "n0=10.0.0.1:7000,10.0.0.1:8080", "-peer", "n1=10.0.0.2:7000,10.0.0.2:8080"}
	c, err := parse(append([]string{"-id", "n1", "-data", "/d", "-stale-reads"}, peers...), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, Peer{ID: "n1", Raft: "10.0.0.2:7000", HTTP: "10.0.0.2:8080"}, c.self())
	assert.True(t, c.staleReads)
	assert.Equal(t, "/d", c.data)

	for _, tc := range []struct {
		args []string
		err  string
	}{
		{peers, "no -id; give this node's ID, one of the peers'"},
		{append([]string{"-id", "n7"}, peers...), "-id n7 is not among the peers"},
		{[]string{"-id", "n0", "-peer", "n0=10.0.0.1:7000"}, `peer "n0=10.0.0.1:7000" is not id=raft-host:port,http-host:port`},
		{[]string{"-id", "n0", "-peer", "n0=10.0.0.1,10.0.0.1:8080"}, "missing port in address"},
		{append([]string{"-id", "n0", "-peer", "n0=a:1,a:2"}, peers...), "peer ID n0 is given twice"},
		{append([]string{"-id", "n0", "-log-level", "loud"}, peers...), `-log-level "loud" is not a level`},
		{append([]string{"-id", "n0", "extra"}, peers...), "unexpected arguments"},
	} {
		_, err := parse(tc.args, &bytes.Buffer{})
		if assert.Error(t, err, "%q", tc.args) {
			assert.Contains(t, err.Error(), tc.err, "%q", tc.args)
		}
	}
}

func TestMainExitCodes(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 0, Main(context.Background(), []string{"-h"}, &stderr), "help")
	assert.Contains(t, stderr.String(), "usage: raftkv")
	stderr.Reset()
	assert.Equal(t, 2, Main(context.Background(), nil, &stderr), "no flags")
	assert.Contains(t, stderr.String(), "raftkv: no -id")
}
