package simtest

import (
	"fmt"
)

// Workloads declares a group of workloads made by one factory, as
// [Processes] declares processes: Count of them, or a per-seed draw in
// [Count, MaxCount], named Name-0, Name-1 and so on. Each instance is told
// its index (its client id) and how many run, so that clients can split
// keys between them or take turns.
type Workloads struct {
	// Name names the group; the instances are Name-0, Name-1 and so on,
	// unless an instance has a Name method of its own.
	Name string
	// Count is how many instances run; zero means one.
	Count int
	// MaxCount, when larger than Count, makes the count a per-seed draw
	// in [Count, MaxCount].
	MaxCount int
	// New makes the instance that id names.
	New func(id WorkloadID) Workload
}

// WorkloadID is what [Workloads.New] is told of the instance it makes.
type WorkloadID struct {
	Name  string // the group's name, a dash, its index
	Index int    // in [0, Count): its client id
	Count int    // how many instances of the group run in this seed
}

// MaxWorkloads bounds the instances one [S.Workloads] makes, over all its
// groups at their largest counts (Count, MaxCount): each runs as a task of
// the test driver, and a count past the bound is a mistake (a key or
// operation count given for a client count), as for [MaxProcesses].
const MaxWorkloads = 10_000

// Workloads makes each group's instances, in order, for [Cluster.Run]:
//
//	c.Run(ph, s.Workloads(simtest.Workloads{Name: "client", Count: 2, MaxCount: 5, New: newClient})...)
//
// A group with MaxCount above Count draws its count from the seed's
// stream, one draw per such group, in order. A bad declaration (no name,
// no factory, a negative count, MaxCount below Count, two groups of one
// name, more than [MaxWorkloads] in all) is a configuration error.
func (s *S) Workloads(groups ...Workloads) []Workload {
	s.Helper()
	var out []Workload
	taken := map[string]bool{}
	declared := 0
	for _, g := range groups {
		if err := g.validate(taken, declared); err != nil {
			s.configError(err)
		}
		taken[g.Name] = true
		declared += largestCount(g.Count, g.MaxCount)
		n := s.drawCount(g.Count, g.MaxCount)
		for i := range n {
			id := WorkloadID{Name: fmt.Sprintf("%s-%d", g.Name, i), Index: i, Count: n}
			w := g.New(id)
			if w == nil {
				s.configErrorf("simtest: Workloads %q: New returned nil for %s; return a Workload", g.Name, id.Name)
			}
			if _, named := w.(interface{ Name() string }); !named {
				w = namedWorkload{w, id.Name}
			}
			out = append(out, w)
		}
	}
	return out
}

func (g Workloads) validate(taken map[string]bool, declared int) error {
	switch {
	case g.Name == "":
		return fmt.Errorf("simtest: a Workloads has no Name; name each group of workloads")
	case g.New == nil:
		return fmt.Errorf("simtest: Workloads %q has no New; give it a function that makes the instance it is told of", g.Name)
	}
	if err := checkCount("Workloads", g.Name, g.Count, g.MaxCount); err != nil {
		return err
	}
	if err := workloadBound.check(g.Name, g.Count, g.MaxCount, declared); err != nil {
		return err
	}
	if taken[g.Name] {
		return fmt.Errorf("simtest: two groups of workloads are named %q; names must be unique", g.Name)
	}
	return nil
}

// namedWorkload gives an instance its name in reports.
type namedWorkload struct {
	Workload
	name string
}

func (w namedWorkload) Name() string { return w.name }
