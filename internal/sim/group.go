package sim

import (
	"context"

	"github.com/moonpool-go/moonpool/providers"
)

// A Group is the set of tasks of one simulated process. Its first task is
// started with Group.Go; every task a task of the group starts joins it, as
// do the tasks of AfterFunc timers its tasks set. Killing the group kills
// them all at once, which is how a process crashes.
type Group struct {
	w    *World
	name string
	dead bool
}

// NewGroup returns an empty group whose tasks are named "name/…".
func (w *World) NewGroup(name string) *Group { return &Group{w: w, name: name} }

// Name is the group's name.
func (g *Group) Name() string { return g.name }

// Go starts a task in the group. A killed group takes no new tasks: a
// restarted process gets a new Group.
func (g *Group) Go(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	if g.dead {
		panic("sim: task " + name + " started in group " + g.name + " after the group was killed; make a new Group for the restarted process")
	}
	return g.w.spawnIn(g, ctx, name, fn)
}

// Dead reports whether the group was killed.
func (g *Group) Dead() bool { return g.dead }

// Alive reports how many tasks of the group are alive.
func (g *Group) Alive() int {
	n := 0
	for _, t := range g.w.tasks {
		if t.group == g {
			n++
		}
	}
	return n
}

// Kill kills every task of the group at once, in start order. Called from a
// task of the group, it kills the others and then unwinds the caller.
func (g *Group) Kill() {
	w := g.w
	g.dead = true
	var victims []*task
	for _, t := range w.tasks {
		if t.group == g {
			victims = append(victims, t)
		}
	}
	self := false
	for _, t := range victims {
		if t == w.cur {
			self = true
			continue
		}
		w.kill(t)
	}
	if self {
		w.kill(w.cur)
	}
}
