package rpc_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/rpc/internal/wire"
	"github.com/moonpool-go/moonpool/simtest"
)

// hello is the handshake frame of protocol version v.
func hello(v uint16) []byte {
	var p [14]byte
	binary.LittleEndian.PutUint16(p[:], v)
	binary.LittleEndian.PutUint32(p[10:], rpc.DefaultMaxPayload)
	return helloFrame(p[:])
}

// newerHello is the hello of a protocol version v after 2, whose sender
// still speaks every version from oldest on, with n bytes more of what
// version v adds.
func newerHello(v, oldest uint16, n int) []byte {
	p := make([]byte, 16+n)
	binary.LittleEndian.PutUint16(p, v)
	binary.LittleEndian.PutUint32(p[10:], rpc.DefaultMaxPayload)
	binary.LittleEndian.PutUint16(p[14:], oldest)
	return helloFrame(p)
}

func helloFrame(p []byte) []byte {
	var tok wire.Token
	binary.BigEndian.PutUint64(tok[:8], 0xFFFF_FFFF_FFFF_FFFE)
	binary.BigEndian.PutUint64(tok[8:], 1)
	return wire.AppendFrame(nil, tok, p)
}

// helloVersion is the protocol version of the hello frame f.
func helloVersion(t require.TestingT, f []byte) uint16 {
	dec := wire.NewDecoder(bytes.NewReader(f), 0)
	_, p, err := dec.Next()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(p), 2)
	return binary.LittleEndian.Uint16(p)
}

// shortHello is a hello of version 2, which this transport still speaks,
// with 4 bytes too few: a well-formed frame, of the wrong length for a
// hello.
func shortHello() []byte {
	f := hello(2)
	f = f[:len(f)-4]
	binary.LittleEndian.PutUint32(f, uint32(len(f))) // the length field
	wire.Reseal(f)
	return f
}

// TestAHelloOfTheWrongLengthIsRefused: a client whose server's hello has
// a version it speaks but the wrong length makes no connection, and a call that
// times out says why.
func TestAHelloOfTheWrongLengthIsRefused(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		err := callServerSaying(s, shortHello())
		require.ErrorIs(s, err, rpc.ErrNotSent)
		assert.Contains(s, err.Error(), "the hello from 10.0.0.7:4500 is 10 bytes, not 14: it does not speak this protocol")
	}, quiet...)
}

// TestAServerOfAnotherProtocolVersionIsNamed: a client makes no
// connection to a server whose hello is of a version it does not speak,
// and a call that times out says which end to upgrade.
func TestAServerOfAnotherProtocolVersionIsNamed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hello []byte
		want  string
	}{
		{"older", hello(1), "rpc: 10.0.0.7:4500 speaks protocol version 1, older than the oldest this transport speaks, 2: upgrade the package's release at 10.0.0.7:4500"},
		{"newer and no longer 3", newerHello(5, 4, 2), "rpc: 10.0.0.7:4500 speaks protocol versions 4 to 5, and this transport only 2 to 3: upgrade the package's release here, or run a release at 10.0.0.7:4500 that still speaks 3"},
		{"newer and too short", hello(3), "the hello from 10.0.0.7:4500, of protocol version 3, is 14 bytes, under the 16 of every version after 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				err := callServerSaying(s, tc.hello)
				require.ErrorIs(s, err, rpc.ErrNotSent)
				assert.Contains(s, err.Error(), tc.want)
			}, quiet...)
		})
	}
}

// callServerSaying calls 10.0.0.7:4500, where every connection is
// answered with the hello given, and returns the call's error.
func callServerSaying(s *simtest.S, hello []byte) error {
	ctx := s.Context()
	raw := s.HostProviders("10.0.0.7")
	l, err := raw.Network.Listen(ctx, ":4500")
	require.NoError(s, err)
	s.Go("hello", func(context.Context) error {
		for {
			c, err := l.Accept()
			if err != nil {
				return nil
			}
			dec := wire.NewDecoder(c, 0)
			_, _, _ = dec.Next() // the client's hello
			_, _ = c.Write(hello)
		}
	})
	client, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.2"), rpc.Config{})
	require.NoError(s, err)
	_, err = rpc.At[echoReq, echoResp]("10.0.0.7:4500", rpc.WellKnown(1)).GetReply(within(s, 2*time.Second), client, echoReq{1})
	return err
}

// TestAClientOfAnotherProtocolVersionIsLogged: the accepting end of a
// connection refused for its version logs why, with TLS or without, as
// docs/rpc.md says each end's error names which end to upgrade; a
// connection that sends nothing is left unlogged.
func TestAClientOfAnotherProtocolVersionIsLogged(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hello []byte
		want  string
	}{
		{"older", hello(1), "speaks protocol version 1, older than the oldest this transport speaks, 2"},
		{"newer and no longer 3", newerHello(5, 4, 2), "speaks protocol versions 4 to 5, and this transport only 2 to 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				ctx := s.Context()
				var rec logRecorder
				p := s.HostProviders("10.0.0.1")
				p.Logger = slog.New(&rec)
				server, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: ":4500"})
				require.NoError(s, err)
				raw := s.HostProviders("10.0.0.7")
				silent, err := raw.Network.Dial(ctx, server.Addr())
				require.NoError(s, err)
				require.NoError(s, silent.Close())
				c, err := raw.Network.Dial(ctx, server.Addr())
				require.NoError(s, err)
				_, err = c.Write(tc.hello)
				require.NoError(s, err)
				got, err := io.ReadAll(c)
				require.NoError(s, err, "the server closes the connection")
				assert.Equal(s, uint16(3), helloVersion(s, got))
				warned := rec.at(slog.LevelWarn)
				require.Len(s, warned, 1, "only the refused hello is logged")
				assert.Contains(s, warned[0], "rpc: an inbound connection failed its handshake")
				assert.Contains(s, warned[0], tc.want)
			}, quiet...)
		})
	}
}

// TestBadFramesEndOnlyTheirConnection writes, on raw connections to a
// server, a corrupt frame, a frame for a token nobody serves, a reply
// nobody waits for, and a hello of another version: the server counts
// each, ends only the connection that sent bad bytes, and serves a
// well-behaved client all along.
func TestBadFramesEndOnlyTheirConnection(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		ctx := s.Context()
		_, err = ep.GetReply(ctx, client, echoReq{1})
		require.NoError(s, err)

		raw := s.HostProviders("10.0.0.7")
		dial := func() io.ReadWriteCloser {
			c, err := raw.Network.Dial(ctx, server.Addr())
			require.NoError(s, err)
			_, err = c.Write(hello(2))
			require.NoError(s, err)
			dec := wire.NewDecoder(c, 0)
			_, _, err = dec.Next() // the server's hello
			require.NoError(s, err)
			return c
		}
		// A reply for a token nobody waits for, then a message for a
		// token nobody serves: counted, and the connection lives on.
		c := dial()
		var reply rpc.Token
		reply[0] = 7
		_, err = c.Write(wire.AppendFrame(nil, wire.Token(reply), []byte{3, '{', '}'}))
		require.NoError(s, err)
		_, err = c.Write(wire.AppendFrame(nil, wire.Token(rpc.WellKnown(99)), []byte{2, '{', '}'}))
		require.NoError(s, err)
		s.Sleep(rpc.DefaultServeGrace) // a well-known token is held until then, in case it is served
		assert.Equal(s, uint64(1), server.Stats().Orphans)
		assert.Equal(s, uint64(1), server.Stats().NotFound)
		// A corrupt frame: the connection ends.
		f := wire.AppendFrame(nil, wire.Token(rpc.WellKnown(1)), []byte{2, '{', '}'})
		f[len(f)-1] ^= 1
		_, err = c.Write(f)
		require.NoError(s, err)
		buf := make([]byte, 64)
		for {
			if _, err = c.Read(buf); err != nil {
				break // the not-found answer first, then the end
			}
		}
		assert.Equal(s, uint64(1), server.Stats().BadFrames)

		// Another protocol version (an older one): refused at the
		// handshake, after the server's own hello, from which the old
		// peer's check learns what to upgrade.
		v1, err := raw.Network.Dial(ctx, server.Addr())
		require.NoError(s, err)
		_, err = v1.Write(hello(1))
		require.NoError(s, err)
		got, err := io.ReadAll(v1)
		assert.NoError(s, err, "the server closes the connection")
		assert.Equal(s, uint16(3), helloVersion(s, got))

		// A newer version that still speaks this one: served in this
		// one, whatever its hello adds. The server's hello says the
		// versions it speaks.
		v4, err := raw.Network.Dial(ctx, server.Addr())
		require.NoError(s, err)
		_, err = v4.Write(newerHello(4, 2, 8))
		require.NoError(s, err)
		dec := wire.NewDecoder(v4, 0)
		_, p, err := dec.Next()
		require.NoError(s, err, "the server's hello")
		require.Len(s, p, 16)
		assert.Equal(s, uint16(3), binary.LittleEndian.Uint16(p), "the newest version it speaks")
		assert.Equal(s, uint16(2), binary.LittleEndian.Uint16(p[14:]), "the oldest")
		notFound, orphans := server.Stats().NotFound, server.Stats().Orphans
		// A cancel (kind 12, version 3) for a request the server does
		// not know does nothing, and the connection lives on.
		_, err = v4.Write(wire.AppendFrame(nil, wire.Token(reply), []byte{12}))
		require.NoError(s, err)
		_, err = v4.Write(wire.AppendFrame(nil, wire.Token(rpc.WellKnown(98)), []byte{2, '{', '}'}))
		require.NoError(s, err)
		s.Sleep(rpc.DefaultServeGrace)
		assert.Equal(s, notFound+1, server.Stats().NotFound, "the newer peer's message is read as any other")
		assert.Equal(s, orphans, server.Stats().Orphans, "an unknown cancel is no orphan")

		// A hello of a version the server speaks, cut short: refused,
		// before the server says its own.
		v2, err := raw.Network.Dial(ctx, server.Addr())
		require.NoError(s, err)
		_, err = v2.Write(shortHello())
		require.NoError(s, err)
		got, err = io.ReadAll(v2)
		assert.NoError(s, err, "the server closes the connection")
		assert.Empty(s, got, "no hello comes back")

		r, err := ep.GetReply(ctx, client, echoReq{2})
		require.NoError(s, err, "the well-behaved client is served all along")
		assert.Equal(s, 4, r.N)
		assert.Equal(s, uint64(0), client.Stats().Disconnects)
	}, quiet...)
}
