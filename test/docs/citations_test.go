package docs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// protocolDoc is the protocol description, relative to the repository root.
const protocolDoc = "docs/protocol.md"

// externalProtocol is the name of the protocol description handed to the
// project, which lives outside the repository: nothing may cite it. Built
// from parts so that this file does not cite it either.
var externalProtocol = "PROTOCOL" + ".md"

var (
	// sectionHeading matches a numbered heading: "## 3.2 Collect",
	// "#### 3.2.1 The leader asks", "## 1. Model".
	sectionHeading = regexp.MustCompile(`(?m)^#{1,6}[ \t]+(\d+(?:\.\d+)*)\.?[ \t]`)

	num = `\d+(?:\.\d+)*`
	// A list of sections after the plural: "2, 3.1-3.4 and 7".
	list = num + `(?:\s*(?:,|-|–|\band\b|\bor\b|\bto\b)\s*` + num + `)*`

	// docCitation is a citation of the protocol description by section.
	// It may be code-quoted or a Markdown link: "`docs/protocol.md`
	// section 3", "[protocol.md](protocol.md) sections 1 and 4".
	docCitation = regexp.MustCompile(`(?:docs/)?protocol\.md` + "`?" + `(?:\]\([^)\s]*\))?(?:'s)?,?\s+(?:(sections\s+` + list + `)|section\s+(` + num + `)|§\s*(` + num + `))`)
	// sectionSign is a citation "§3.5" without the file's name.
	sectionSign = regexp.MustCompile(`§\s*(` + num + `)`)
	// selfCitation is "section 3.4" inside docs/protocol.md itself.
	selfCitation = regexp.MustCompile(`\b(?:(sections\s+` + list + `)|section\s+(` + num + `))`)

	numbers = regexp.MustCompile(num)
	// commentBreak joins a line wrapped in a comment or a list item with
	// the next one, so a citation split over two lines still matches.
	commentBreak = regexp.MustCompile(`[ \t]*\r?\n[ \t]*(?://+[ \t]*|\*[ \t]+|>[ \t]*)?`)
)

// sectionsOf returns the section numbers that the headings of a protocol
// description define.
func sectionsOf(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range sectionHeading.FindAllStringSubmatch(text, -1) {
		out[m[1]] = true
	}
	return out
}

// citedSections returns the sections a file's text cites. self reports
// that the text is the protocol description, whose bare "section N" are
// citations of itself.
func citedSections(text string, self bool) []string {
	text = commentBreak.ReplaceAllString(text, " ")
	var out []string
	add := func(groups []string) {
		for _, g := range groups {
			out = append(out, numbers.FindAllString(g, -1)...)
		}
	}
	for _, m := range docCitation.FindAllStringSubmatch(text, -1) {
		add(m[1:])
	}
	for _, m := range sectionSign.FindAllStringSubmatch(text, -1) {
		add(m[1:])
	}
	if self {
		for _, m := range selfCitation.FindAllStringSubmatch(text, -1) {
			add(m[1:])
		}
	}
	return out
}

// checkCitations walks the repository at root and returns one line per
// citation of a section that the protocol description lacks, and per
// mention of the external description.
func checkCitations(root string, skip []string) ([]string, error) {
	raw, err := os.ReadFile(filepath.Join(root, protocolDoc))
	if err != nil {
		return nil, err
	}
	sections := sectionsOf(string(raw))
	if len(sections) == 0 {
		return []string{protocolDoc + ": no numbered section headings"}, nil
	}
	var problems []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || slices.Contains(skip, rel)) {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".proto":
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := string(data)
		for i, line := range strings.Split(text, "\n") {
			if strings.Contains(line, externalProtocol) {
				problems = append(problems, fmt.Sprintf("%s:%d: cites %s, which is not in the repository; cite %s by section instead", rel, i+1, externalProtocol, protocolDoc))
			}
		}
		for _, s := range citedSections(text, rel == protocolDoc) {
			if !sections[s] {
				problems = append(problems, fmt.Sprintf("%s: cites %s section %s, which does not exist", rel, protocolDoc, s))
			}
		}
		return nil
	})
	return problems, err
}

// TestProtocolCitationsExist fails if code, docs or the README cite a
// section of docs/protocol.md that it does not have, or cite the protocol
// description outside the repository.
func TestProtocolCitationsExist(t *testing.T) {
	root := repoRoot(t)
	// This package's own tests cite made-up sections on purpose.
	problems, err := checkCitations(root, []string{"test/docs"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestProtocolDocHasEverySection pins the numbering that citations rely on:
// the sections of the protocol every reader expects to find.
func TestProtocolDocHasEverySection(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), protocolDoc))
	if err != nil {
		t.Fatal(err)
	}
	sections := sectionsOf(string(raw))
	for _, s := range []string{"1", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3", "3.1", "3.2", "3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.3", "3.4", "3.5", "4", "5", "6", "7"} {
		if !sections[s] {
			t.Errorf("%s has no section %s", protocolDoc, s)
		}
	}
	for _, diagram := range []string{"sequenceDiagram"} {
		if n := strings.Count(string(raw), "```mermaid\n"+diagram); n < 2 {
			t.Errorf("%s has %d Mermaid %s blocks, want the message flow of a command and a view change", protocolDoc, n, diagram)
		}
	}
}

func TestCitedSections(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		self bool
		want []string
	}{
		{"one section", "see docs/protocol.md section 3.2 for the rule", false, []string{"3.2"}},
		{"sentence end", "(docs/protocol.md section 7).", false, []string{"7"}},
		{"list and range", "docs/protocol.md sections 2, 3.1-3.4 and 7: the rest", false, []string{"2", "3.1", "3.4", "7"}},
		{"wrapped Go comment", "// pinned by (docs/protocol.md\n// section 4) and more", false, []string{"4"}},
		{"wrapped markdown", "as in `docs/protocol.md`\nsection 6", false, []string{"6"}},
		{"markdown link", "[protocol.md](protocol.md) sections 1 and 4", false, []string{"1", "4"}},
		{"external file is no citation", externalProtocol + " section 3.5", false, nil},
		{"section sign", "the lock of §3.5 holds", false, []string{"3.5"}},
		{"file and section sign", "docs/protocol.md §2.5", false, []string{"2.5", "2.5"}},
		{"singular takes one number", "docs/protocol.md section 3.3, 64 blocks", false, []string{"3.3"}},
		{"bare section outside the doc", "section 9 of the paper", false, nil},
		{"bare section inside the doc", "promise (section 3.2) and rule 4 of section 3.3", true, []string{"3.2", "3.3"}},
		{"no number", "see docs/protocol.md for the protocol", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := citedSections(tc.text, tc.self)
			if !slices.Equal(got, tc.want) {
				t.Errorf("citedSections(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestSectionsOf(t *testing.T) {
	got := sectionsOf("# Title\n## 1. Model\ntext 2.5 here\n### 3.2 Collect\n#### 3.2.1 Ask\n## Appendix\n##3.9 no space\n")
	want := map[string]bool{"1": true, "3.2": true, "3.2.1": true}
	if len(got) != len(want) {
		t.Fatalf("sectionsOf = %v, want %v", got, want)
	}
	for s := range want {
		if !got[s] {
			t.Errorf("sectionsOf misses %s (got %v)", s, got)
		}
	}
}

// TestCheckCitationsFindsEachProblem runs the check on a small repository
// that cites a missing section, one that exists, and the external file.
func TestCheckCitationsFindsEachProblem(t *testing.T) {
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
	write(protocolDoc, "# P\n## 1. Model\n## 3.2 Collect\nas in section 3.2; see section 4\n")
	write("internal/x/x.go", "package x\n\n// Rule of docs/protocol.md section 3.2; and docs/protocol.md\n// sections 1 and 3.3.\n")
	write("README.md", "Read "+externalProtocol+" first.\n")
	write(".git/ignored.md", "docs/protocol.md section 99\n")
	write("internal/x/data.txt", "docs/protocol.md section 98\n")
	problems, err := checkCitations(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"README.md:1: cites " + externalProtocol,
		"docs/protocol.md: cites docs/protocol.md section 4,",
		"internal/x/x.go: cites docs/protocol.md section 3.3,",
	}
	if len(problems) != len(want) {
		t.Fatalf("problems = %q, want %d of them", problems, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(problems[i], w) {
			t.Errorf("problem %d = %q, want it to start with %q", i, problems[i], w)
		}
	}
}
