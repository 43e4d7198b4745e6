package simdisk

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// writeWords runs one seed that writes words to a file of disk "db", one
// write each.
func writeWords(t *testing.T, record bool, words ...string) sim.Result {
	t.Helper()
	w := sim.New(sim.Config{Seed: 8, Record: record, HashData: record})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		d, err := New(w, "db", chaos.DefaultStorage())
		if err != nil {
			return err
		}
		f, err := d.Storage().OpenFile("log", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		for _, word := range words {
			if _, err := f.Write([]byte(word)); err != nil {
				return err
			}
		}
		return f.Sync()
	})
	require.NoError(t, res.Err)
	return res
}

func TestRecordingHashesTheBytesWritten(t *testing.T) {
	a := writeWords(t, true, "one", "two", "six")
	b := writeWords(t, true, "one", "six", "two")
	assert.Equal(t, a.Trace, b.Trace, "the trace covers no bytes")
	assert.NotEqual(t, a.Data, b.Data)
	assert.Regexp(t, `^step \d+ differs: the bytes of write #2 to file log on db differ\n`, sim.Diverge(a.Record, b.Record))

	plain := writeWords(t, false, "one", "two", "six")
	assert.Equal(t, plain.Trace, a.Trace, "recording leaves the trace alone")
	assert.Equal(t, a.Data, writeWords(t, true, "one", "two", "six").Data)
}
