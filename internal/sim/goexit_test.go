package sim

import "runtime"

func goexit() { runtime.Goexit() }
