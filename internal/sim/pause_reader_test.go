package sim

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// A sync.Mutex held across a clock read stays safe when the read pauses
// the process: at the resume the reader goes on first and lets go of the
// lock before any other task of its process runs, as the thread a real
// pause interrupted does. Otherwise a task drawn before the reader would
// block in Lock outside the simulation; TryLock stands in for that Lock
// here, so that a failure reads as a failure and not as a stall.
func TestClockReadPauseResumesTheReaderFirst(t *testing.T) {
	for seed := range uint64(24) {
		var mu sync.Mutex
		var found []string
		world := New(Config{Seed: seed})
		res := world.Run(func(ctx context.Context, p providers.Providers) error {
			g := world.NewGroup("node")
			g.Go(ctx, "holder", func(ctx context.Context) error {
				if err := holdAcrossRead(ctx, p, &mu); err != nil {
					return err
				}
				return p.Time.Sleep(ctx, time.Second)
			})
			for _, name := range []string{"a", "b", "c"} {
				g.Go(ctx, name, func(ctx context.Context) error {
					for range 3 {
						if err := p.Time.Sleep(ctx, time.Second); err != nil {
							return err
						}
						if !mu.TryLock() {
							found = append(found, name+" found the lock held at "+world.Now().String())
							continue
						}
						mu.Unlock()
					}
					return nil
				})
			}
			require.NoError(t, p.Time.Sleep(ctx, 500*time.Millisecond))
			g.PauseAfterClockRead(func() {})
			require.NoError(t, p.Time.Sleep(ctx, 2*time.Second))
			require.True(t, g.Paused(), "seed %d: the holder's read paused its process", seed)
			g.Resume()
			return p.Time.Sleep(ctx, 5*time.Second)
		})
		require.NoError(t, res.Err, "seed %d", seed)
		assert.Empty(t, found, "seed %d", seed)
	}
}

// What the reader of a clock-read pause does once resumed, and what the
// process's other tasks do, in the order they happen. then runs in the
// reader just after its read; between runs in the root after the Resume,
// before the reader goes on.
func readerFirst(t *testing.T, then func(ctx context.Context, p providers.Providers, log func(string)) error,
	between func(w *World, g *Group, reader providers.Handle)) []string {
	t.Helper()
	var got []string
	log := func(s string) { got = append(got, s) }
	world := New(Config{Seed: 1})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		g := world.NewGroup("node")
		reader := g.Go(ctx, "reader", func(ctx context.Context) error {
			if err := p.Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
			_ = p.Time.Now()
			log("reader went on")
			return then(ctx, p, log)
		})
		g.Go(ctx, "other", func(ctx context.Context) error {
			if err := p.Time.Sleep(ctx, 1500*time.Millisecond); err != nil {
				return err
			}
			log("other ran")
			return nil
		})
		require.NoError(t, p.Time.Sleep(ctx, 500*time.Millisecond))
		g.PauseAfterClockRead(func() {})
		require.NoError(t, p.Time.Sleep(ctx, 2*time.Second))
		require.True(t, g.Paused())
		g.Resume()
		assert.False(t, g.Paused(), "a group going on with its reader is not paused")
		if between != nil {
			between(world, g, reader)
		}
		require.NoError(t, p.Time.Sleep(ctx, 5*time.Second))
		assert.False(t, g.Paused())
		assert.Nil(t, g.reader)
		return nil
	})
	require.NoError(t, res.Err)
	return got
}

// The process's other tasks run once the reader gives up its turn, in
// each way it can: it parks, yields, returns, is killed, or parks with
// an OnPark function of its own set or cleared after the resume.
func TestClockReadPauseReleasesTheOthersWhenTheReaderGivesUpItsTurn(t *testing.T) {
	sleep := func(ctx context.Context, p providers.Providers, log func(string)) error {
		if err := p.Time.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		log("reader slept")
		return nil
	}
	cases := map[string]struct {
		then    func(ctx context.Context, p providers.Providers, log func(string)) error
		between func(w *World, g *Group, reader providers.Handle)
		want    []string
		// anyOrder: the reader, ready again at once, is drawn with the
		// others.
		anyOrder bool
	}{
		"parks": {then: sleep, want: []string{"reader went on", "other ran", "reader slept"}},
		"yields": {
			then: func(ctx context.Context, p providers.Providers, log func(string)) error {
				p.Task.Yield(ctx)
				log("reader yielded")
				return nil
			},
			want:     []string{"reader went on", "other ran", "reader yielded"},
			anyOrder: true,
		},
		"returns": {
			then: func(context.Context, providers.Providers, func(string)) error { return nil },
			want: []string{"reader went on", "other ran"},
		},
		"is killed": {
			then:    sleep,
			between: func(w *World, _ *Group, reader providers.Handle) { w.Kill(reader) },
			want:    []string{"other ran"},
		},
		"sets an OnPark": {
			then: func(ctx context.Context, p providers.Providers, log func(string)) error {
				p.Task.(onParker).OnPark(func() { log("its OnPark") })
				return sleep(ctx, p, log)
			},
			want: []string{"reader went on", "its OnPark", "other ran", "reader slept"},
		},
		"clears its OnPark": {
			then: func(ctx context.Context, p providers.Providers, log func(string)) error {
				p.Task.(onParker).OnPark(func() { log("its OnPark") })
				p.Task.(onParker).OnPark(nil)
				return sleep(ctx, p, log)
			},
			want: []string{"reader went on", "other ran", "reader slept"},
		},
		"is paused again first": {
			then: sleep,
			between: func(_ *World, g *Group, _ providers.Handle) {
				g.Pause()
				assert.True(t, g.Paused())
				g.Resume()
			},
			want: []string{"reader went on", "other ran", "reader slept"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := readerFirst(t, c.then, c.between)
			if c.anyOrder {
				require.NotEmpty(t, got)
				assert.Equal(t, c.want[0], got[0], "the reader goes on first")
				assert.ElementsMatch(t, c.want, got)
				return
			}
			assert.Equal(t, c.want, got)
		})
	}
}

// A task outside a paused process that blocks on a sync.Mutex the
// process's reader holds across its clock read is given up by the
// watchdog, whose report names the paused reader and the fix.
func TestAWatchdogBlockNamesATaskPausedInAClockRead(t *testing.T) {
	var mu sync.Mutex
	world := New(Config{Seed: 1})
	res := world.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		g := world.NewGroup("node")
		g.Go(ctx, "holder", func(ctx context.Context) error { return holdAcrossRead(ctx, p, &mu) })
		g.PauseAfterClockRead(func() {})
		if err := p.Time.Sleep(ctx, 2*time.Second); err != nil {
			return err
		}
		mu.Lock() // held by the paused reader, which only this task would resume
		mu.Unlock()
		g.Resume()
		return nil
	}, 300*time.Millisecond)
	mu.Unlock() // the holder's, so that the blocked root can go on and end
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Escaped, f.Kind)
	assert.Contains(t, f.Msg, `meanwhile task "node/holder" is paused inside a clock read (its process is paused) and runs again only when the process resumes`)
	assert.Contains(t, f.Msg, "providers.Mutex")
}

// holdAcrossRead sleeps a second, then holds mu across a clock read, where
// a clock-read pause of its group begins.
func holdAcrossRead(ctx context.Context, p providers.Providers, mu *sync.Mutex) error {
	if err := p.Time.Sleep(ctx, time.Second); err != nil {
		return err
	}
	mu.Lock()
	_ = p.Time.Now() // the pause begins here, the lock held
	mu.Unlock()
	return nil
}
