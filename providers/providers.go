package providers

// Providers is the bundle of capabilities that code under test receives
// instead of reaching for the standard library directly. A process gets one
// from the simulation, or from [Real] in production.
type Providers struct {
	Time    Time
	Task    Task
	Random  Random
	Network Network
	Storage Storage
	// Cluster names the process and its peers. Real leaves it nil; set it
	// with StaticCluster from the deployment's configuration.
	Cluster Cluster
}

// Real returns providers backed by the standard library: the wall clock,
// goroutines, math/rand/v2's global generator and package net. Storage and
// Cluster stay nil, since Real cannot know a directory or a deployment: set
// Storage with [OpenOSStorage] and Cluster with [StaticCluster].
func Real() Providers {
	return Providers{
		Time:    realTime{},
		Task:    realTask{},
		Random:  realRandom{},
		Network: realNetwork{},
	}
}
