package simtest

import (
	"encoding/json"
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
