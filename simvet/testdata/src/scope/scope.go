package scope // want `scope_wasip1.go is left out by build constraints \(//go:build wasip1\) and was not analyzed`

import "time"

func Now() time.Time { return time.Now() }
