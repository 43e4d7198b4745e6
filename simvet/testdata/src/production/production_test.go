package production_test

import "time"

// An external test package of a package that opts out is out too.
func Now() time.Time { return time.Now() }

var n int

func Count() { n++ }
