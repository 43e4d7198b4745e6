package wasmhost_test

import (
	"sync"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/simtest"
)

// The fuzzer drives the native host, so a fuzz input's decisions reach
// the program: its random numbers come from the input.
func FuzzProgramRandomness(f *testing.F) {
	mod := guestModule(f)
	var mu sync.Mutex
	outputs := map[string]bool{}
	runs := 0
	f.Cleanup(func() {
		if runs > 1 && len(outputs) < 2 {
			f.Errorf("%d inputs gave the program the same random numbers", runs)
		}
	})
	simtest.Fuzz(f, func(s *simtest.S) {
		var out testenv.Buffer
		s.Boot(simtest.Processes{Name: "r", New: func() simtest.Process { return process(mod, &out, "random") }})
		s.Sleep(time.Second)
		if out.String() == "" {
			s.Fatal("the program printed nothing")
		}
		mu.Lock()
		outputs[out.String()] = true
		runs++
		mu.Unlock()
	})
}
