package simtest

import "github.com/moonpool-go/moonpool/internal/sim"

// Timeline is a seed's timeline kept as it grows, for checks that look
// at the whole story so far: how many times a kind of entry came, from
// which process, what happened since a mark. Get it with [S.Timeline];
// read it from the body, any task, or an invariant ([S.Invariant] runs
// after each step, and sees every entry added until then). It holds the
// entries from the first S.Timeline call of the seed on: a check that
// takes it only at the end (in a workload's Check) finds none of the
// seed's earlier entries, so take it first thing in the body. Keeping it
// costs the memory of every entry of the seed, so a seed that never asks
// for it keeps nothing. Keeping it never changes the run.
type Timeline struct {
	entries []sim.Entry
	// counts holds how many entries each (process, name) pair has, kept
	// as entries come, so that counts cost no walk of the timeline.
	counts map[timelineKey]int
}

type timelineKey struct{ process, name string }

// Mark is a place in a [Timeline]: the entries before it. The zero Mark
// is the timeline's start.
type Mark int

// Timeline returns the seed's timeline, kept from the first call on: call
// it first thing in the body to have the whole seed. Every call returns
// the same Timeline.
//
//	tl := s.Timeline()
//	s.Invariant("at most one leader election per reboot", func() error {
//		if tl.Count("elected") > tl.Count("crash")+1 { ... }
//		return nil
//	})
func (s *S) Timeline() *Timeline {
	if s.timeline == nil {
		s.timeline = &Timeline{counts: map[timelineKey]int{}}
		s.obs.observeTimeline()
	}
	return s.timeline
}

func (t *Timeline) add(e sim.Entry) {
	t.entries = append(t.entries, e)
	t.counts[timelineKey{e.Process, e.Name}]++
}

// Len returns how many entries the timeline holds so far.
func (t *Timeline) Len() int { return len(t.entries) }

// Snapshot returns every entry kept so far (from the first S.Timeline
// call on), oldest first: a copy, which later entries do not change.
func (t *Timeline) Snapshot() []Entry { return t.Since(0) }

// Mark returns the timeline's end now, for [Timeline.Since] later.
func (t *Timeline) Mark() Mark { return Mark(len(t.entries)) }

// Since returns the entries added after m was taken, oldest first.
func (t *Timeline) Since(m Mark) []Entry {
	if m < 0 || int(m) > len(t.entries) {
		panic("simtest: Timeline.Since got a Mark of another timeline; take the Mark from the same seed's Timeline")
	}
	out := make([]Entry, 0, len(t.entries)-int(m))
	for _, e := range t.entries[m:] {
		out = append(out, entryOf(e))
	}
	return out
}

// Count returns how many entries named name (see [Entry].Name) the
// timeline holds so far, from every process.
func (t *Timeline) Count(name string) int {
	n := 0
	for k, c := range t.counts {
		if k.name == name {
			n += c
		}
	}
	return n
}

// CountIn returns how many entries named name the tasks of process
// emitted so far; process "" counts the driver's tasks and the world's
// own entries.
func (t *Timeline) CountIn(process, name string) int {
	return t.counts[timelineKey{process, name}]
}

// CountByName returns how many entries of each name the timeline holds so
// far: a new map, which the caller may keep.
func (t *Timeline) CountByName() map[string]int {
	out := map[string]int{}
	for k, c := range t.counts {
		out[k.name] += c
	}
	return out
}

// CountByProcess returns how many entries each process's tasks emitted so
// far, the driver's and the world's under "": a new map.
func (t *Timeline) CountByProcess() map[string]int {
	out := map[string]int{}
	for k, c := range t.counts {
		out[k.process] += c
	}
	return out
}

// Counts returns how many entries of each name each process emitted so
// far: out[process][name], the driver's and the world's under "".
func (t *Timeline) Counts() map[string]map[string]int {
	out := map[string]map[string]int{}
	for k, c := range t.counts {
		if out[k.process] == nil {
			out[k.process] = map[string]int{}
		}
		out[k.process][k.name] = c
	}
	return out
}
