package directives

import "time"

func Allowed() time.Time {
	//simvet:allow wallclock a log stamp for people, never compared
	a := time.Now()
	b := time.Now() //simvet:allow wallclock the same, as a trailing comment
	_ = b
	return a
}

func NotAllowed() {
	//simvet:allow wallclock this line has no finding // want `//simvet:allow wallclock allows nothing on the line it applies to; remove it`
	_ = 1
	//simvet:allow wallclock applies to the next line only
	_ = time.Now()
	_ = time.Now() // want `time.Now reads`
}
