package configdoc

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
)

const docPath = "../../../docs/configuration.md"

// docs/configuration.md must be what the code generates today.
func TestDocumentIsUpToDate(t *testing.T) {
	want, err := Markdown()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.FromSlash(docPath))
	if err != nil {
		t.Fatalf("%v; generate it with: go generate ./internal/config/configdoc", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("docs/configuration.md is out of date with internal/config; regenerate it with: go generate ./internal/config/configdoc")
	}
}

// Every key of every section has a row with its default.
func TestEveryKeyIsDocumented(t *testing.T) {
	doc, err := Markdown()
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	def := reflect.ValueOf(config.Default())
	for i := range def.NumField() {
		section := tomlName(def.Type().Field(i))
		st := def.Field(i).Type()
		for j := range st.NumField() {
			key := "`" + section + "." + tomlName(st.Field(j))
			if !strings.Contains(s, "| "+key) {
				t.Errorf("no row for %s`", key)
			}
		}
	}
	for _, row := range []string{"| `consensus.view_timeout` | `\"500ms\"` |", "| `storage.sync` | `true` |", "| `node.id` | `-1` |"} {
		if !strings.Contains(s, row) {
			t.Errorf("missing %q", row)
		}
	}
}

func TestCellEscapesPipes(t *testing.T) {
	if got := cell("a | b\n  c"); got != `a \| b c` {
		t.Errorf("cell = %q", got)
	}
}
