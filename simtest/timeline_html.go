package simtest

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

// picture is what the HTML timeline of a seed draws besides its timeline:
// the devices' operations, which lane each host is, when the seed ended,
// and the files the seed attached.
type picture struct {
	ops  []sim.Op
	opAt []int // for each op, how many timeline entries came before it, those left out included
	// cut is what the kept timeline left out, past its bound, keepMax.
	cut     timelineCut
	keepMax int
	hosts   map[string]string // host -> lane
	// machines holds the machine of each process a Topology placed, by
	// the process's lane: the machine's disk is a lane of its own.
	machines map[string]string
	// onHost holds the hosts of S.HostProviders whose Task started tasks:
	// their entries carry the host as their process.
	onHost      map[string]bool
	end         time.Duration
	attachments []attachment
}

// attachment is a file of S.Attach.
type attachment struct {
	name string
	data []byte
}

// Attach keeps data as a file that the seed's HTML timeline (-simhtml,
// [TimelineHTML]) links to, by name: a checker's own picture of what
// failed, such as porcupine's visualization of a history that is not
// linearizable. The file is written beside the page, named as the page
// but for its extension, then name: "porcupine.html" beside seed.html is
// seed.porcupine.html, so that the pages of several tests in one directory
// keep their own. The report's line that names the page names it too. It
// does nothing when no HTML timeline is asked for; ask [S.Drawing] before
// making data that costs. name is a file name, with no directory.
func (s *S) Attach(name string, data []byte) {
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." {
		panic(fmt.Sprintf("simtest: S.Attach(%q): the name must be a file name with no directory, such as %q", name, "history.html"))
	}
	if s.Drawing() {
		s.obs.attached = append(s.obs.attached, attachment{name: name, data: slices.Clone(data)})
	}
}

// Drawing reports whether the seed's timeline may be drawn as HTML, so
// that what [S.Attach] keeps is used.
func (s *S) Drawing() bool {
	return s.obs != nil && s.obs.drawing
}

// picture gathers the seed's picture, as it ends.
func (o *observer) picture() *picture {
	o.trimTimeline()
	p := &picture{ops: o.ops, opAt: o.opAt, cut: o.cut, keepMax: o.keepMax, end: o.w.Now(), attachments: o.attached, hosts: map[string]string{DriverHost: "driver"}}
	if o.s != nil && o.s.cluster != nil {
		for _, pr := range o.s.cluster.procs {
			p.hosts[pr.peer.Host] = pr.peer.Name
			if m := pr.peer.Locality.Machine; m != "" {
				if p.machines == nil {
					p.machines = map[string]string{}
				}
				p.machines[pr.peer.Name] = m
			}
		}
	}
	if o.s != nil && len(o.s.hostTasks) > 0 {
		p.onHost = map[string]bool{}
		for h := range o.s.hostTasks {
			p.onHost[h] = true
		}
	}
	return p
}

// timelineDoc draws the kept seed's timeline as a Doc.
func (r *runner) timelineDoc(ra *runAsserts, stopped *seedOutcome) *timelinehtml.Doc {
	pic := ra.pic
	if pic == nil {
		pic = &picture{}
	}
	d := &timelinehtml.Doc{Seed: ra.timelineSeed, EndNS: int64(pic.end)}
	d.Title = r.t.Name() + ", " + runName(ra.timelineSeed, ra.timelineRecipe)
	if stopped != nil && stopped.res.Seed == ra.timelineSeed && stopped.failed() {
		d.Failed = true
		d.Replay = r.replayFor(stopped)
	}
	lanes := map[string]bool{"driver": true}
	lane := func(host string) string {
		if l, ok := pic.hosts[host]; ok {
			return l
		}
		return host
	}
	for _, e := range ra.timeline {
		kind, l, isHost := eventKind(e)
		switch {
		case isHost:
			l = lane(l)
		case e.Process != "":
			if pic.onHost[e.Process] {
				l = lane(e.Process) // a task of S.HostProviders' host
			}
		default:
			// A datagram lost on its way is the network's doing, at
			// no task: draw it on its sender's lane. A socket of a
			// host of S.HostProviders that a driver's task opened or
			// closed is drawn on that host's lane.
			if rest, ok := strings.CutPrefix(e.Msg, "net: datagram "); ok {
				from, _, _ := strings.Cut(rest, " ")
				if host, _, err := net.SplitHostPort(from); err == nil {
					l = lane(host)
				}
			} else if host := socketHost(e.Msg); pic.onHost[host] {
				l = lane(host)
			}
		}
		lanes[l] = true
		ev := timelinehtml.Event{AtNS: int64(e.At), Lane: l, Task: e.Task, Kind: kind, Msg: e.Msg, Attrs: attrMap(e.Attrs)}
		if e.Level.String() != "INFO" {
			ev.Level = e.Level.String()
		}
		if s := errorSummary(e); s != e.Msg {
			ev.Summary = s
		}
		d.Events = append(d.Events, ev)
		d.EndNS = max(d.EndNS, int64(e.At))
	}
	d.Spans = append(pauseSpans(d.Events, d.EndNS), partitionSpans(d.Events, d.EndNS, lane)...)
	for _, op := range pic.ops {
		switch op.Kind {
		case sim.OpMessage:
			m := timelinehtml.Message{SentNS: int64(op.Start), ArrivedNS: int64(op.End), From: lane(op.From), To: lane(op.To),
				Conn: op.Conn, What: op.What, Bytes: op.Bytes, Lost: op.Lost}
			lanes[m.From], lanes[m.To] = true, true
			d.Messages = append(d.Messages, m)
		case sim.OpDisk:
			l := lane(op.From) // a disk is named after its process's host, or its machine
			if op.From == DriverDisk {
				l = "driver"
			}
			lanes[l] = true
			dop := timelinehtml.DiskOp{StartNS: int64(op.Start), EndNS: int64(op.End), Lane: l, What: strings.TrimPrefix(op.What, "disk "), File: op.File, Bytes: op.Bytes, Task: op.Task}
			if op.Off >= 0 {
				off := op.Off // not &op.Off, which would keep the whole op on the heap
				dop.Off = &off
			}
			if op.Asked > op.Bytes {
				dop.Asked = op.Asked
			}
			if op.Err != nil {
				dop.Err = op.Err.Error()
			}
			d.Disk = append(d.Disk, dop)
		}
	}
	d.Lanes = append(d.Lanes, "driver")
	delete(lanes, "driver")
	d.Lanes = append(d.Lanes, laneOrder(slices.Collect(maps.Keys(lanes)), pic.machines)...)
	if note := pic.cutNote(); note != "" {
		d.Notes = append(d.Notes, note+".")
	}
	trimMessages(d, htmlMessageBudget)
	trimDisk(d, htmlDiskBudget)
	return d
}

// htmlMessageBudget is how many messages a page draws at most: a browser
// drawing a large cluster's hundreds of thousands of arrows takes minutes
// to open the page, and shows a wall of them.
const htmlMessageBudget = 20_000

// htmlDiskBudget is how many disk operations a page draws at most, as
// htmlMessageBudget bounds its messages: a long seed's disks do hundreds
// of thousands.
const htmlDiskBudget = 20_000

// trimMessages keeps the budget's worth of d's messages nearest its first
// failure, or its end when none failed, and says on the page how many it
// left out.
func trimMessages(d *timelinehtml.Doc, budget int) {
	kept, left, at, where := nearest(d, d.Messages, budget, func(m timelinehtml.Message) (int64, int64) { return m.SentNS, m.ArrivedNS })
	if left == 0 {
		return
	}
	d.Messages = kept
	d.MessagesLeftOut = left
	d.Notes = append(d.Notes, fmt.Sprintf("%d of %d messages are drawn, those nearest %s (sent from %v on); the other %d are left out, and the JSON lines of -simtimeline do not carry messages.",
		budget, budget+left, where, time.Duration(at), left))
}

// trimDisk keeps the budget's worth of d's disk operations nearest its
// first failure, or its end, as trimMessages does messages.
func trimDisk(d *timelinehtml.Doc, budget int) {
	kept, left, at, where := nearest(d, d.Disk, budget, func(op timelinehtml.DiskOp) (int64, int64) { return op.StartNS, op.EndNS })
	if left == 0 {
		return
	}
	d.Disk = kept
	d.DiskLeftOut = left
	d.Notes = append(d.Notes, fmt.Sprintf("%d of %d disk operations are drawn, those nearest %s (submitted from %v on); the other %d are left out. -simtimeline=FILE on the replay line writes them as JSON lines, up to -simtimelinemax.",
		budget, budget+left, where, time.Duration(at), left))
}

// nearest keeps, in their order, the budget's worth of items whose
// stretch of time (span) is nearest d's first failure, or its end when
// none failed: the items kept, how many it left out, the start of the
// first kept, and what they are nearest ("the end", "the first
// failure").
func nearest[T any](d *timelinehtml.Doc, items []T, budget int, span func(T) (int64, int64)) (kept []T, left int, first int64, where string) {
	if len(items) <= budget {
		return items, 0, 0, ""
	}
	at, where := d.EndNS, "the end"
	for _, e := range d.Events {
		if e.Kind == timelinehtml.KindFailure {
			at, where = e.AtNS, "the first failure"
			break
		}
	}
	distance := func(x T) int64 {
		switch start, end := span(x); {
		case end < at:
			return at - end
		case start > at:
			return start - at
		}
		return 0 // under way at the time
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(distance(items[a]), distance(items[b]))
	})
	keep := make([]bool, len(items))
	for _, i := range order[:budget] {
		keep[i] = true
	}
	kept = make([]T, 0, budget)
	for i, x := range items {
		if keep[i] {
			kept = append(kept, x)
		}
	}
	first, _ = span(kept[0])
	return kept, len(items) - budget, first, where
}

// laneOrder sorts the lanes after the driver's: by name, numbers compared
// as numbers (node-2 before node-10), and a machine's lane, its disk's,
// right after the first of its processes' lanes, so that each process
// keeps its machine beside it.
func laneOrder(lanes []string, machines map[string]string) []string {
	// A machine's lane sorts as its first process, after it.
	firstOn := map[string]string{}
	for proc, m := range machines {
		if f, ok := firstOn[m]; !ok || naturalCompare(proc, f) < 0 {
			firstOn[m] = proc
		}
	}
	key := func(l string) (string, int) {
		if p, ok := firstOn[l]; ok {
			return p, 1
		}
		return l, 0
	}
	slices.SortFunc(lanes, func(a, b string) int {
		ka, sa := key(a)
		kb, sb := key(b)
		if c := naturalCompare(ka, kb); c != 0 {
			return c
		}
		if c := cmp.Compare(sa, sb); c != 0 {
			return c
		}
		return naturalCompare(a, b)
	})
	return lanes
}

// naturalCompare compares a and b as strings, but for runs of digits,
// which compare as the numbers they write: "node-2" before "node-10".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if !da || !db {
			if a[0] != b[0] {
				return cmp.Compare(a[0], b[0])
			}
			a, b = a[1:], b[1:]
			continue
		}
		na, nb := digitRun(a), digitRun(b)
		// Without their leading zeros, the longer number is the larger.
		ta, tb := strings.TrimLeft(a[:na], "0"), strings.TrimLeft(b[:nb], "0")
		if c := cmp.Compare(len(ta), len(tb)); c != 0 {
			return c
		}
		if c := strings.Compare(ta, tb); c != 0 {
			return c
		}
		if c := cmp.Compare(na, nb); c != 0 {
			return c // "01" after "1"
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digitRun returns the length of the run of digits s begins with.
func digitRun(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// partitionSpans returns the stretches that partitions and isolations cut
// hosts off, drawn on the lanes (lane maps a host to its lane) of the
// side with fewer hosts, the one cut off: from each manual partition or
// isolation to the next heal (or, for a partition, a heal between its
// sides), and from each random partition to its end or a heal; to the
// seed's end, end, when none comes.
func partitionSpans(events []timelinehtml.Event, end int64, lane func(host string) string) []timelinehtml.Span {
	var spans []timelinehtml.Span
	ended := func(c cut, at time.Duration) {
		for _, h := range c.off {
			spans = append(spans, timelinehtml.Span{StartNS: int64(c.start), EndNS: int64(at), Lane: lane(h), Kind: timelinehtml.KindFault, Msg: c.msg})
		}
	}
	var open cuts
	for _, e := range events {
		open.hear(time.Duration(e.AtNS), e.Msg, ended)
	}
	open.end(time.Duration(end), ended)
	return spans
}

// pauseSpans returns the stretches that processes spent paused, drawn on
// their lanes: from each pause ("pause: srv-0 paused for 3s", with what
// may follow) to its resume, to the process going down first (a paused
// process killed as it stands), or, when neither comes, to the end of its
// length or of the seed, end.
func pauseSpans(events []timelinehtml.Event, end int64) []timelinehtml.Span {
	var spans []timelinehtml.Span
	open := map[string]int{} // lane -> its pause's index in spans
	for _, e := range events {
		if e.Kind != timelinehtml.KindReboot {
			continue
		}
		if i, ok := open[e.Lane]; ok {
			spans[i].EndNS = e.AtNS // resumed, or went down
			delete(open, e.Lane)
		}
		rest, ok := strings.CutPrefix(e.Msg, "pause: ")
		if !ok {
			continue
		}
		_, length, ok := strings.Cut(rest, " paused for ")
		if !ok {
			continue
		}
		length, _, _ = strings.Cut(length, ",")
		stop := end
		if d, err := time.ParseDuration(length); err == nil {
			stop = min(end, e.AtNS+int64(d))
		}
		open[e.Lane] = len(spans)
		spans = append(spans, timelinehtml.Span{StartNS: e.AtNS, EndNS: stop, Lane: e.Lane, Kind: timelinehtml.KindReboot, Msg: e.Msg})
	}
	return spans
}

// faultRE matches the network's events that are faults it injected, or
// that a reboot other than a graceful stop caused. A graceful stop's host
// line counts the resets of the connections it closed, as a crash's does,
// so eventKind tells it apart by its words. A datagram's faults are told
// by kindOf, as the report counts them.
var faultRE = regexp.MustCompile(`partition|isolate|reset|partial (read|write)|slow packet|slow link [^ ]+ -> [^ ]+:|clog|flip|crashed|killed|lost power|hang|blackhole|silently|drop`)

// eventKind sorts a timeline entry into the kind of mark it is drawn as,
// and the lane it is drawn on: a process's, or, when isHost, the lane of
// the host (or the disk) it names.
func eventKind(e sim.Entry) (kind timelinehtml.Kind, lane string, isHost bool) {
	l := e.Process
	if l == "" {
		l = "driver"
	}
	_, rest, _ := strings.Cut(e.Msg, ": ")
	subject, _, _ := strings.Cut(rest, " ")
	switch {
	case e.Name == "error":
		return timelinehtml.KindFailure, l, false
	case e.Name == "boot":
		return timelinehtml.KindBoot, subject, false
	case e.Event && (e.Name == "reboot" || e.Name == "stop" && e.Task == "" && e.Process == "" || e.Name == "down"):
		return timelinehtml.KindReboot, subject, false
	case e.Event && (e.Name == "pause" || e.Name == "resume") && e.Task == "" && e.Process == "":
		// A pause stops the process, on its lane, as a reboot does.
		return timelinehtml.KindReboot, subject, false
	case e.Name == "exit":
		return timelinehtml.KindReboot, l, false
	case e.Event && strings.HasPrefix(e.Name, "disk "):
		// A disk is named after its process's host, or its machine.
		return timelinehtml.KindDisk, strings.TrimPrefix(e.Name, "disk "), true
	case strings.HasPrefix(e.Name, "buggify"):
		return timelinehtml.KindBuggify, l, false
	case strings.HasPrefix(e.Name, "task "):
		return timelinehtml.KindTask, l, false
	case e.Name == "phase":
		return timelinehtml.KindPhase, l, false
	case e.Event && e.Name == "net" && (faultRE.MatchString(rest) && !strings.Contains(rest, " stopped gracefully: ") ||
		strings.HasPrefix(rest, "datagram ") && kindOf(e) == networkFault):
		if h, ok := strings.CutPrefix(rest, "host "); ok {
			host, _, _ := strings.Cut(h, " ")
			return timelinehtml.KindFault, host, true
		}
		if host, ok := strings.CutPrefix(rest, "isolate "); ok {
			return timelinehtml.KindFault, host, true
		}
		return timelinehtml.KindFault, l, false
	case e.Name == "net":
		return timelinehtml.KindNet, l, false
	}
	return timelinehtml.KindLog, l, false
}

// socketPrefixes begin the network's lines about a socket of the host
// whose address follows: the task that wrote them acted on that host.
var socketPrefixes = []string{"net: connected ", "net: close listener ", "net: close packet socket ", "net: close ", "net: reset ", "net: listen on ", "net: connect "}

// socketHost returns the host whose socket a network's line is about, or
// "".
func socketHost(msg string) string {
	for _, p := range socketPrefixes {
		if rest, ok := strings.CutPrefix(msg, p); ok {
			addr, _, _ := strings.Cut(rest, " ")
			addr, _, _ = strings.Cut(addr, "->")
			if host, _, err := net.SplitHostPort(addr); err == nil {
				return host
			}
			return addr // a connect's line names its host alone
		}
	}
	return ""
}

// writeHTML writes the HTML timeline to f, which it closes, and the
// seed's attachments beside it, linked; also follows the page's path in
// the line that names it.
func (r *runner) writeHTML(f *os.File, also string, d *timelinehtml.Doc, pic *picture) {
	t := r.t
	t.Helper()
	path := f.Name()
	var written []string
	if pic != nil {
		base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		for _, a := range pic.attachments {
			name := base + "." + a.name
			if err := os.WriteFile(filepath.Join(filepath.Dir(path), name), a.data, 0o666); err != nil {
				t.Errorf("simtest: writing the HTML timeline's attachment %s: %v", a.name, err)
				continue
			}
			written = append(written, name)
			// A reference, not a path: a test's name may hold a '#' (a
			// subtest's second of one name), a '%' or a ':', which a
			// browser would read as a fragment, an escape or a scheme.
			href := (&url.URL{Path: name}).String()
			d.Links = append(d.Links, timelinehtml.Link{Name: a.name, Href: href})
		}
	}
	if len(written) > 0 {
		also += ", and beside it its " + pluralWord(len(written), "attachment ", "attachments ") + strings.Join(written, ", ")
	}
	r.writeTo("the HTML timeline", f, also, func(w io.Writer) error {
		return timelinehtml.Write(w, d)
	})
}
