package docs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// mdLink is an inline Markdown link or image: [text](target).
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// fence is a fenced code block, whose text is not Markdown.
	fence = regexp.MustCompile("(?ms)^```.*?^```")
	// heading is an ATX heading line.
	heading = regexp.MustCompile(`(?m)^#{1,6}[ \t]+(.+?)[ \t]*#*$`)
	// slugDrop is what GitHub drops from a heading to make its anchor.
	slugDrop = regexp.MustCompile(`[^\p{L}\p{N}\- _]`)
)

// anchorOf is the anchor GitHub gives a heading: lower case, punctuation
// dropped, spaces turned into hyphens.
func anchorOf(h string) string {
	h = strings.ReplaceAll(h, "`", "")
	h = slugDrop.ReplaceAllString(strings.ToLower(h), "")
	return strings.ReplaceAll(h, " ", "-")
}

// anchorsOf returns the anchors of a Markdown document's headings (a
// repeated heading gets -1, -2, ... as on GitHub).
func anchorsOf(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, m := range heading.FindAllStringSubmatch(fence.ReplaceAllString(text, ""), -1) {
		a := anchorOf(m[1])
		if n := seen[a]; n > 0 {
			out[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

// checkLinks returns one line per relative link in a Markdown file under
// root whose target file, or whose anchor in a Markdown target, does not
// exist.
func checkLinks(root string) ([]string, error) {
	var problems []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if filepath.Ext(path) != ".md" {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		text := fence.ReplaceAllString(string(raw), "")
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			dest := path
			if file != "" {
				dest = filepath.Join(filepath.Dir(path), filepath.FromSlash(file))
				if _, err := os.Stat(dest); err != nil {
					problems = append(problems, fmt.Sprintf("%s: link %q: no such file", rel, target))
					continue
				}
			}
			if anchor == "" || filepath.Ext(dest) != ".md" {
				continue
			}
			body, err := os.ReadFile(dest)
			if err != nil {
				return err
			}
			if !anchorsOf(string(body))[anchor] {
				problems = append(problems, fmt.Sprintf("%s: link %q: no heading with that anchor", rel, target))
			}
		}
		return nil
	})
	return problems, err
}

// TestMarkdownLinksResolve fails on a relative link in the README or the
// docs to a file that does not exist, or to a heading that does not.
func TestMarkdownLinksResolve(t *testing.T) {
	problems, err := checkLinks(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func TestAnchorOf(t *testing.T) {
	for h, want := range map[string]string{
		"3.2 Collect":                                    "32-collect",
		"1. Model and properties":                        "1-model-and-properties",
		"genesis.toml: the cluster":                      "genesistoml-the-cluster",
		"Overview: one command from client to execution": "overview-one-command-from-client-to-execution",
		"`pompe_` series (Go runtime)":                   "pompe_-series-go-runtime",
		"Appendix: bounds and what happens at them":      "appendix-bounds-and-what-happens-at-them",
	} {
		if got := anchorOf(h); got != want {
			t.Errorf("anchorOf(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestCheckLinksFindsBrokenOnes(t *testing.T) {
	root := t.TempDir()
	write := func(rel, text string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("docs/a.md", "# A\n## 2.1 Step one\nSee [b](b.md#intro), [self](#21-step-one), [gone](#nothing), [web](https://example.com/x.md).\n```\n[in code](missing.md)\n```\n")
	write("docs/b.md", "# B\n## Intro\n")
	write("README.md", "[a](docs/a.md) [c](docs/c.md) [b](docs/b.md#outro)\n")
	problems, err := checkLinks(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`README.md: link "docs/c.md": no such file`,
		`README.md: link "docs/b.md#outro": no heading with that anchor`,
		`docs/a.md: link "#nothing": no heading with that anchor`,
	}
	if strings.Join(problems, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
}
