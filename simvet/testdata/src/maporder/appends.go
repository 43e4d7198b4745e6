package maporder

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

func byText(x, y error) int { return strings.Compare(x.Error(), y.Error()) }

// Two loops append to one slice, sorted before its use: the second loop's
// append adds to the slice and carries no order out.
func TwoLoopsSorted(a, b map[int]int) error {
	var errs []error
	for k := range a {
		errs = append(errs, fmt.Errorf("a %d", k))
	}
	for k := range b {
		errs = append(errs, fmt.Errorf("b %d", k))
	}
	slices.SortFunc(errs, byText)
	return errors.Join(errs...)
}

// A loop, an append outside any loop, then the sort: fine too.
func AppendThenSorted(a map[int]int, last error) error {
	var errs []error
	for k := range a {
		errs = append(errs, fmt.Errorf("a %d", k))
	}
	errs = append(errs, last)
	slices.SortFunc(errs, byText)
	return errors.Join(errs...)
}

// Two loops, never sorted: both carry their order into the use.
func TwoLoopsUnsorted(a, b map[int]int) error {
	var errs []error
	for k := range a { // want `an append to errs, used after the loop unsorted`
		errs = append(errs, fmt.Errorf("a %d", k))
	}
	for k := range b { // want `an append to errs, used after the loop unsorted`
		errs = append(errs, fmt.Errorf("b %d", k))
	}
	return errors.Join(errs...)
}

// An append that copies the slice into another variable uses it: the copy
// is in the map's order.
func AppendCopy(a map[int]int) []error {
	var errs []error
	for k := range a { // want `an append to errs, used after the loop unsorted`
		errs = append(errs, fmt.Errorf("a %d", k))
	}
	out := append(errs, nil)
	slices.SortFunc(errs, byText)
	return out
}
