package simtest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/moonpool-go/moonpool/simtest"
)

// BenchmarkMergeResults merges the results files of a sweep of 1,000
// shards, each of ten seeds of a body with five assertions: the merge job
// of a sweep on a thousand machines.
func BenchmarkMergeResults(b *testing.B) {
	const shards, seeds = 1000, 10
	dir := b.TempDir()
	for i := range shards {
		simtest.Simulate(lossy, simtest.Seeds(shards*seeds), simtest.BaseSeed(9), simtest.KeepGoing(),
			simtest.Shard(i, shards), simtest.ResultsFile(dir+"/"))
	}
	var size int64
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			size += st.Size()
		}
	}
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		sw, err := simtest.MergeResults(dir)
		if err != nil || len(sw.Tests) != 1 || sw.Tests[0].Seeds != shards*seeds {
			b.Fatalf("merged %+v, %v", sw.Tests, err)
		}
	}
	b.ReportMetric(float64(shards), "shards")
}
