package timelinehtml_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

func sample() *timelinehtml.Doc {
	return &timelinehtml.Doc{
		Title: "TestKV <seed>", Seed: 1<<63 + 5, Failed: true, EndNS: 2e9,
		Lanes: []string{"driver", "kv-0"},
		Events: []timelinehtml.Event{
			{AtNS: 1e9, Lane: "driver", Kind: timelinehtml.KindFailure, Msg: `error: "</script><script>alert(1)</script>"`},
		},
		Messages: []timelinehtml.Message{{SentNS: 1, ArrivedNS: 5, From: "driver", To: "kv-0", What: "a:1->b:2", Bytes: 3}},
		Disk:     []timelinehtml.DiskOp{{StartNS: 2, EndNS: 9, Lane: "kv-0", What: "sync"}},
		Links:    []timelinehtml.Link{{Name: "history", Href: "h.html"}},
	}
}

func TestWriteMakesOneSelfContainedPage(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, timelinehtml.Write(&b, sample()))
	page := b.String()
	assert.Contains(t, page, "<title>TestKV &lt;seed&gt;</title>")
	assert.Equal(t, 3, strings.Count(page, "</script>"), "the renderer, the data, the call: no script element ends early")
	assert.NotRegexp(t, regexp.MustCompile(`(src|href)=["']?(https?:)?//`), page, "nothing is fetched")
	assert.Contains(t, page, timelinehtml.Script())
	assert.Contains(t, page, timelinehtml.Style())

	// The data reads back as it was, its 64-bit seed whole.
	m := regexp.MustCompile(`(?s)<script id="moonpool-timeline-data" type="application/json">(.*?)</script>`).FindStringSubmatch(page)
	require.NotNil(t, m)
	var got timelinehtml.Doc
	require.NoError(t, json.Unmarshal([]byte(m[1]), &got))
	assert.Empty(t, cmp.Diff(sample(), &got))
	assert.Contains(t, m[1], `"seed":"9223372036854775813"`)
}

func TestWriteNamesANilDoc(t *testing.T) {
	err := timelinehtml.Write(&bytes.Buffer{}, nil)
	assert.EqualError(t, err, "timelinehtml.Write: the Doc is nil; pass the timeline to draw")
}
