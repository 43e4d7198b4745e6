package providers

import "log/slog"

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
	// Logger is where the process logs. Real gives slog.Default(); a
	// simulation gives each process a logger whose records join the run's
	// timeline, stamped with simulated time and the process's name, so that
	// a failing seed's report tells what the code said. Log through it
	// rather than slog.Default(), which a simulation does not see: the
	// default logger is one for the whole test binary, shared by the
	// simulations that run in parallel in it.
	Logger *slog.Logger
}

// Real returns providers backed by the standard library: the wall clock,
// goroutines, math/rand/v2's global generator, package net and
// slog.Default() (read when Real is called). Storage and
// Cluster stay nil, since Real cannot know a directory or a deployment: set
// Storage with [OpenOSStorage] and Cluster with [StaticCluster].
func Real() Providers {
	return Providers{
		Time:    realTime{},
		Task:    realTask{},
		Random:  realRandom{},
		Network: realNetwork{},
		Logger:  slog.Default(),
	}
}
