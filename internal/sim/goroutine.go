package sim

// A goroutine's identity tells the simulation's own goroutines (the
// scheduler's, and the worker of the running task) from a stray one: a
// goroutine started with a go statement that calls into the simulation.
// It is compared on every call into the simulation, so it must cost a
// few nanoseconds: on the architectures with an assembly curG it is the
// address of the goroutine's runtime descriptor, which no other live
// goroutine shares; elsewhere it is the goroutine's number, read from its
// stack trace, which is correct and much slower.
type goroutine uintptr
