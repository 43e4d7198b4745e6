package simtest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/simtest"
)

// attrs is a testing.TB that keeps the attributes it is given.
type attrs struct {
	testing.TB
	got [][2]string
}

func (a *attrs) Attr(key, value string) { a.got = append(a.got, [2]string{key, value}) }

// Name and Attr are the test's: the S of every seed answers the test's
// name and hands each attribute to the test's testing.TB.
func TestNameAndAttrAreTheTests(t *testing.T) {
	tb := &attrs{TB: t}
	var names []string
	simtest.Run(tb, func(s *simtest.S) {
		names = append(names, s.Name())
		s.Attr("seed-attr", "x")
	}, simtest.Seeds(2))
	assert.Equal(t, []string{t.Name(), t.Name()}, names)
	assert.Equal(t, [][2]string{{"seed-attr", "x"}, {"seed-attr", "x"}}, tb.got, "once for each seed")
}
