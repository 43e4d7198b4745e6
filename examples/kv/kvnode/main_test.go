package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/kv"
)

func TestParseCluster(t *testing.T) {
	peers, self, err := parseCluster("kv-1=127.0.0.1:7071, kv-2=127.0.0.1:7072", "kv-2")
	require.NoError(t, err)
	require.Len(t, peers, 2)
	assert.Equal(t, "kv-2", self.Name)
	assert.Equal(t, "127.0.0.1:7072", kv.PeerAddr(self, kv.DefaultPort))
}

func TestBadFlagsNameTheProblem(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "-name, -dir and -cluster are required"},
		{[]string{"-name", "a", "-dir", ".", "-cluster", "a:1"}, `"a:1" is not name=host:port`},
		{[]string{"-name", "a", "-dir", ".", "-cluster", "a=nohost"}, "replica a: address nohost: missing port"},
		{[]string{"-name", "z", "-dir", ".", "-cluster", "a=h:1"}, `-name "z" is not in -cluster`},
	} {
		var out bytes.Buffer
		assert.Equal(t, 2, run(c.args, &out))
		assert.Contains(t, out.String(), c.want)
	}
}
