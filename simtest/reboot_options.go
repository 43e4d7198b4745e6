package simtest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
)

// A RebootOption sets a timing of [Cluster.Stop], [Cluster.Reboot] or
// [Cluster.RebootUnit] (and of an injector's [Faults.Reboot] and
// [Faults.RebootUnit]), so that each duration is named where it is given,
// or the release the process boots into next:
//
//	c.Reboot("kv-0", simtest.Graceful, simtest.Grace(2*time.Second), simtest.DownFor(5*time.Second))
//	c.Reboot("kv-1", simtest.Wipe, simtest.DownFor(time.Second))
//	c.Reboot("kv-2", simtest.Graceful, simtest.Into("v2")) // an upgrade
//	c.Stop("kv-2", simtest.Crash)
//
// The options are [Grace], [DownFor] and [Into]; each is given at most
// once.
type RebootOption interface {
	fmt.Stringer
	apply(*rebootTimes) error
}

// Grace is how long a graceful stop waits for the process to return after
// its context is cancelled before killing what is left: as
// [chaos.Attrition]'s Grace, a positive duration of at most
// [chaos.MaxDuration]. Without it a graceful stop waits [DefaultGrace]; a
// crash, wipe or power loss ignores it, so that one call can serve every
// kind of reboot.
func Grace(d time.Duration) RebootOption { return rebootTime{"Grace", d} }

// DefaultGrace is the grace period of a graceful stop given no [Grace]:
// the longest that [chaos.DefaultAttrition] draws, so that a process which
// stops in time under attrition stops in time when stopped by hand.
const DefaultGrace = 5 * time.Second

// DownFor is how long [Cluster.Reboot] keeps the process down before it
// boots it again, as [chaos.Attrition]'s DownFor: zero or more, and at
// most [chaos.MaxDuration]. Without it the process comes back at once.
// [Cluster.Stop] leaves the process down until [Cluster.Start], so it
// takes no DownFor.
func DownFor(d time.Duration) RebootOption { return rebootTime{"DownFor", d} }

// Into makes the reboot an upgrade or a rollback: the process boots into
// release, one of its group's [Processes.Releases], and every later boot
// (attrition's reboots and wipes, a restart, [Cluster.Start]) keeps it
// until the next Into. Given to [Cluster.Stop], it is the release that
// [Cluster.Start] boots; given to [Cluster.RebootUnit], it reaches the
// processes of the unit whose groups have the release, and the others
// reboot as they are. A process that an injector's [Faults.Reboot] finds
// down, or going down, is not rebooted, but its release is set: it boots
// into it when it comes back, even if the reboot under way was into
// another (the last Into given wins). Into on a group without Releases,
// or naming a release the group lacks (for a unit, that none of its
// groups has), is a configuration error.
func Into(release string) RebootOption { return rebootInto(release) }

type rebootInto string

func (o rebootInto) String() string { return fmt.Sprintf("simtest.Into(%q)", string(o)) }

func (o rebootInto) apply(t *rebootTimes) error {
	switch {
	case t.into != "":
		return fmt.Errorf("Into is given twice; give it once")
	case o == "":
		return fmt.Errorf("%v: the release has no name; name one of the group's Releases", o)
	}
	t.into = string(o)
	return nil
}

type rebootTime struct {
	name string
	d    time.Duration
}

func (o rebootTime) String() string { return fmt.Sprintf("simtest.%s(%v)", o.name, o.d) }

func (o rebootTime) apply(t *rebootTimes) error {
	set, d := &t.graceSet, &t.grace
	if o.name == "DownFor" {
		set, d = &t.downSet, &t.down
	}
	switch {
	case *set:
		return fmt.Errorf("%s is given twice; give it once", o.name)
	case o.d < 0 || o.d > chaos.MaxDuration:
		return fmt.Errorf("%v: a duration is zero or more, and at most chaos.MaxDuration (%v)", o, chaos.MaxDuration)
	}
	*set, *d = true, o.d
	return nil
}

// rebootTimes are the timings a Stop or Reboot was given, and the
// release it boots into ("" for the one the process has).
type rebootTimes struct {
	grace, down       time.Duration
	graceSet, downSet bool
	into              string
	// call is the call as the report writes it, for the errors found
	// once the processes it reaches are known (checkInto).
	call string
}

// rebootTimesOf reads opts for a call of method on target (its first
// arguments, as written in the report), such as
// `Cluster.Reboot("n-0", crash, simtest.DownFor(1s))`. A bad one is a
// mistake in the test's set-up that any seed reaching the call makes
// alike: a configuration error, which keeps no seed.
func (c *Cluster) rebootTimesOf(method, target string, how Reboot, opts []RebootOption) rebootTimes {
	args := []string{target, how.String()}
	for _, o := range opts {
		if o == nil {
			args = append(args, "nil")
		} else {
			args = append(args, o.String())
		}
	}
	call := fmt.Sprintf("Cluster.%s(%s)", method, strings.Join(args, ", "))
	switch how {
	case Graceful, Crash, Wipe, PowerLoss, Kill:
	default:
		c.s.configErrorf("simtest: %s: %v is not a kind of reboot; use simtest.Graceful, simtest.Crash, simtest.Wipe, simtest.PowerLoss or simtest.Kill", call, how)
	}
	var t rebootTimes
	for _, o := range opts {
		if o == nil {
			c.s.configErrorf("simtest: %s: a nil RebootOption was passed; remove it", call)
		}
		if err := o.apply(&t); err != nil {
			c.s.configErrorf("simtest: %s: %v", call, err)
		}
	}
	if method == "Stop" && t.downSet {
		c.s.configErrorf("simtest: %s: Stop leaves the process down until Start, so it takes no DownFor; use Reboot to bring it back after a while", call)
	}
	if how == Graceful && !t.graceSet {
		t.grace = DefaultGrace
	}
	if how == Graceful && t.grace == 0 {
		c.s.configErrorf("simtest: %s: a graceful stop needs a positive grace period to stop in; give simtest.Grace a positive duration, leave it out for simtest.DefaultGrace (%v), or use simtest.Crash to stop at once", call, DefaultGrace)
	}
	t.call = call
	return t
}

// checkInto fails the test for an Into that p cannot boot into: its
// group has no Releases, or not that one.
func (c *Cluster) checkInto(t rebootTimes, p *proc) {
	if t.into == "" {
		return
	}
	spec := p.spec
	switch {
	case len(spec.Releases) == 0:
		c.s.configErrorf("simtest: %s: %s's group %q has no Releases; declare the group's builds in Processes.Releases to boot a process into one", t.call, p.peer.Name, spec.Name)
	case spec.Releases[t.into] == nil:
		c.s.configErrorf("simtest: %s: %q is none of the Releases of %s's group %q (%s); name one of them", t.call, t.into, p.peer.Name, spec.Name, spec.releaseNames())
	}
}

// checkUnitInto fails the test for an Into that no process of a unit,
// ps, can boot into. A machine or a zone holds groups of other builds
// too (a log beside the storage servers): Into reaches the processes
// whose groups have the release, and the others reboot as they are.
func (c *Cluster) checkUnitInto(t rebootTimes, ps []*proc) {
	if t.into == "" || slices.ContainsFunc(ps, func(p *proc) bool { return p.spec.Releases[t.into] != nil }) {
		return
	}
	if len(ps) == 1 {
		c.checkInto(t, ps[0])
		return
	}
	c.s.configErrorf("simtest: %s: no process of the unit has a group with the release %q among its Releases; name a release that one of its groups declares", t.call, t.into)
}

// into sets the release p boots into next, when given one, and returns
// what the timeline adds to the reboot's kind: ", into v2" when the
// release changes, "" when it does not.
func (p *proc) into(release string) string {
	note := p.intoNote(release)
	if note != "" {
		p.release = release
	}
	return note
}

// intoNote is what a line on a reboot of p into release adds to its
// kind: ", into v2" when its group has the release and p runs another.
func (p *proc) intoNote(release string) string {
	if release == "" || release == p.release || p.spec.Releases[release] == nil {
		return ""
	}
	return ", into " + release
}
