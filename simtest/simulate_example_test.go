package simtest_test

import (
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// Simulate runs seeds outside go test, in a command or a program that
// sweeps them, and returns what it found.
func ExampleSimulate() {
	res := simtest.Simulate(func(s *simtest.S) {
		if s.Providers().Random.IntN(500) == 0 { // a bug that shows once in 500 seeds
			s.Errorf("the planted bug fired")
		}
	}, simtest.Seeds(1000), simtest.BaseSeed(1), simtest.KeepGoing())
	fmt.Printf("%d seeds, %d passed, %d failed\n", res.Seeds, res.Passed, res.Failed)
	fmt.Println("failing:", res.Failing())
	fmt.Println("replay the first with", res.Replay)
	// Output:
	// 1000 seeds, 999 passed, 1 failed
	// failing: [15897925802583272582]
	// replay the first with simtest.Replay(15897925802583272582)
}

// Each seed's result counts the faults it saw, by kind, as its line of
// the results file does: a sweep finds the seeds that met the fault it
// means to study, and replays one.
func ExampleSeedResult() {
	cfg := chaos.Off()
	cfg.Storage.Full = chaos.StorageEpisode{Prob: 0.02, Duration: chaos.Range{Min: time.Second, Max: time.Second}}
	res := simtest.Simulate(func(s *simtest.S) {
		f, err := s.Disk("db").Storage().Create("log")
		if err != nil {
			s.Fatalf("create: %v", err)
		}
		for range 20 {
			_, _ = f.Write([]byte("a record\n")) // fails while the disk is full
			s.Sleep(100 * time.Millisecond)
		}
	}, simtest.Chaos(cfg), simtest.Seeds(10), simtest.BaseSeed(1))
	for _, sr := range res.PerSeed {
		if sr.Faults["full"] > 0 {
			fmt.Printf("seed %d met a full disk: replay it with simtest.Replay(%d)\n", sr.Seed, sr.Seed)
		}
	}
	// Output:
	// seed 8196980753821780235 met a full disk: replay it with simtest.Replay(8196980753821780235)
	// seed 9648886400068060533 met a full disk: replay it with simtest.Replay(9648886400068060533)
}
