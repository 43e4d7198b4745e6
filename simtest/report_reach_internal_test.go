package simtest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
)

func reachOf(procs int, down, paused []string) reach {
	r := reach{procs: procs}
	for _, n := range down {
		if r.down == nil {
			r.down = map[string]bool{}
		}
		r.down[n] = true
	}
	for _, n := range paused {
		if r.paused == nil {
			r.paused = map[string]bool{}
		}
		r.paused[n] = true
	}
	return r
}

// Over several seeds the line gives the least and the most a seed, and a
// merge of results files adds up their records as the seeds' own.
func TestReachTallyOverSeedsAndMerges(t *testing.T) {
	var a reachTally
	a.add(reachOf(60, []string{"n-1", "n-7"}, nil))
	a.add(reachOf(60, []string{"n-3"}, nil))
	assert.Equal(t, "reboots reached 1 to 2 of 60 processes a seed", a.line(2))

	var b reachTally
	b.add(reachOf(62, []string{"n-1", "n-2", "n-3", "n-4", "n-5"}, []string{"n-9"}))
	data, err := json.Marshal(b.record())
	require.NoError(t, err)
	assert.JSONEq(t, `{"rebooted":{"min":5,"max":5},"paused":{"min":1,"max":1},"processes":{"min":62,"max":62}}`, string(data))

	var merged reachTally
	merged.merge(a.record())
	var back jsonReach
	require.NoError(t, json.Unmarshal(data, &back))
	merged.merge(&back)
	merged.merge(nil) // a file written before reach was kept
	assert.Equal(t, "reboots reached 1 to 5 of 60 to 62 processes a seed, pauses reached 0 to 1", merged.line(3))

	// A results file's processes are all the cluster's, protected or not,
	// as they were before protected ones were counted apart.
	var guarded reachTally
	guarded.add(reach{procs: 5, protected: 2, down: map[string]bool{"c-0": true}})
	data, err = json.Marshal(guarded.record())
	require.NoError(t, err)
	assert.JSONEq(t, `{"rebooted":{"min":1,"max":1},"paused":{"min":0,"max":0},"processes":{"min":5,"max":5},"protected":{"min":2,"max":2}}`, string(data))
	assert.Equal(t, "reboots reached 1 of 5 processes (2 of them protected from attrition)", guarded.line(1))

	// So are those attrition only pauses, told beside the protected ones,
	// and merged as they are.
	var clients reachTally
	clients.add(reach{procs: 5, protected: 1, pauseOnly: 2, down: map[string]bool{"s-0": true}, paused: map[string]bool{"c-0": true}})
	data, err = json.Marshal(clients.record())
	require.NoError(t, err)
	assert.JSONEq(t, `{"rebooted":{"min":1,"max":1},"paused":{"min":1,"max":1},"processes":{"min":5,"max":5},"protected":{"min":1,"max":1},"pause_only":{"min":2,"max":2}}`, string(data))
	var mergedClients reachTally
	mergedClients.merge(clients.record())
	mergedClients.merge(guarded.record())
	assert.Equal(t, "reboots reached 1 of 5 processes a seed (1 to 2 of them protected from attrition, 2 of them only paused by attrition), pauses reached 0 to 1", mergedClients.line(2))

	var none reachTally
	none.add(reachOf(5, nil, nil))
	assert.Empty(t, none.line(1), "nothing reached")
	assert.Nil(t, reachTally{}.record(), "no cluster")
}

// The partitions' line gives, as the reboots' does, the least and the
// most processes a seed's partitions and isolations cut off, and how long
// the longest lasted, over the seeds that had one; a merge of results
// files adds up their records as the seeds' own.
func TestCutLineOverSeedsAndMerges(t *testing.T) {
	seed := func(procs int, hosts []string, lines ...string) reach {
		var r reach
		for i, l := range lines {
			r.add(sim.Entry{At: time.Duration(i) * time.Second, Msg: l, Event: true}, notAFault)
		}
		r.procs = procs
		r.endCuts(time.Duration(len(lines))*time.Second, hosts)
		return r
	}
	hosts := []string{"n-0", "n-1", "n-2", "n-3"}
	// n-0 cut off for 2s, then n-2 and n-3 (the smaller side) for 1s.
	a := seed(4, hosts, "net: isolate n-0", "net: clog n-1 -> n-2 for 1s", "net: heal",
		"net: random partition {n-2 n-3} -> {driver n-0 n-1} for 1s", "net: random partition healed")
	// No partition.
	b := seed(4, hosts, "net: clog n-1 -> n-2 for 1s")
	// Only the driver cut off, to the seed's end.
	c := seed(4, hosts, "net: random partition {driver} | {n-0 n-1 n-2 n-3} for 9s")

	var one reachTally
	one.add(a)
	assert.Equal(t, "partitions cut off 3 of 4 processes; the longest lasted 2s", one.cutLine(1))
	var none reachTally
	none.add(b)
	assert.Empty(t, none.cutLine(1), "no partition, no line")
	assert.Nil(t, none.record().LongestPartitionNS)

	var all reachTally
	for _, r := range []reach{a, b, c} {
		all.add(r)
	}
	assert.Equal(t, "partitions cut off 0 to 3 of 4 processes a seed; the longest lasted 2s", all.cutLine(3),
		"a cut of the driver alone cut off no process, and its length is no process's")
	// The driver cut off for 2s, and n-1 for 1s within it: the longest
	// cut of a process lasted 1s.
	d := seed(4, hosts, "net: partition {driver} | {n-0 n-1 n-2 n-3}", "net: isolate n-1", "net: heal")
	var driver reachTally
	driver.add(d)
	assert.Equal(t, "partitions cut off 1 of 4 processes; the longest lasted 1s", driver.cutLine(1))

	data, err := json.Marshal(one.record())
	require.NoError(t, err)
	assert.JSONEq(t, `{"rebooted":{"min":0,"max":0},"paused":{"min":0,"max":0},"processes":{"min":4,"max":4},"partitioned":{"min":3,"max":3},"longest_partition_ns":{"min":2000000000,"max":2000000000}}`, string(data))
	var merged reachTally
	for _, part := range []reachTally{one, none} {
		data, err := json.Marshal(part.record())
		require.NoError(t, err)
		var back jsonReach
		require.NoError(t, json.Unmarshal(data, &back))
		merged.merge(&back)
	}
	var c1 reachTally
	c1.add(c)
	merged.merge(c1.record())
	assert.Equal(t, all.cutLine(3), merged.cutLine(3), "a merge says what one Run of the seeds says")
}

// A heal ends every cut; a random partition's own end, only it; a heal
// between two groups, the manual partitions between them alone. A random
// partition lasts as long as its line says at most: the line saying it
// healed comes when the network is next used.
func TestCutsEndAsTheHealsSay(t *testing.T) {
	type ended struct {
		msg string
		at  time.Duration
	}
	var got []ended
	note := func(c cut, at time.Duration) { got = append(got, ended{c.msg, at}) }
	var c cuts
	for i, l := range []string{
		"net: partition {a} | {b c}",
		"net: partition {a} | {d}",
		"net: isolate e",
		"net: random partition {f} | {a b c d e} for 1s",
		"net: heal {c b} | {a}",
		"net: random partition healed",
		"net: heal {a} | {b}", // a partial heal ends nothing
		"net: heal",
		"net: random partition {g} | {a} for 500ms", // the seed ends after it
	} {
		c.hear(time.Duration(i)*time.Second, l, note)
	}
	c.end(10*time.Second, note)
	assert.Equal(t, []ended{
		{"net: partition {a} | {b c}", 4 * time.Second},
		{"net: random partition {f} | {a b c d e} for 1s", 4 * time.Second},
		{"net: partition {a} | {d}", 7 * time.Second},
		{"net: isolate e", 7 * time.Second},
		{"net: random partition {g} | {a} for 500ms", 8500 * time.Millisecond},
	}, got)
}
