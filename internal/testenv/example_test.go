package testenv_test

import (
	"fmt"

	"github.com/moonpool-go/moonpool/internal/testenv"
)

// A benchmark takes the CPU time before and after its work, and reports
// the difference beside its wall time (b.ReportMetric).
func ExampleCPUTime() {
	start := testenv.CPUTime()
	sum := 0
	for i := range 1000 {
		sum += i
	}
	used := testenv.CPUTime() - start
	fmt.Println(sum, used >= 0)
	// Output: 499500 true
}
