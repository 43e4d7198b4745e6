package goroutine

import "runtime"

// The count of goroutines includes the runtime's and other tests': no
// seed decides it.
func Busy() bool {
	return runtime.NumGoroutine() > 100 // want `goroutine: runtime.NumGoroutine counts every goroutine in the process \(the runtime's, the test's, other tests'\), which no seed decides`
}
