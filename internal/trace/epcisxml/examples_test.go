package epcisxml

import (
	"encoding/xml"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/conformance"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

// rootAndEventCount reads a file with encoding/xml's own namespace handling,
// independently of the decoder: the document element's name and how many
// event elements sit in its event list.
func rootAndEventCount(t *testing.T, path string) (xml.Name, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	var root xml.Name
	var stack []string
	count := 0
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch s := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				root = s.Name
			}
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			if eventTypes[s.Name.Local] && (parent == "EventList" || parent == "extension") {
				count++
			}
			stack = append(stack, s.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	return root, count
}

func isEPCISDocument(n xml.Name) bool {
	return (n.Local == "EPCISDocument" && (n.Space == nsEPCIS2 || n.Space == nsEPCIS1)) ||
		(n.Local == "EPCISQueryDocument" && (n.Space == nsQuery2 || n.Space == nsQuery1))
}

func xmlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".xml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no XML files under %s", dir)
	}
	return files
}

// Every GS1 XML example that is an EPCIS document decodes, with all of its
// events; the others (capture jobs, master data documents) are refused as
// not being one.
func TestGS1XMLExamplesDecode(t *testing.T) {
	dir := filepath.Join(conformance.Dir(t), "epcis", "XML")
	docs := 0
	for _, p := range xmlFiles(t, dir) {
		rel, _ := filepath.Rel(dir, p)
		t.Run(rel, func(t *testing.T) {
			root, want := rootAndEventCount(t, p)
			got, err := decodeFile(t, p)
			if !isEPCISDocument(root) {
				l, ok := fielderr.As(err)
				if !ok || len(l) != 1 || l[0].Rule != RuleRoot {
					t.Fatalf("%s root: want %s refusal, got %v", root.Local, RuleRoot, err)
				}
				return
			}
			docs++
			if err != nil {
				t.Fatal(err)
			}
			if n := len(events(got)); n != want {
				t.Errorf("%d events, the file has %d", n, want)
			}
			if _, ok := got["epcisHeader"]; want == 0 && !ok {
				t.Error("neither events nor a header")
			}
		})
	}
	if docs < 30 {
		t.Errorf("only %d EPCIS documents among the examples", docs)
	}
}

// The event-hash vectors' XML inputs decode with one event per line of the
// expected pre-hash strings.
func TestEventHashXMLDecode(t *testing.T) {
	dir := filepath.Join(conformance.Dir(t), "epcis-event-hash")
	for _, p := range xmlFiles(t, dir) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			got, err := decodeFile(t, p)
			if err != nil {
				t.Fatal(err)
			}
			pre, err := os.ReadFile(strings.TrimSuffix(p, ".xml") + ".prehashes")
			if err != nil {
				t.Fatal(err)
			}
			lines := 0
			for _, l := range strings.Split(string(pre), "\n") {
				if strings.TrimSpace(l) != "" {
					lines++
				}
			}
			if n := len(events(got)); n != lines {
				t.Errorf("%d events, %d pre-hash lines", n, lines)
			}
		})
	}
}
