package maporder

import (
	"errors"
	"fmt"
)

// A test's check that returns the first entry failing it, named in the
// error: its message differs on every replay of the seed that failed it.
// One that does not name the entry, and the same loop outside a test's
// file (Last's validation), are left alone.
func checkRanOnce(m map[string]int) error {
	for k, v := range m { // want `stops at the first entry that passes a condition \(return\), so when several pass, that order picks the one it takes`
		if v > 1 {
			return fmt.Errorf("job %s ran %d times", k, v)
		}
	}
	return nil
}

func checkNoneTwice(m map[string]int) error {
	for _, v := range m {
		if v > 1 {
			return errors.New("a job ran twice")
		}
	}
	return nil
}

func checkEach(m map[string]func() error) error {
	for _, f := range m {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

var _, _, _ = checkRanOnce, checkNoneTwice, checkEach

type job struct{ ID string }

// A search for one entry names it, but the order picks nothing.
func checkWanted(m map[string]int, want string) error {
	for k, v := range m {
		if k == want && v > 1 {
			return fmt.Errorf("job %s ran %d times", k, v)
		}
	}
	return nil
}

// A field of the value names the entry as the key does.
func checkJobs(m map[int]job) error {
	for _, j := range m { // want `stops at the first entry that passes a condition \(return\), so when several pass, that order picks the one it takes`
		if j.ID == "" {
			return fmt.Errorf("job %v has no ID", j)
		}
	}
	return nil
}

// A count of the map is not its entry.
func checkCount(m map[string]int) error {
	for _, v := range m {
		if v > 1 {
			return fmt.Errorf("%d jobs, one ran twice", len(m))
		}
	}
	return nil
}

var _, _, _ = checkWanted, checkJobs, checkCount
