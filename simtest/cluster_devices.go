package simtest

import (
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

// devicesUp gives a booting process its host's network and clock and its
// disk.
func (c *Cluster) devicesUp(p *proc, prov *providers.Providers) {
	s := c.s
	h := c.host(p)
	h.PowerOn() // back from a power loss, if that is how it went down
	prov.Network = h
	prov.Time = h.Time()
	d := s.diskSet().Disk(p.diskAddr())
	p.files = d.Process()
	p.diskFailures = failedOps(d.Stats())
	p.diskCalls = s.diskCalls[p.diskAddr()].n
	prov.Storage = p.files.Storage()
}

// host returns p's host, which reads its machine's clock: that of the
// machine's first process to come up.
func (c *Cluster) host(p *proc) *simnet.Host {
	m := p.peer.Locality.Machine
	first, shares := c.clocks[m]
	var h *simnet.Host
	if shares && m != "" {
		h = c.s.network().HostOnClockOf(p.peer.Host, first)
	} else {
		h = c.s.network().Host(p.peer.Host)
	}
	h.SetLocality(p.peer.Locality.DataCenter, p.peer.Locality.Zone)
	if m != "" {
		if shares {
			h.ShareClock(first)
		} else {
			c.clocks[m] = h
		}
	}
	return h
}

// devicesDown applies a reboot to a process's host and disk. The
// connections the process left open are closed by its host, a FIN or a
// reset each as TCP would, except after a power loss, where they vanish in
// silence; the files it left open are closed, whatever becomes of its
// disk. A crash or a power loss drops unsynced writes; a kill keeps
// them, unsynced; a wipe erases the disk; a graceful stop keeps everything
// written. A process that shares its machine leaves the disk as it is.
func (c *Cluster) devicesDown(p *proc, how Reboot) {
	c.processDown(p, how)
	if c.sharesMachine(p) {
		return // the machine and its disk go on: see Topology
	}
	c.s.diskDown(p.diskAddr(), how)
}

// processDown ends what a process held, whatever becomes of its disk: a
// power loss powers its host off, dropping its connections in silence;
// anything else closes them, as the host's operating system would, and the
// timeline tells how the process ended; and the files it left open close.
func (c *Cluster) processDown(p *proc, how Reboot) {
	h := c.host(p)
	switch how {
	case PowerLoss:
		h.PowerOff()
	case Graceful:
		h.Exit("stopped gracefully")
	case Kill:
		h.Exit("killed")
	default: // a crash, and a wipe, which is a crash that erases the disk too
		h.Crash()
	}
	p.files.Exit()
}

// diskDown applies a reboot to the disk at addr: a graceful stop keeps
// everything written, a crash or a power loss drops unsynced writes, a
// kill keeps them unsynced (the machine's page cache holds them), and a
// wipe erases the disk.
func (s *S) diskDown(addr string, how Reboot) {
	d := s.diskSet().Disk(addr)
	switch how {
	case Graceful:
		d.Stop()
	case Crash, PowerLoss:
		d.Crash()
	case Kill:
		d.Kill()
	case Wipe:
		d.Wipe()
	}
}
