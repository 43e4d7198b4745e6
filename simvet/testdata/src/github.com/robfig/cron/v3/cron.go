// Package cron stands in for github.com/robfig/cron/v3 in simvet's tests:
// the names the wallclock rule looks for.
package cron

import "time"

type Option func(*Cron)

type Cron struct{}

func New(opts ...Option) *Cron { return &Cron{} }

func (c *Cron) AddFunc(spec string, cmd func()) (int, error) { return 0, nil }
func (c *Cron) Start()                                       {}

type Schedule interface{ Next(time.Time) time.Time }

func ParseStandard(standardSpec string) (Schedule, error) { return nil, nil }
