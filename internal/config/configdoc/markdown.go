package configdoc

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/pompe-bft/pompe/internal/config"
)

const header = `# Configuration reference

<!-- Generated from the doc tags of internal/config by ` + "`go generate ./internal/config/configdoc`" + `; do not edit. -->

A replica reads its settings from ` + "`config/config.toml`" + ` in its home directory (` + "`pompe testnet`" + ` writes one
per replica, every key present and commented). Loading is strict: an unknown key, a value out of range or a
file that does not parse stops the replica with an error naming the file, the key and the value. A key left
out takes the default below. Durations are strings with a unit: ` + "`\"200us\"`, `\"5ms\"`, `\"1m30s\"`" + `.

The cluster itself (id, mode, replica keys and addresses) is in ` + "`config/genesis.toml`" + `, identical on every
replica, and the private key in ` + "`config/node_key.toml`" + `; both are described, with
testnet.toml, client key files and fault schedules, in [formats.md](formats.md).
`

// Markdown returns the reference document.
func Markdown() ([]byte, error) {
	var out bytes.Buffer
	out.WriteString(header)
	def := reflect.ValueOf(config.Default())
	t := def.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		section := tomlName(f)
		fmt.Fprintf(&out, "\n## [%s]\n\n%s\n\n", section, f.Tag.Get("doc"))
		out.WriteString("| key | default | description |\n|---|---|---|\n")
		if err := writeTable(&out, section, def.Field(i)); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

func writeTable(out *bytes.Buffer, path string, v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		key := path + "." + tomlName(f)
		doc := f.Tag.Get("doc")
		if doc == "" {
			return fmt.Errorf("configdoc: %s has no doc tag", key)
		}
		if f.Type.Kind() == reflect.Map {
			// A table of per-entry subtables: document the entry's keys.
			fmt.Fprintf(out, "| `%s.INDEX` | none | %s |\n", key, cell(doc))
			elem := f.Type.Elem()
			for j := range elem.NumField() {
				ef := elem.Field(j)
				fmt.Fprintf(out, "| `%s.INDEX.%s` | the `[%s]` value | %s |\n", key, tomlName(ef), path, cell(ef.Tag.Get("doc")))
			}
			continue
		}
		val, err := tomlValue(v.Field(i).Interface())
		if err != nil {
			return fmt.Errorf("configdoc: %s: %w", key, err)
		}
		fmt.Fprintf(out, "| `%s` | `%s` | %s |\n", key, val, cell(doc))
	}
	return nil
}

// tomlValue renders v as it would be written in config.toml.
func tomlValue(v any) (string, error) {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(map[string]any{"k": v}); err != nil {
		return "", err
	}
	_, val, _ := strings.Cut(strings.TrimSpace(b.String()), " = ")
	return val, nil
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}

func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if name == "" {
		return f.Name
	}
	return name
}
