package simvet

// RuleNames are the names a //simvet:allow directive may give.
var RuleNames = ruleNames

// TimeLibCalls are the library calls the wallclock rule knows, each as
// its import path, its receiver's type ("" for a function) and its name.
func TimeLibCalls() (calls [][3]string) {
	for _, l := range timeLibs {
		for _, path := range l.paths {
			for _, name := range l.names {
				calls = append(calls, [3]string{path, l.recv, name})
			}
		}
	}
	return calls
}
