package goroutine

import "runtime"

// The count of goroutines includes the runtime's and other tests': no
// seed decides it.
func Busy() bool {
	return runtime.NumGoroutine() > 100 // want `goroutine: runtime.NumGoroutine counts every goroutine in the process \(the runtime's, the test's, other tests'\), which no seed decides`
}

// The machine's CPUs, and the limit on them, differ between machines.
func Workers() int {
	n := runtime.NumCPU()                // want `goroutine: runtime.NumCPU reads the machine the test runs on \(its CPUs, or the processes' limit\), which no seed decides: a decision on it \(a pool's size, a count of shards\) differs between a laptop and a CI runner`
	return min(n, runtime.GOMAXPROCS(0)) // want `goroutine: runtime.GOMAXPROCS reads the machine the test runs on`
}
