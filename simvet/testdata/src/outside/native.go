// This file runs the program natively, outside any simulation.
//
//simvet:outside runs the server natively, beside the simulated runs
package outside

import "time"

func Native() time.Time { return time.Now() }

func Allowed() time.Time {
	//simvet:allow wallclock an allow in an outside file is neither needed nor reported
	return time.Now()
}
