package providers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/providers"
)

func TestStaticClusterKeepsReadiness(t *testing.T) {
	self := providers.Peer{Name: "a", Host: "10.0.0.1"}
	c := providers.StaticCluster(self, []providers.Peer{self}, providers.FirstBoot)
	ready, why := providers.Ready(c)
	assert.True(t, ready, "ready at first")
	assert.Empty(t, why)
	providers.SetNotReady(c, "catching up")
	ready, why = providers.Ready(c)
	assert.False(t, ready)
	assert.Equal(t, "catching up", why)
	providers.SetReady(c)
	ready, why = providers.Ready(c)
	assert.True(t, ready)
	assert.Empty(t, why)
}

type bare struct{ providers.Cluster }

func TestAClusterWithoutReadinessIsAlwaysReady(t *testing.T) {
	var c bare
	providers.SetNotReady(c, "ignored")
	ready, _ := providers.Ready(c)
	assert.True(t, ready)
}
