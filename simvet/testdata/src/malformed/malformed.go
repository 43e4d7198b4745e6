package malformed

import "time"

func Malformed() {
	//simvet:allow // want `//simvet:allow needs a rule and a reason`
	//simvet:allow wallclok typo // want `//simvet:allow names no rule "wallclok"; the rules are goroutine, chan`
	//simvet:allow wallclock // want `//simvet:allow wallclock needs a reason`
	//simvet:alow wallclock reason // want `//simvet:alow is not a directive`
	//simvet:production too late // want `//simvet:production must come before the package clause`
	_ = time.Now()
}
