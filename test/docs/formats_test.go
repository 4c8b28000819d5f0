package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/pompe-bft/pompe/internal/faults"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// section returns the text of the "## heading..." section of a Markdown
// document, up to the next level-2 heading.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, "\n## "+heading)
	if i < 0 {
		t.Fatalf("no section %q", heading)
	}
	rest := doc[i+1:]
	if j := strings.Index(rest[3:], "\n## "); j >= 0 {
		rest = rest[:j+3]
	}
	return rest
}

// leafKeys returns the names of every key of a decoded TOML document, at
// any depth (tables and arrays of tables included).
func leafKeys(v any, into map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			into[k] = true
			leafKeys(sub, into)
		}
	case []map[string]any:
		for _, sub := range x {
			leafKeys(sub, into)
		}
	case []any:
		for _, sub := range x {
			leafKeys(sub, into)
		}
	}
}

func readFormatsDoc(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "docs/formats.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestFormatsDocCoversGeneratedFiles generates a testnet and checks that
// every key of every file it writes (genesis.toml, node_key.toml,
// testnet.toml, client key files) is documented in its section of
// docs/formats.md.
func TestFormatsDocCoversGeneratedFiles(t *testing.T) {
	doc := readFormatsDoc(t)
	dir := t.TempDir()
	if err := testnet.Generate(testnet.Options{OutDir: dir, N: 4, Clients: 1, FreePorts: true}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, heading string }{
		{"node0/config/genesis.toml", "genesis.toml"},
		{"node0/config/node_key.toml", "node_key.toml and client key files"},
		{"clients/" + testnet.ClientKeyFileName(0), "node_key.toml and client key files"},
		{testnet.SummaryFileName, "testnet.toml"},
	} {
		text := section(t, doc, c.heading)
		var v map[string]any
		if _, err := toml.DecodeFile(filepath.Join(dir, c.file), &v); err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		leafKeys(v, keys)
		if len(keys) == 0 {
			t.Fatalf("%s has no keys", c.file)
		}
		for k := range keys {
			documented := strings.Contains(text, "`"+k+"`") || strings.Contains(text, "`[["+k+"]]`") ||
				regexp.MustCompile(`\.`+regexp.QuoteMeta(k)+"`").MatchString(text)
			if !documented {
				t.Errorf("%s writes key %q, which section %q of docs/formats.md does not document", c.file, k, c.heading)
			}
		}
	}
}

// TestFormatsDocSchedule checks the fault schedule section against
// internal/faults: its example parses, its kinds and presets are the ones
// the code has.
func TestFormatsDocSchedule(t *testing.T) {
	text := section(t, readFormatsDoc(t), "Fault schedules")
	start := strings.Index(text, "```toml\n")
	if start < 0 {
		t.Fatal("no TOML example")
	}
	example := text[start+len("```toml\n"):]
	example = example[:strings.Index(example, "```")]
	s, err := faults.ParseSchedule([]byte(example), 4)
	if err != nil {
		t.Fatalf("the example schedule does not parse: %v", err)
	}
	if len(s.Faults) < 3 {
		t.Errorf("the example holds %d faults, want one of each shape (replicas list, clock, loss)", len(s.Faults))
	}

	var kinds []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| (?:killed|frozen|every|their|a fraction)").FindAllStringSubmatch(text, -1) {
		kinds = append(kinds, m[1])
	}
	var want []string
	for _, k := range faults.Kinds {
		want = append(want, string(k))
	}
	slices.Sort(kinds)
	slices.Sort(want)
	if !slices.Equal(kinds, want) {
		t.Errorf("docs/formats.md documents fault kinds %v, internal/faults has %v", kinds, want)
	}
	for _, p := range faults.Presets {
		if !strings.Contains(text, "`"+p+"`") {
			t.Errorf("preset %q is not in docs/formats.md", p)
		}
	}
}
