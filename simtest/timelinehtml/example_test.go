package timelinehtml_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

// A Doc drawn by hand: the driver sends kv-0 a request, kv-0 crashes, and
// the driver's check fails. simtest makes such Docs from a seed's timeline
// (-simhtml, simtest.TimelineHTML, simtest.TimelineDoc).
func ExampleWrite() {
	doc := &timelinehtml.Doc{
		Title: "a request lost in a crash", Seed: 42, Failed: true, EndNS: 3e9,
		Lanes: []string{"driver", "kv-0"},
		Events: []timelinehtml.Event{
			{AtNS: 1e9, Lane: "kv-0", Kind: timelinehtml.KindReboot, Msg: "reboot: kv-0 (crash)"},
			{AtNS: 2e9, Lane: "driver", Kind: timelinehtml.KindFailure, Msg: "error: the write was lost"},
		},
		Messages: []timelinehtml.Message{{SentNS: 0.5e9, ArrivedNS: 0.6e9, From: "driver", To: "kv-0", What: "10.0.0.254:49152->kv-0:7070", Bytes: 32}},
	}
	path := filepath.Join(os.TempDir(), "timeline-example.html")
	f, err := os.Create(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(path)
	if err := timelinehtml.Write(f, doc); err != nil {
		fmt.Println(err)
	}
	if err := f.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("open it in a browser: no network needed")
	// Output: open it in a browser: no network needed
}
