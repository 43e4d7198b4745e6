package simtest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
