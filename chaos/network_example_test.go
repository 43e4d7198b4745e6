package chaos_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/moonpool-go/moonpool/chaos"
)

// The three presets, and a configuration built from one.
func ExampleNetwork() {
	def := chaos.DefaultNetwork()
	fmt.Println("default: latency", def.Latency.Fast.Min, "to", def.Latency.Fast.Max, "with a slow tail of", def.Latency.SlowProb)
	fmt.Println("default: a random partition every", def.PartitionInterval, "on average")

	quiet := chaos.NoNetworkFaults()
	fmt.Println("no faults: bit flips", quiet.BitFlipProb, "partitions", quiet.PartitionInterval)

	// In a simulation the source is the run's random stream.
	seeded := chaos.DefaultNetwork().Draw(rand.NewPCG(1, 2))
	fmt.Println("random: valid", seeded.Validate() == nil)

	// A protocol that checksums its own frames takes bit flips too.
	mine := chaos.DefaultNetwork()
	mine.BitFlipProb = 0.0001
	mine.SendBuffer = -1
	fmt.Println(mine.Validate())
	// Output:
	// default: latency 50µs to 400µs with a slow tail of 0.001
	// default: a random partition every 1m0s on average
	// no faults: bit flips 0 partitions 0s
	// random: valid true
	// chaos.Network.SendBuffer is -1; use a positive size in bytes, or 0 for the default (65536)
}
