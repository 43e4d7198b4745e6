package sim

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// spawnerOf is how code outside the engine finds Spawner.
type spawnerOf interface {
	Spawner() func(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle
}

// A Spawner starts its tasks in the process of the task that took it,
// whichever task calls it, and nothing once that process is killed.
func TestSpawnerStartsTasksInTheProcessThatTookIt(t *testing.T) {
	world := New(Config{Seed: 3})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		g := world.NewGroup("node1")
		var spawn func(context.Context, string, func(context.Context) error) providers.Handle
		g.Go(ctx, "main", func(ctx context.Context) error {
			spawn = p.Task.(spawnerOf).Spawner()
			return providers.Wait(ctx, p.Task)
		})
		require.NoError(t, p.Time.Sleep(ctx, 0))
		require.NotNil(t, spawn, "node1's main ran")
		ours := p.Task.(spawnerOf).Spawner()
		h := spawn(ctx, "owned", func(ctx context.Context) error { return providers.Wait(ctx, p.Task) })
		require.NotNil(t, h)
		require.NoError(t, ours(ctx, "mine", func(context.Context) error { return nil }).Join(ctx))
		require.NoError(t, p.Time.Sleep(ctx, 0))
		assert.Equal(t, 2, g.Alive(), "the task the driver started joined node1")
		g.Kill()
		assert.Nil(t, spawn(ctx, "late", func(context.Context) error { return nil }), "a killed process takes no tasks")
		return nil
	})
	require.NoError(t, res.Err)
	process := map[string]string{}
	for _, e := range res.Timeline {
		if e.Name == "task started" {
			process[e.Task] = e.Process
		}
	}
	assert.Equal(t, map[string]string{"driver": "", "node1/main": "node1", "node1/owned": "node1", "mine": ""}, process)
}

// A group's Task starts its tasks in the group whoever calls it, the
// driver's tasks among them, and so does a Spawner taken from it; what
// those tasks start joins the group too. The rest of it is the world's.
func TestAGroupsTaskStartsTasksInTheGroup(t *testing.T) {
	world := New(Config{Seed: 3})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		g := world.NewGroup("client-0")
		gt := g.Task()
		_, parks := gt.(Parker)
		assert.True(t, parks, "the group's Task parks as the world's does")
		spawn := gt.(spawnerOf).Spawner()
		var name, process string
		require.NoError(t, gt.Go(ctx, "peer", func(ctx context.Context) error {
			name, process = gt.(interface{ TaskName() string }).TaskName(), world.CurrentProcess()
			return p.Task.Go(ctx, "child", func(context.Context) error { return nil }).Join(ctx)
		}).Join(ctx))
		require.NoError(t, spawn(ctx, "read", func(context.Context) error { return nil }).Join(ctx))
		assert.Equal(t, "client-0/peer", name)
		assert.Equal(t, "client-0", process)
		assert.Empty(t, world.CurrentProcess(), "the driver is of no process")
		return nil
	})
	require.NoError(t, res.Err)
	process := map[string]string{}
	for _, e := range res.Timeline {
		if e.Name == "task started" {
			process[e.Task] = e.Process
		}
	}
	assert.Equal(t, map[string]string{"driver": "", "client-0/peer": "client-0", "client-0/child": "client-0", "client-0/read": "client-0"}, process)
}
