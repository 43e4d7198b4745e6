package simtest

import "github.com/moonpool-go/moonpool/providers"

// devicesUp gives a booting process its host's network and clock and its
// disk.
func (c *Cluster) devicesUp(p *proc, prov *providers.Providers) {
	s := c.s
	h := s.network().Host(p.peer.Host)
	prov.Network = h
	prov.Time = h.Time()
	prov.Storage = s.diskSet().Disk(p.peer.Host).Storage()
}

// devicesDown applies a reboot to a process's host and disk: every way
// resets its connections; a crash drops unsynced writes; a wipe erases the
// disk; a graceful stop keeps everything written.
func (c *Cluster) devicesDown(p *proc, how Reboot) {
	s := c.s
	s.network().Host(p.peer.Host).Crash()
	d := s.diskSet().Disk(p.peer.Host)
	switch how {
	case Graceful:
		d.Stop()
	case Crash:
		d.Crash()
	case Wipe:
		d.Wipe()
	}
}
