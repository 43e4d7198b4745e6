package simctx

import "strconv"

// AssertKind names one assertion of package assertions.
type AssertKind uint8

// The kinds of assertion, one per function of package assertions.
const (
	Always AssertKind = iota + 1
	AlwaysOrUnreachable
	Sometimes
	Reachable
	Unreachable
	AlwaysGreaterThan
	AlwaysGreaterThanOrEqual
	AlwaysLessThan
	AlwaysLessThanOrEqual
	SometimesGreaterThan
	SometimesGreaterThanOrEqual
	SometimesLessThan
	SometimesLessThanOrEqual
	SometimesAll
	SometimesEach
	// Eventually is a liveness property of simtest's S.Eventually: it
	// records one outcome per seed, when it holds or its window closes.
	Eventually
)

var kindNames = [...]string{
	Always:                      "Always",
	AlwaysOrUnreachable:         "AlwaysOrUnreachable",
	Sometimes:                   "Sometimes",
	Reachable:                   "Reachable",
	Unreachable:                 "Unreachable",
	AlwaysGreaterThan:           "AlwaysGreaterThan",
	AlwaysGreaterThanOrEqual:    "AlwaysGreaterThanOrEqual",
	AlwaysLessThan:              "AlwaysLessThan",
	AlwaysLessThanOrEqual:       "AlwaysLessThanOrEqual",
	SometimesGreaterThan:        "SometimesGreaterThan",
	SometimesGreaterThanOrEqual: "SometimesGreaterThanOrEqual",
	SometimesLessThan:           "SometimesLessThan",
	SometimesLessThanOrEqual:    "SometimesLessThanOrEqual",
	SometimesAll:                "SometimesAll",
	SometimesEach:               "SometimesEach",
	Eventually:                  "Eventually",
}

// String returns the kind's function name, such as "AlwaysLessThan".
func (k AssertKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "AssertKind(" + strconv.Itoa(int(k)) + ")"
}

// Kinds returns every kind, in declaration order.
func Kinds() []AssertKind {
	out := make([]AssertKind, 0, len(kindNames)-1)
	for k := Always; k <= Eventually; k++ {
		out = append(out, k)
	}
	return out
}

// Numeric reports whether k compares two numbers.
func (k AssertKind) Numeric() bool { return k >= AlwaysGreaterThan && k <= SometimesLessThanOrEqual }

// IsAlways reports whether k must hold every time it is reached, so that
// one false outcome fails the seed: the Always forms, and Unreachable,
// which is false whenever it is reached.
func (k AssertKind) IsAlways() bool {
	return k == Always || k == AlwaysOrUnreachable || k == Unreachable || k == Eventually || k >= AlwaysGreaterThan && k <= AlwaysLessThanOrEqual
}

// An Assertion is one call of an assertion, as package assertions hands it
// to the simulation. It is passed by value, so that a call allocates
// nothing of its own.
type Assertion struct {
	Kind AssertKind
	Msg  string
	// OK reports whether the assertion held: its condition was true, or
	// its comparison held. Reachable and Unreachable set it.
	OK bool
	// Left and Right are a numeric form's operands. A NaN is a misuse
	// that the simulation reports.
	Left, Right float64
	// Duration tells that the operands are time.Durations, for reports.
	Duration bool
	// Conds are SometimesAll's named conditions.
	Conds []Condition
	// Args are key/value pairs: the details of most kinds, the identity
	// (and assertions.Quality values) of SometimesEach.
	Args []any
	// Where, when set, is the place of the call in a program that the
	// simulation runs (package program), whose stack is not the caller's.
	Where *Where
}

// Where is a place in source code.
type Where struct {
	File string
	Line int
	Func string
}

// Condition is one named condition of SometimesAll.
type Condition struct {
	Name  string
	Holds bool
}

// Asserter records assertions. Assert never stops the caller, never
// blocks and never draws randomness.
type Asserter interface {
	Assert(a Assertion)
}
