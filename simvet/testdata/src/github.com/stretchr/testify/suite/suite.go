// Package suite is a stand-in for testify's, enough for simvet's test
// packages to type-check.
package suite

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type Suite struct {
	*assert.Assertions
	require *require.Assertions
	t       *testing.T
}

func (suite *Suite) T() *testing.T { return suite.t }

func (suite *Suite) SetT(t *testing.T) { suite.t = t }

func (suite *Suite) Require() *require.Assertions { return suite.require }

func (suite *Suite) Assert() *assert.Assertions { return suite.Assertions }

func (suite *Suite) Run(name string, subtest func()) bool { return true }

type TestingSuite interface {
	T() *testing.T
	SetT(*testing.T)
}

func Run(t *testing.T, suite TestingSuite) {}
