package simtest_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// A cleanup registered on the test's own t runs after every seed ended:
// a Close there of what a seed made returns an error that wraps the
// closed error, as a second Close does in production, and that names the
// Run and the fix, instead of stopping the test binary.
func TestACloseInTheTestsCleanupAfterTheRunReturnsAnError(t *testing.T) {
	var seed uint64
	var errs map[string]error
	var inner string
	t.Run("inner", func(t *testing.T) {
		inner = t.Name()
		simtest.Run(t, func(s *simtest.S) {
			seed = s.Seed()
			server := s.HostProviders("10.0.0.1")
			ln, err := server.Network.Listen(s.Context(), ":7000")
			require.NoError(s, err)
			p := s.Providers()
			conn, err := p.Network.Dial(s.Context(), "10.0.0.1:7000")
			require.NoError(s, err)
			pc, err := p.Network.ListenPacket(s.Context(), ":9000")
			require.NoError(s, err)
			f, err := p.Storage.Create("data")
			require.NoError(s, err)
			t.Cleanup(func() { //simvet:allow testingt the slip this test is about
				errs = map[string]error{"conn": conn.Close(), "listener": ln.Close(), "packet": pc.Close(), "file": f.Close()}
			})
		}, simtest.Seeds(1))
	})
	require.Len(t, errs, 4)
	want := fmt.Sprintf("the simulation it belonged to (seed %d of the simtest.Run in %s) has ended; "+
		"register the cleanup that uses it with s.Cleanup, which runs at the seed's end (or give the helper that registers it the body's s), "+
		"not with the test's t.Cleanup, which runs after every seed has ended", seed, inner)
	for what, err := range errs {
		closed := net.ErrClosed
		if what == "file" {
			closed = os.ErrClosed
		}
		require.ErrorIs(t, err, closed, what)
		assert.Contains(t, err.Error(), want, what)
	}
	assert.True(t, strings.HasPrefix(errs["conn"].Error(), "close tcp "), "a *net.OpError, as production's: %v", errs["conn"])
	assert.True(t, strings.HasPrefix(errs["file"].Error(), "close data: file already closed: "), "a *fs.PathError, as production's: %v", errs["file"])
}

// A read, a write, a deadline, a sync or a stat in a cleanup on the test's
// own t fails as a Close there does, with an error that wraps the closed
// error and names the Run and the fix, instead of a panic that stops the
// test binary; one that would wait (a Read with nothing to read, an
// Accept) returns at once.
func TestAReadOrWriteInTheTestsCleanupAfterTheRunReturnsAnError(t *testing.T) {
	var seed uint64
	var errs map[string]error
	var inner string
	t.Run("inner", func(t *testing.T) {
		inner = t.Name()
		simtest.Run(t, func(s *simtest.S) {
			seed = s.Seed()
			server := s.HostProviders("10.0.0.1")
			ln, err := server.Network.Listen(s.Context(), ":7000")
			require.NoError(s, err)
			p := s.Providers()
			conn, err := p.Network.Dial(s.Context(), "10.0.0.1:7000")
			require.NoError(s, err)
			pc, err := p.Network.ListenPacket(s.Context(), ":9000")
			require.NoError(s, err)
			f, err := p.Storage.Create("data")
			require.NoError(s, err)
			t.Cleanup(func() { //simvet:allow testingt the slip this test is about
				buf := make([]byte, 8)
				errs = map[string]error{}
				_, errs["conn read"] = conn.Read(buf)
				_, errs["conn write"] = conn.Write([]byte("late"))
				errs["conn deadline"] = conn.SetDeadline(time.Time{})
				errs["conn read deadline"] = conn.SetReadDeadline(time.Time{})
				_, errs["accept"] = ln.Accept()
				if dl, ok := ln.(interface{ SetDeadline(time.Time) error }); ok {
					errs["listener deadline"] = dl.SetDeadline(time.Time{})
				}
				_, _, errs["packet read"] = pc.ReadFrom(buf)
				_, errs["packet write"] = pc.WriteTo([]byte("late"), conn.RemoteAddr())
				errs["packet deadline"] = pc.SetDeadline(time.Time{})
				_, errs["file read"] = f.Read(buf)
				_, errs["file read at"] = f.ReadAt(buf, 0)
				_, errs["file write"] = f.Write([]byte("late"))
				_, errs["file write at"] = f.WriteAt([]byte("late"), 0)
				_, errs["file seek"] = f.Seek(0, io.SeekStart)
				errs["file sync"] = f.Sync()
				errs["file truncate"] = f.Truncate(0)
				_, errs["file stat"] = f.Stat()
			})
		}, simtest.Seeds(1))
	})
	require.Len(t, errs, 17)
	want := fmt.Sprintf("the simulation it belonged to (seed %d of the simtest.Run in %s) has ended; "+
		"register the cleanup that uses it with s.Cleanup", seed, inner)
	for what, err := range errs {
		closed := net.ErrClosed
		if strings.HasPrefix(what, "file") {
			closed = os.ErrClosed
		}
		require.ErrorIs(t, err, closed, what)
		assert.Contains(t, err.Error(), want, what)
	}
	assert.True(t, strings.HasPrefix(errs["conn read"].Error(), "read tcp "), "a *net.OpError, as production's: %v", errs["conn read"])
	assert.True(t, strings.HasPrefix(errs["packet write"].Error(), "write udp "), "a *net.OpError, as production's: %v", errs["packet write"])
	assert.True(t, strings.HasPrefix(errs["file sync"].Error(), "sync data: file already closed: "), "a *fs.PathError, as production's: %v", errs["file sync"])
}

// The storage's own calls in the test's cleanup (removing what a seed
// wrote is the usual one) fail the same way: the disk ended with the
// simulation.
func TestAStorageCallInTheTestsCleanupAfterTheRunReturnsAnError(t *testing.T) {
	var seed uint64
	var errs map[string]error
	var inner string
	t.Run("inner", func(t *testing.T) {
		inner = t.Name()
		simtest.Run(t, func(s *simtest.S) {
			seed = s.Seed()
			st := s.Providers().Storage
			require.NoError(s, st.MkdirAll("dir", 0o755))
			t.Cleanup(func() { //simvet:allow testingt the slip this test is about
				errs = map[string]error{}
				_, errs["open"] = st.Open("dir/a")
				_, errs["create"] = st.Create("dir/b")
				_, errs["stat"] = st.Stat("dir")
				_, errs["readdir"] = st.ReadDir("dir")
				errs["mkdir"] = st.Mkdir("other", 0o755)
				errs["mkdirall"] = st.MkdirAll("other/deeper", 0o755)
				errs["remove"] = st.Remove("dir")
				errs["rename"] = st.Rename("dir", "moved")
			})
		}, simtest.Seeds(1))
	})
	require.Len(t, errs, 8)
	want := fmt.Sprintf("the simulation it belonged to (seed %d of the simtest.Run in %s) has ended; "+
		"register the cleanup that uses it with s.Cleanup", seed, inner)
	for what, err := range errs {
		require.ErrorIs(t, err, os.ErrClosed, what)
		assert.Contains(t, err.Error(), want, what)
	}
	var pe *os.PathError
	require.ErrorAs(t, errs["remove"], &pe)
	assert.Equal(t, "removeat", pe.Op)
	var le *os.LinkError
	require.ErrorAs(t, errs["rename"], &le)
	assert.Equal(t, [2]string{"dir", "moved"}, [2]string{le.Old, le.New})
}

// A dial or a listen (stream or packet) in a cleanup on the test's own t
// fails as a Close there does, with a *net.OpError that wraps
// net.ErrClosed and names the Run and the fix; a call with no error to
// return (a sleep, starting a task) panics, naming the same.
func TestADialOrListenInTheTestsCleanupAfterTheRunReturnsAnError(t *testing.T) {
	var seed uint64
	var errs map[string]error
	var panics map[string]any
	var inner string
	t.Run("inner", func(t *testing.T) {
		inner = t.Name()
		simtest.Run(t, func(s *simtest.S) {
			seed = s.Seed()
			p := s.Providers()
			t.Cleanup(func() { //simvet:allow testingt the slip this test is about
				ctx := context.Background()
				errs = map[string]error{}
				_, errs["dial"] = p.Network.Dial(ctx, "10.0.0.1:7000")
				_, errs["listen"] = p.Network.Listen(ctx, ":7000")
				_, errs["listen packet"] = p.Network.ListenPacket(ctx, ":9000")
				panics = map[string]any{}
				catch := func(what string, f func()) {
					defer func() { panics[what] = recover() }()
					f()
				}
				catch("sleep", func() { s.Sleep(time.Second) })
				catch("go", func() { s.Go("late", func(context.Context) error { return nil }) })
			})
		}, simtest.Seeds(1))
	})
	require.Len(t, errs, 3)
	want := fmt.Sprintf("the simulation it belonged to (seed %d of the simtest.Run in %s) has ended; "+
		"register the cleanup that uses it with s.Cleanup", seed, inner)
	for what, err := range errs {
		require.ErrorIs(t, err, net.ErrClosed, what)
		assert.Contains(t, err.Error(), want, what)
		var oe *net.OpError
		require.ErrorAs(t, err, &oe, what)
	}
	assert.True(t, strings.HasPrefix(errs["dial"].Error(), "dial tcp: "), "a *net.OpError, as production's: %v", errs["dial"])
	assert.True(t, strings.HasPrefix(errs["listen packet"].Error(), "listen udp: "), "a *net.OpError, as production's: %v", errs["listen packet"])

	fix := fmt.Sprintf(" after the simulation ended (seed %d of the simtest.Run in %s); "+
		"a value it made (its S, providers, connections, files) outlived it: use such values only while the seed runs; "+
		"a cleanup that uses one registers with s.Cleanup, which runs at the seed's end (or the helper that registers it takes the body's s), "+
		"not with the test's t.Cleanup, which runs after every seed has ended", seed, inner)
	assert.Equal(t, map[string]any{"sleep": "sim: Sleep" + fix, "go": "sim: Task.Go" + fix}, panics)
}
