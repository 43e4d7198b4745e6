package timelinehtml

// Doc is one seed's timeline as the page draws it. Its JSON form is what
// the script reads; fields may be added, never renamed.
type Doc struct {
	Title string `json:"title"`
	// Seed is the seed drawn; its JSON form is a string, since
	// JavaScript reads numbers as doubles and would round it.
	Seed   uint64 `json:"seed,string"`
	Failed bool   `json:"failed"`
	// Replay is the line that runs the seed again, shown on the page.
	Replay string `json:"replay,omitempty"`
	// EndNS is when the seed ended, in nanoseconds of simulated time.
	EndNS int64 `json:"end_ns"`
	// Lanes are drawn top to bottom in this order; every Lane named
	// below should be among them (one that is not gets a lane at the end).
	Lanes    []string  `json:"lanes"`
	Events   []Event   `json:"events"`
	Messages []Message `json:"messages"`
	// MessagesLeftOut counts the seed's messages that are not among
	// Messages: a page of a large cluster draws those nearest what
	// matters, and Notes say which.
	MessagesLeftOut int      `json:"messages_left_out,omitempty"`
	Disk            []DiskOp `json:"disk"`
	// DiskLeftOut counts the seed's disk operations that are not among
	// Disk, as MessagesLeftOut counts messages.
	DiskLeftOut int `json:"disk_left_out,omitempty"`
	// Spans are stretches of a lane's time, such as a process paused.
	Spans []Span `json:"spans,omitempty"`
	// Links are shown at the top of the page, such as a linearizability
	// checker's own picture of the failing history.
	Links []Link `json:"links,omitempty"`
	// Notes are sentences shown under the page's head, such as what was
	// left out of the picture and where to find it.
	Notes []string `json:"notes,omitempty"`
}

// Event is one entry of the timeline, drawn as a mark on its lane.
type Event struct {
	AtNS int64  `json:"at_ns"`
	Lane string `json:"lane"`
	Task string `json:"task,omitempty"`
	Kind Kind   `json:"kind"`
	Msg  string `json:"msg"`
	// Summary is Msg on one line, for a failure whose message has more:
	// the page's list of failures shows it, and the details the whole.
	Summary string         `json:"summary,omitempty"`
	Level   string         `json:"level,omitempty"` // a log record's, when not INFO
	Attrs   map[string]any `json:"attrs,omitempty"`
}

// Kind is how an Event is drawn.
type Kind string

// The kinds of Event, each drawn its own way; the page has a switch per
// kind to hide it.
const (
	KindFailure Kind = "failure" // an error of the seed: drawn across every lane
	KindFault   Kind = "fault"   // an injected fault: a partition, a reset, a bit flip...
	KindReboot  Kind = "reboot"  // a process going down: crash, power loss, wipe, stop
	KindBoot    Kind = "boot"    // a process starting
	KindDisk    Kind = "disk"    // a disk's own event: a crash's lost writes, a failed sync
	KindBuggify Kind = "buggify" // a buggify site switched on or firing
	KindNet     Kind = "net"     // the network's other events: connects, closes, listens
	KindTask    Kind = "task"    // a task started, finished or killed
	KindPhase   Kind = "phase"   // the seed moving on: setup, run, quiesce, check
	KindLog     Kind = "log"     // a log line of the code under test or the driver
)

// Message is a segment of bytes carried by the simulated network: an arrow
// from its sender's lane when sent to its receiver's when it arrived.
type Message struct {
	SentNS    int64  `json:"sent_ns"`
	ArrivedNS int64  `json:"arrived_ns"`
	From      string `json:"from"`
	To        string `json:"to"`
	Conn      uint64 `json:"conn"`
	What      string `json:"what"` // the connection's ends
	Bytes     int64  `json:"bytes"`
	// Lost: it arrived at an end that could no longer take it.
	Lost bool `json:"lost,omitempty"`
}

// DiskOp is an operation of a lane's disk (a read, write, sync, open,
// rename...), from submitted to done.
type DiskOp struct {
	StartNS int64  `json:"start_ns"`
	EndNS   int64  `json:"end_ns"`
	Lane    string `json:"lane"`
	What    string `json:"what"` // read, write, sync, truncate, open, stat, readdir, mkdir, remove, rename
	File    string `json:"file"` // its file or directory; a rename's "old -> new"
	Bytes   int64  `json:"bytes"`
	// Off is a read's or write's offset, or the size a truncate sets;
	// nil for the other operations.
	Off  *int64 `json:"off,omitempty"`
	Task string `json:"task,omitempty"` // the task that submitted it
	// Asked is what a write cut short (a full disk) was asked to write,
	// beside Bytes, what it wrote; zero for an operation done whole.
	Asked int64 `json:"asked,omitempty"`
	// Err is the error the operation returned, if any.
	Err string `json:"err,omitempty"`
}

// Span is a stretch of time on a lane, drawn as a band across the lane
// from its start to its end, under the marks: a process paused, from its
// pause to its resume. It is shown and hidden with the events of its
// Kind.
type Span struct {
	StartNS int64  `json:"start_ns"`
	EndNS   int64  `json:"end_ns"`
	Lane    string `json:"lane"`
	Kind    Kind   `json:"kind"`
	Msg     string `json:"msg"` // what the stretch is: the line that began it
}

// Link is a named address shown on the page, relative to the page's file.
type Link struct {
	Name string `json:"name"`
	Href string `json:"href"`
}
