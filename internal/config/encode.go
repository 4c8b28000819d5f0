package config

import (
	"bytes"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// encodeDocumented renders a struct of sections as TOML with each section
// and key preceded by its doc tag as a comment. Sections are struct fields;
// a map of structs inside a section becomes subtables.
func encodeDocumented(header string, v any) ([]byte, error) {
	var out bytes.Buffer
	writeComment(&out, header, "")
	rv := reflect.ValueOf(v)
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		name := tomlName(f)
		out.WriteString("\n")
		writeComment(&out, f.Tag.Get("doc"), "")
		fmt.Fprintf(&out, "[%s]\n", name)
		if err := encodeTable(&out, name, rv.Field(i)); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

func encodeTable(out *bytes.Buffer, path string, rv reflect.Value) error {
	rt := rv.Type()
	var subtables []int
	for i := range rt.NumField() {
		f := rt.Field(i)
		if f.Type.Kind() == reflect.Map {
			subtables = append(subtables, i)
			continue
		}
		writeComment(out, f.Tag.Get("doc"), "")
		line, err := encodeKeyValue(tomlName(f), rv.Field(i).Interface())
		if err != nil {
			return fmt.Errorf("%s.%s: %w", path, tomlName(f), err)
		}
		out.WriteString(line)
	}
	for _, i := range subtables {
		f := rt.Field(i)
		sub := path + "." + tomlName(f)
		m := rv.Field(i)
		out.WriteString("\n")
		writeComment(out, f.Tag.Get("doc"), "")
		if m.Len() == 0 {
			if err := writeExampleSubtable(out, sub, f.Type.Elem()); err != nil {
				return err
			}
			continue
		}
		keys := make([]string, 0, m.Len())
		for _, k := range m.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.SortFunc(keys, compareNumericFirst)
		for j, k := range keys {
			if j > 0 {
				out.WriteString("\n")
			}
			fmt.Fprintf(out, "[%s.%s]\n", sub, tomlKey(k))
			if err := encodeTable(out, sub+"."+k, m.MapIndex(reflect.ValueOf(k))); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeExampleSubtable shows, commented out, what an entry would look like.
func writeExampleSubtable(out *bytes.Buffer, path string, elem reflect.Type) error {
	fmt.Fprintf(out, "# [%s.1]\n", path)
	zero := reflect.Zero(elem)
	for i := range elem.NumField() {
		f := elem.Field(i)
		writeComment(out, f.Tag.Get("doc"), "# ")
		line, err := encodeKeyValue(tomlName(f), zero.Field(i).Interface())
		if err != nil {
			return err
		}
		out.WriteString("# " + line)
	}
	return nil
}

func encodeKeyValue(key string, value any) (string, error) {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(map[string]any{key: value}); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeComment(out *bytes.Buffer, doc, indent string) {
	if doc == "" {
		return
	}
	for _, line := range wrap(doc, 76) {
		out.WriteString(indent + "# " + line + "\n")
	}
}

func wrap(s string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(s) {
		if cur.Len() > 0 && cur.Len()+1+len(w) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// tomlKey quotes a key unless it is a bare key.
func tomlKey(k string) string {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Sprintf("%q", k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}

// compareNumericFirst orders "2" before "10".
func compareNumericFirst(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.SortedFunc(maps.Keys(m), compareNumericFirst)
}

// encodeWithHeader renders v with the plain encoder under a comment.
func encodeWithHeader(header string, v any) ([]byte, error) {
	var out bytes.Buffer
	writeComment(&out, header, "")
	out.WriteString("\n")
	if err := toml.NewEncoder(&out).Encode(v); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
