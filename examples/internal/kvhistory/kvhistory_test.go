package kvhistory

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/simtest"
)

// reference is the store's model in its plainest form: the whole map as
// the state, no partition, copied at every step.
func reference() porcupine.Model {
	return porcupine.Model{
		Init: func() any { return map[string]string{} },
		Step: func(state, in, out any) (bool, any) {
			s, i, o := state.(map[string]string), in.(*op), out.(*op)
			if i.put {
				next := make(map[string]string, len(s)+1)
				for k, v := range s {
					next[k] = v
				}
				next[i.key] = i.value
				return true, next
			}
			v, found := s[i.key]
			if !found {
				v = ""
			}
			return o.found == found && (!found || o.value == v), s
		},
		Equal: func(a, b any) bool {
			s, t := a.(map[string]string), b.(map[string]string)
			if len(s) != len(t) {
				return false
			}
			for k, v := range s {
				if w, ok := t[k]; !ok || w != v {
					return false
				}
			}
			return true
		},
	}
}

// drawHistory records a generated history of a few keys and values.
func drawHistory(t *rapid.T) *History {
	h := New(epoch, 99)
	n := rapid.IntRange(0, 12).Draw(t, "ops")
	for range n {
		key := "k" + strconv.Itoa(rapid.IntRange(0, 2).Draw(t, "key"))
		call := rapid.Int64Range(0, 20).Draw(t, "call")
		ret := call + rapid.Int64Range(0, 10).Draw(t, "length")
		client := rapid.IntRange(0, 3).Draw(t, "client")
		value := "v" + strconv.Itoa(rapid.IntRange(0, 3).Draw(t, "value"))
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			h.add(op{put: true, key: key, value: value, client: client, call: call, ret: ret})
		case 1:
			h.add(op{put: true, key: key, value: value, unknown: true, client: client, call: call, ret: math.MaxInt64})
		default:
			found := rapid.Bool().Draw(t, "found")
			if !found {
				value = ""
			}
			h.add(op{key: key, value: value, found: found, client: client, call: call, ret: ret})
		}
	}
	return h
}

// TestCheckAgreesWithThePlainModel checks generated histories with
// History.Check and with porcupine on the whole map as one state: the
// partition by key and the state kept as a pointer change nothing.
func TestCheckAgreesWithThePlainModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawHistory(t)
		h.mu.Lock()
		all := h.operations()
		h.mu.Unlock()
		want := porcupine.CheckOperations(reference(), slices.Clone(all))
		err := h.Check(context.Background())
		if want {
			require.NoError(t, err)
		} else {
			require.Error(t, err)
			require.Contains(t, err.Error(), "is not linearizable")
		}
	})
}

// TestCheckAgreesOnSequentialKeys checks histories whose keys' operations
// mostly follow one another, which Check decides without porcupine's
// search, against porcupine on the plain model.
func TestCheckAgreesOnSequentialKeys(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := New(epoch, 99)
		var at [3]int64 // when the last operation on each key returned
		for range rapid.IntRange(0, 16).Draw(t, "ops") {
			k := rapid.IntRange(0, 2).Draw(t, "key")
			key := "k" + strconv.Itoa(k)
			// Mostly after the key's last return; now and then at or
			// before it, so that the key's operations overlap.
			call := at[k] + rapid.Int64Range(-2, 10).Draw(t, "gap")
			ret := call + rapid.Int64Range(0, 5).Draw(t, "length")
			at[k] = max(at[k], ret)
			value := "v" + strconv.Itoa(rapid.IntRange(0, 2).Draw(t, "value"))
			if rapid.Bool().Draw(t, "put") {
				h.add(op{put: true, key: key, value: value, client: 0, call: call, ret: ret})
				continue
			}
			found := rapid.Bool().Draw(t, "found")
			if !found {
				value = ""
			}
			h.add(op{key: key, value: value, found: found, client: 1, call: call, ret: ret})
		}
		h.mu.Lock()
		all := h.operations()
		got := h.linearizable()
		h.mu.Unlock()
		want := porcupine.CheckOperations(reference(), slices.Clone(all))
		require.Equal(t, want, got)
		require.Equal(t, want, h.Check(context.Background()) == nil)
	})
}

// TestPartitionGroupsAnyOrder checks that the partition of a history in
// any order holds each key's operations once, whether or not they were
// grouped already.
func TestPartitionGroupsAnyOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawHistory(t)
		h.mu.Lock()
		all := h.operations()
		h.mu.Unlock()
		shuffled := slices.Clone(all)
		for i := len(shuffled) - 1; i > 0; i-- {
			j := rapid.IntRange(0, i).Draw(t, "swap")
			shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
		}
		for _, ops := range [][]porcupine.Operation{all, shuffled} {
			parts := partition(ops)
			total := 0
			seen := map[string]bool{}
			for _, p := range parts {
				require.NotEmpty(t, p)
				key := p[0].Input.(*op).key
				require.False(t, seen[key], "key %s in two parts", key)
				seen[key] = true
				for _, x := range p {
					require.Equal(t, key, x.Input.(*op).key)
				}
				total += len(p)
			}
			require.Equal(t, len(ops), total)
		}
	})
}

// TestCheckExplainsByKey checks the failure's text: the keys whose
// histories are not linearizable, in key order, each with its operations
// by call time.
func TestCheckExplainsByKey(t *testing.T) {
	h := New(epoch, 9)
	// k1 first, so that the keys' numbers are not their order.
	h.add(op{put: true, key: "k1", value: "a", client: 0, call: 0, ret: 10})
	h.add(op{key: "k1", value: "b", found: true, client: 1, call: 20, ret: 30})
	h.add(op{put: true, key: "k0", value: "c", client: 0, call: 0, ret: 10})
	h.add(op{key: "k0", client: 1, call: 20, ret: 30})
	h.add(op{key: "k2", client: 9, call: 40, ret: 50})
	err := h.Check(context.Background())
	require.Error(t, err)
	msg := err.Error()
	assert.Less(t, strings.Index(msg, "the history of k0"), strings.Index(msg, "the history of k1"))
	assert.NotContains(t, msg, "the history of k2")
	assert.Contains(t, msg, "get k1 -> b")
	assert.Contains(t, msg, "get k0 -> not found")
	assert.Equal(t, 5, h.Len())
}

// TestCheckNamesTheOperationNoOrderCanPlace checks the failure's first
// line and At: the operation porcupine's longest order leaves out that
// returned first, of the key whose such operation was called first; not
// the key's last operation, nor the first key's.
func TestCheckNamesTheOperationNoOrderCanPlace(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	h := New(func() time.Time { return start }, 9)
	// k0 fails at its end, at 90; k1 at a read of a value never written,
	// at 20, before two operations that are fine.
	h.add(op{put: true, key: "k0", value: "a", client: 0, call: 0, ret: 10})
	h.add(op{key: "k0", client: 9, call: 90, ret: 95})
	h.add(op{put: true, key: "k1", value: "a", client: 0, call: 0, ret: 10})
	h.add(op{key: "k1", value: "b", found: true, client: 1, call: 20, ret: 30})
	h.add(op{put: true, key: "k1", value: "c", client: 2, call: 40, ret: 50})
	h.add(op{key: "k1", value: "c", found: true, client: 9, call: 60, ret: 70})
	err := h.Check(context.Background())
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, start.Add(20), e.At())
	assert.True(t, strings.HasPrefix(err.Error(), "a history that is not linearizable: no order of the operations before it can take client 1's get k1 -> b, called at 20ns:\n"), err.Error())
	assert.Contains(t, err.Error(), "the history of k0 is not linearizable")
	assert.Contains(t, err.Error(), "the history of k1 is not linearizable")
	assert.Less(t, strings.Index(err.Error(), "the history of k1"), strings.Index(err.Error(), "the history of k0"),
		"the history of the key the first line names comes first")

	h = New(func() time.Time { return start }, 9)
	h.add(op{put: true, key: "k0", value: "a", client: 0, call: 0, ret: 10})
	h.add(op{key: "k0", client: 9, call: 90, ret: 95})
	require.ErrorAs(t, h.Check(context.Background()), &e)
	assert.Equal(t, start.Add(90), e.At())
	assert.Contains(t, e.Error(), "can take the final read's get k0 -> not found, called at 90ns:")
}

// TestStoryTimesShareAColumn: the story under a failure right-aligns its
// times, as a report's timeline does, past ten seconds too.
func TestStoryTimesShareAColumn(t *testing.T) {
	got := storyLines([]simtest.Entry{
		{At: 6873886 * time.Nanosecond, Task: "kv-1/main", Msg: "booted"},
		{At: 12566617718 * time.Nanosecond, Task: "kv-2/main", Msg: "recovered"},
	})
	lines := strings.Split(strings.TrimPrefix(got, "\n"), "\n")
	require.Len(t, lines, 2)
	assert.Equal(t, strings.Index(lines[0], "kv-1/main"), strings.Index(lines[1], "kv-2/main"), "one column:\n%s", got)
	assert.True(t, strings.HasPrefix(lines[0], "     6.873886ms  "), "%q", lines[0])
}

// TestRecordingAllocatesInChunks checks that recording the operations a
// Run reserved room for allocates nothing per operation.
func TestRecordingAllocatesInChunks(t *testing.T) {
	h := New(epoch, 9)
	// AllocsPerRun counts the whole process's allocations, a goroutine's
	// that an earlier test left too (porcupine's search, ended by its
	// deadline, which a loaded machine lets run on): such allocations
	// only add, so the least of a few measures is the recording's own.
	least := math.Inf(1)
	for range 5 {
		least = min(least, testing.AllocsPerRun(50, func() {
			h.reserve(1000)
			for i := range 1000 {
				h.add(op{key: "k", call: int64(i), ret: int64(i)})
			}
		}))
	}
	assert.LessOrEqual(t, least, 3.0) // the chunk and the keys' map
}

// epoch is the clock of histories whose operations carry their own times.
func epoch() time.Time { return time.Time{} }
