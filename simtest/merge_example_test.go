package simtest_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/moonpool-go/moonpool/simtest"
)

// A sweep in two shards, each writing its results, merged into the report
// one Run of all their seeds would have made. Under go test the shards are
// processes given -simshard=0/2 and -simshard=1/2, and cmd/moonpool-merge
// merges their -simresults files.
func ExampleMergeResults() {
	dir, err := os.MkdirTemp("", "sweep")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	body := func(s *simtest.S) {
		s.Sleep(time.Duration(s.Providers().Random.IntN(1000)) * time.Millisecond)
		if s.Providers().Random.IntN(10) == 0 {
			s.Errorf("an acknowledged write was lost")
		}
	}
	for i := range 2 {
		simtest.Simulate(body, simtest.Seeds(50), simtest.KeepGoing(), simtest.Shard(i, 2), simtest.ResultsFile(dir+"/"))
	}
	sw, err := simtest.MergeResults(dir)
	if err != nil {
		log.Fatal(err)
	}
	t := sw.Tests[0]
	fmt.Printf("%d seeds from %d shards: %d passed, %d failed\n", t.Seeds, t.Files, t.Passed, t.Failed)
	fmt.Println(t.Failing[0].FirstFailure)
	fmt.Println(t.Failing[0].Replay)
	// Output:
	// 50 seeds from 2 shards: 47 passed, 3 failed
	// 292ms driver: merge_example_test.go:25: an acknowledged write was lost
	// simtest.Replay(15538414250330332778)
}
