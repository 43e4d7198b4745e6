package simvet

// RuleNames are the names a //simvet:allow directive may give.
var RuleNames = ruleNames
