// Package cache stands in for github.com/patrickmn/go-cache in simvet's
// tests: the names the wallclock rule looks for.
package cache

import "time"

const (
	NoExpiration      time.Duration = -1
	DefaultExpiration time.Duration = 0
)

type Item struct {
	Object     interface{}
	Expiration int64
}

type Cache struct{}

func New(defaultExpiration, cleanupInterval time.Duration) *Cache { return &Cache{} }

func NewFrom(defaultExpiration, cleanupInterval time.Duration, items map[string]Item) *Cache {
	return &Cache{}
}

func (c *Cache) Get(k string) (interface{}, bool) { return nil, false }
