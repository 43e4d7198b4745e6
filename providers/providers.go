package providers

// Providers is the bundle of capabilities that code under test receives
// instead of reaching for the standard library directly. A process gets one
// from the simulation, or from [Real] in production.
type Providers struct {
	Time   Time
	Task   Task
	Random Random
}

// Real returns providers backed by the standard library: the wall clock,
// goroutines, and math/rand/v2's global generator.
func Real() Providers {
	return Providers{
		Time:   realTime{},
		Task:   realTask{},
		Random: realRandom{},
	}
}
