package simhttp_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

type servedKey struct{}

// slowHandler waits d on its request's context, sends what the wait gave
// on slept, and answers with the value Serve's ctx carried.
func slowHandler(p providers.Providers, d time.Duration, slept *providers.Chan[error]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := p.Time.Sleep(r.Context(), d)
		slept.TrySend(err)
		v, _ := r.Context().Value(servedKey{}).(string)
		io.WriteString(w, v)
	})
}

// serveInTask serves srv as the package doc does: Serve in a task of its
// own, whose context ends as Serve returns at Shutdown.
func serveInTask(s *simtest.S, srv *simhttp.Server) {
	sp := srv.Providers
	l, err := sp.Network.Listen(s.Context(), ":80")
	require.NoError(s, err)
	ctx := context.WithValue(s.Context(), servedKey{}, "served")
	sp.Task.Go(ctx, "http", func(ctx context.Context) error { return srv.Serve(ctx, l) })
}

// getInTask sends a GET from a task of its own and gives its body, or its
// error's text, on the channel it returns.
func getInTask(s *simtest.S, url string) *providers.Chan[string] {
	p := s.Providers()
	got := providers.NewChan[string](p.Task, 1)
	p.Task.Go(s.Context(), "client", func(ctx context.Context) error {
		resp, err := simhttp.NewClient(p).Get(url)
		if err != nil {
			return got.Send(ctx, "error: "+err.Error())
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return got.Send(ctx, "error: "+err.Error())
		}
		return got.Send(ctx, string(b))
	})
	return got
}

// TestShutdownKeepsRequestsContexts: Serve run in a task, as the package
// doc runs it, returns as Shutdown begins and its context ends with it;
// the requests in flight still finish, with their contexts and the values
// Serve's ctx carried, and Shutdown waits for them, as net/http's does
// (TestShutdownKeepsRequestsContextsOnLoopback).
func TestShutdownKeepsRequestsContexts(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		sp := s.HostProviders("10.0.0.1")
		slept := providers.NewChan[error](p.Task, 1)
		srv := &simhttp.Server{Providers: sp, Handler: slowHandler(sp, 300*time.Millisecond, slept)}
		serveInTask(s, srv)
		got := getInTask(s, "http://10.0.0.1/slow")
		p.Time.Sleep(s.Context(), 100*time.Millisecond)
		start := p.Time.Now()
		sctx, cancel := p.Time.WithTimeout(s.Context(), 2*time.Second)
		defer cancel()
		require.NoError(s, srv.Shutdown(sctx))
		assert.GreaterOrEqual(s, p.Time.Now().Sub(start), 200*time.Millisecond, "Shutdown waited for the handler")
		err, _, ok := slept.TryRecv()
		require.True(s, ok, "the handler finished before Shutdown returned")
		assert.NoError(s, err, "the request's context was not cancelled by the shutdown")
		body, _, err := got.Recv(s.Context())
		require.NoError(s, err)
		assert.Equal(s, "served", body)
	}, quiet(), simtest.Seeds(5), simtest.CheckDeterminism())
}

// TestShutdownDeadlinePassesWhileHandlerRuns: a handler that outlasts
// Shutdown's deadline makes Shutdown return the deadline's error, and
// still finishes with its context intact, as with net/http.
func TestShutdownDeadlinePassesWhileHandlerRuns(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		sp := s.HostProviders("10.0.0.1")
		slept := providers.NewChan[error](p.Task, 1)
		srv := &simhttp.Server{Providers: sp, Handler: slowHandler(sp, time.Second, slept)}
		serveInTask(s, srv)
		got := getInTask(s, "http://10.0.0.1/slow")
		p.Time.Sleep(s.Context(), 100*time.Millisecond)
		sctx, cancel := p.Time.WithTimeout(s.Context(), 200*time.Millisecond)
		defer cancel()
		require.ErrorIs(s, srv.Shutdown(sctx), context.DeadlineExceeded)
		err, _, rerr := slept.Recv(s.Context())
		require.NoError(s, rerr)
		assert.NoError(s, err, "the request's context outlives Shutdown's deadline")
		body, _, err := got.Recv(s.Context())
		require.NoError(s, err)
		assert.Equal(s, "served", body)
	}, quiet(), simtest.Seeds(5), simtest.CheckDeterminism())
}

// TestCloseCancelsRequestsContexts: Close is the hard stop: it closes the
// connections, and a request's context ends with its connection.
func TestCloseCancelsRequestsContexts(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		sp := s.HostProviders("10.0.0.1")
		slept := providers.NewChan[error](p.Task, 1)
		srv := &simhttp.Server{Providers: sp, Handler: slowHandler(sp, time.Minute, slept)}
		serveInTask(s, srv)
		got := getInTask(s, "http://10.0.0.1/slow")
		p.Time.Sleep(s.Context(), 100*time.Millisecond)
		require.NoError(s, srv.Close())
		err, _, rerr := slept.Recv(s.Context())
		require.NoError(s, rerr)
		assert.ErrorIs(s, err, context.Canceled)
		body, _, err := got.Recv(s.Context())
		require.NoError(s, err)
		assert.Contains(s, body, "error: ")
	}, quiet(), simtest.Seeds(5))
}

// TestShutdownKeepsRequestsContextsOnLoopback: the check of
// TestShutdownKeepsRequestsContexts on loopback, for net/http's server and
// for simhttp's served in a task as the package doc serves it.
func TestShutdownKeepsRequestsContextsOnLoopback(t *testing.T) {
	const wait = 200 * time.Millisecond
	handler := func(slept chan<- error) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			timer := time.NewTimer(wait)
			defer timer.Stop()
			select {
			case <-timer.C:
				slept <- nil
			case <-r.Context().Done():
				slept <- r.Context().Err()
			}
			io.WriteString(w, "done")
		})
	}
	servers := []struct {
		name  string
		start func(l net.Listener, h http.Handler) (shutdown func(context.Context) error)
	}{
		{"net/http server", func(l net.Listener, h http.Handler) func(context.Context) error {
			srv := &http.Server{Handler: h}
			go srv.Serve(l)
			return srv.Shutdown
		}},
		{"simhttp server", func(l net.Listener, h http.Handler) func(context.Context) error {
			p := providers.Real()
			srv := &simhttp.Server{Providers: p, Handler: h}
			p.Task.Go(context.Background(), "http", func(ctx context.Context) error { return srv.Serve(ctx, l) })
			return srv.Shutdown
		}},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			slept := make(chan error, 1)
			shutdown := srv.start(l, handler(slept))
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			got := make(chan error, 1)
			go func() {
				resp, err := (&http.Client{Transport: tr}).Get("http://" + l.Addr().String() + "/")
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				got <- err
			}()
			time.Sleep(wait / 4) // the request is in flight by then, or soon after
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = shutdown(ctx)
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatal("Shutdown ran out its 10 s")
			}
			require.NoError(t, err)
			select {
			case err := <-slept:
				assert.NoError(t, err, "the request's context was not cancelled by the shutdown")
			default:
				// The request came after the listener closed: nothing to check.
				t.Log("the request was refused")
			}
			<-got
		})
	}
}

// TestRegisterOnShutdownEndsLongPolls: functions registered with
// RegisterOnShutdown run as Shutdown begins, each in a task of its own,
// as net/http runs each on a goroutine: here one tells a long poll to
// answer, so Shutdown need not wait for it, and one that blocks does not
// hold Shutdown up.
func TestRegisterOnShutdownEndsLongPolls(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		sp := s.HostProviders("10.0.0.1")
		stopping := providers.NewChan[struct{}](sp.Task, 0)
		srv := &simhttp.Server{Providers: sp, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, _, err := stopping.Recv(r.Context()); err != nil {
				return
			}
			io.WriteString(w, "server stopping")
		})}
		var ran []string
		srv.RegisterOnShutdown(func() {
			ran = append(ran, "blocks")
			sp.Time.Sleep(context.Background(), time.Hour)
		})
		srv.RegisterOnShutdown(func() {
			ran = append(ran, "closes")
			stopping.Close()
		})
		serveInTask(s, srv)
		got := getInTask(s, "http://10.0.0.1/poll")
		p.Time.Sleep(s.Context(), 100*time.Millisecond)
		assert.Empty(s, ran, "nothing runs before Shutdown")
		start := p.Time.Now()
		sctx, cancel := p.Time.WithTimeout(s.Context(), time.Minute)
		defer cancel()
		require.NoError(s, srv.Shutdown(sctx))
		assert.Less(s, p.Time.Now().Sub(start), time.Second, "the long poll answered at once")
		assert.ElementsMatch(s, []string{"blocks", "closes"}, ran, "each ran")
		body, _, err := got.Recv(s.Context())
		require.NoError(s, err)
		assert.Equal(s, "server stopping", body)
	}, quiet(), simtest.Seeds(5), simtest.CheckDeterminism())
}
