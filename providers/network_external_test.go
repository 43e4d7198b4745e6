package providers_test

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// The real Network is package net; these tests use the loopback address
// only.

func TestRealNetworkEcho(t *testing.T) {
	p := providers.Real()
	ctx := context.Background()
	l, err := p.Network.Listen(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = io.Copy(c, c)
		done <- err
	}()
	c, err := p.Network.Dial(ctx, l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(p.Time.Now().Add(10*time.Second)))
	_, err = c.Write([]byte("ping"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(buf))
	require.NoError(t, c.Close())
	require.NoError(t, <-done)
	assert.NotEmpty(t, p.Network.Host())
}

func TestRealNetworkErrors(t *testing.T) {
	p := providers.Real()
	ctx := context.Background()
	l, err := p.Network.Listen(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	_, err = p.Network.Listen(ctx, addr)
	assert.True(t, errors.Is(err, syscall.EADDRINUSE), "got %v", err)
	require.NoError(t, l.Close())
	_, err = p.Network.Dial(ctx, addr)
	assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "got %v", err)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = p.Network.Dial(cctx, addr)
	assert.ErrorIs(t, err, context.Canceled)
}

// In production ResolveUDP gives the *net.UDPAddr a real socket's WriteTo
// needs.
func TestRealResolveUDP(t *testing.T) {
	p := providers.Real()
	addr, err := providers.ResolveUDP(context.Background(), p.Network, "127.0.0.1:9")
	require.NoError(t, err)
	udp, ok := addr.(*net.UDPAddr)
	require.True(t, ok, "a %T", addr)
	assert.Equal(t, "127.0.0.1:9", udp.String())
	addr, err = providers.ResolveUDP(context.Background(), p.Network, ":53")
	require.NoError(t, err)
	assert.Equal(t, ":53", addr.String(), "this host, as net.ResolveUDPAddr has it")
	_, err = providers.ResolveUDP(context.Background(), p.Network, "no port")
	assert.Error(t, err)
}
