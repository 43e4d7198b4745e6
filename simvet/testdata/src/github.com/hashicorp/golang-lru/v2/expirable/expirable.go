// Package expirable stands in for github.com/hashicorp/golang-lru/v2/expirable
// in simvet's tests: the names the wallclock rule looks for.
package expirable

import "time"

type EvictCallback[K comparable, V any] func(key K, value V)

type LRU[K comparable, V any] struct{}

func NewLRU[K comparable, V any](size int, onEvict EvictCallback[K, V], ttl time.Duration) *LRU[K, V] {
	return &LRU[K, V]{}
}

func (c *LRU[K, V]) Add(key K, value V) (evicted bool) { return false }
func (c *LRU[K, V]) Get(key K) (value V, ok bool)      { return value, false }
