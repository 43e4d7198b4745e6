package simtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestAsJSONIsWhatJSONKeeps: any bytes, through asJSON, read as they
// read back from a JSON string, as a merge reads a results file.
func TestAsJSONIsWhatJSONKeeps(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		s := string(rapid.SliceOf(rapid.OneOf(rapid.Byte(), rapid.ByteRange(0x80, 0xff))).Draw(rt, "bytes"))
		b, err := json.Marshal(s)
		require.NoError(rt, err)
		var back string
		require.NoError(rt, json.Unmarshal(b, &back))
		require.Equal(rt, back, asJSON(s))
	})
}

// TestResultsAreWrittenAsSeedsEnd: each seed's line is in the file as
// soon as it is added, so that a Run killed before it ends leaves the
// seeds that ended.
func TestResultsAreWrittenAsSeedsEnd(t *testing.T) {
	r, _, err := openResults(filepath.Join(t.TempDir(), "TestKV.jsonl"))
	require.NoError(t, err)
	for i := range 3 {
		r.add(SeedResult{Seed: uint64(i), Trace: 0xff, Outcome: OutcomePass})
		data, err := os.ReadFile(r.path)
		require.NoError(t, err)
		require.Equal(t, i+1, strings.Count(string(data), "\n"), "the file before it closes: %q", data)
		require.True(t, strings.HasSuffix(string(data), "}\n"), "whole lines only: %q", data)
	}
	require.NoError(t, r.close())
}
