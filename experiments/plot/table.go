package main

import (
	"fmt"
	"io"
	"strings"
)

// maxColumns bounds a table's width; more is a malformed --columns.
const maxColumns = 32

// column is one table column: a summary field and its header.
type column struct {
	field, header string
}

// parseColumns reads "field:Header,field2:Header 2"; a header defaults to the
// field name.
func parseColumns(spec string) ([]column, error) {
	var cols []column
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		field, header, found := strings.Cut(item, ":")
		if !found {
			header = field
		}
		field, header = strings.TrimSpace(field), strings.TrimSpace(header)
		if field == "" {
			return nil, fmt.Errorf("--columns %q: a column without a field name", spec)
		}
		cols = append(cols, column{field: field, header: header})
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("--columns %q: no column", spec)
	}
	if len(cols) > maxColumns {
		return nil, fmt.Errorf("--columns: %d columns, at most %d", len(cols), maxColumns)
	}
	return cols, nil
}

// writeTable prints one Markdown row per summary. Text columns are left
// aligned, the others right aligned.
func writeTable(w io.Writer, runs []summary, cols []column) error {
	var b strings.Builder
	b.WriteString("|")
	for _, c := range cols {
		b.WriteString(" " + c.header + " |")
	}
	b.WriteString("\n|")
	for _, c := range cols {
		if isTextField(runs, c.field) {
			b.WriteString("---|")
		} else {
			b.WriteString("---:|")
		}
	}
	b.WriteString("\n")
	for _, r := range runs {
		b.WriteString("|")
		for _, c := range cols {
			b.WriteString(" " + r.text(c.field) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func isTextField(runs []summary, field string) bool {
	for _, r := range runs {
		if v, ok := r.lookup(field); ok {
			_, isString := v.(string)
			return isString
		}
	}
	return false
}

// pairRow is one setting (the key fields' values) measured in both modes.
type pairRow struct {
	key             string
	pompe, hotstuff *summary
}

// pairByMode groups runs by the key fields and splits each group by mode,
// keeping the runs' order.
func pairByMode(runs []summary, keys []string) []pairRow {
	var rows []pairRow
	index := map[string]int{}
	for i := range runs {
		parts := make([]string, len(keys))
		for k, f := range keys {
			parts[k] = f + "=" + runs[i].text(f)
		}
		key := strings.Join(parts, ", ")
		at, seen := index[key]
		if !seen {
			at = len(rows)
			index[key] = at
			rows = append(rows, pairRow{key: key})
		}
		switch runs[i].text("mode") {
		case "pompe":
			rows[at].pompe = &runs[i]
		case "hotstuff":
			rows[at].hotstuff = &runs[i]
		}
	}
	return rows
}

// writePairTable compares one field between the modes for every setting:
// Pompe, HotStuff, their difference and ratio, and optional Pompe-only
// columns (such as the ordering phase's latency).
func writePairTable(w io.Writer, runs []summary, keys []string, field, header string, also []column) error {
	var b strings.Builder
	b.WriteString("| setting | pompe " + header + " | hotstuff " + header + " | pompe - hotstuff | pompe / hotstuff |")
	for _, c := range also {
		b.WriteString(" pompe " + c.header + " |")
	}
	b.WriteString("\n|---|---:|---:|---:|---:|")
	for range also {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, row := range pairByMode(runs, keys) {
		p, pok := numberOf(row.pompe, field)
		h, hok := numberOf(row.hotstuff, field)
		diff, ratio := missing, missing
		if pok && hok {
			diff = formatNumber(p - h)
			if h != 0 {
				ratio = fmt.Sprintf("%.2f", p/h)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |", row.key, textOf(row.pompe, field), textOf(row.hotstuff, field), diff, ratio)
		for _, c := range also {
			b.WriteString(" " + textOf(row.pompe, c.field) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func numberOf(s *summary, field string) (float64, bool) {
	if s == nil {
		return 0, false
	}
	return s.number(field)
}

func textOf(s *summary, field string) string {
	if s == nil {
		return missing
	}
	return s.text(field)
}
