package outside

import "time"

func Simulated() time.Time { return time.Now() } // want `wallclock: time.Now`
