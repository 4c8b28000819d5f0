package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `usage:
  plot table --columns FIELD[:HEADER],... SUMMARY...
  plot chart --x FIELD --y FIELD [--series FIELD,...] [--order FIELD] [--label FIELD] [--xlog] [--ylog] [--xdata]
             [--title T] [--xlabel L] [--ylabel L] --out DIR --name NAME SUMMARY...
  plot pair --key FIELD,... --field FIELD [--header H] [--also FIELD[:HEADER],...] SUMMARY...
  plot has FIELD SUMMARY...     (exit 0 if every summary holds FIELD, 3 if some or none do)
  plot target FIELD <=|>= LIMIT SUMMARY...   (prints the worst value and yes, no or - when not measured)
  plot ratio FIELD <=|>= LIMIT SUMMARY OVER  (judges SUMMARY's FIELD divided by OVER's; prints it and yes, no or -)
Derived fields: net_sent_bytes_per_s (all replicas, from the resource samples), replica_rss_growth_mib.
`

// exitMissing is has's status when a field is absent from some summary.
const exitMissing = 3

func main() {
	code, err := run(os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
	}
	os.Exit(code)
}

func run(args []string, stdout io.Writer) (int, error) {
	if len(args) == 0 {
		return 2, errors.New("no subcommand\n" + usage)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch args[0] {
	case "table":
		columns := fs.String("columns", "", "FIELD[:HEADER],...")
		if err := fs.Parse(args[1:]); err != nil {
			return 2, err
		}
		cols, err := parseColumns(*columns)
		if err != nil {
			return 2, err
		}
		runs, err := loadSummaries(fs.Args())
		if err != nil {
			return 1, err
		}
		return status(writeTable(stdout, runs, cols))
	case "chart":
		var spec chartSpec
		var series, dir, name string
		fs.StringVar(&spec.x, "x", "", "field on the x axis")
		fs.StringVar(&spec.y, "y", "", "field on the y axis")
		fs.StringVar(&spec.order, "order", "", "field ordering a line's points (default: x)")
		fs.StringVar(&series, "series", "mode", "fields whose values make one line each")
		fs.StringVar(&spec.pointLabel, "label", "", "field written next to each point (e.g. batch)")
		fs.StringVar(&spec.title, "title", "", "chart title")
		fs.StringVar(&spec.xLabel, "xlabel", "", "x axis label (default: the field)")
		fs.StringVar(&spec.yLabel, "ylabel", "", "y axis label (default: the field)")
		fs.BoolVar(&spec.xLog, "xlog", false, "log scale on x")
		fs.BoolVar(&spec.yLog, "ylog", false, "log scale on y")
		fs.BoolVar(&spec.xAtData, "xdata", false, "x ticks at the data's x values")
		fs.StringVar(&dir, "out", "", "directory of the charts")
		fs.StringVar(&name, "name", "", "file name without extension (.png and .svg are written)")
		if err := fs.Parse(args[1:]); err != nil {
			return 2, err
		}
		if spec.x == "" || spec.y == "" || dir == "" || name == "" {
			return 2, errors.New("chart needs --x, --y, --out and --name")
		}
		if strings.ContainsAny(name, `/\`) {
			return 2, fmt.Errorf("--name %q: a file name, not a path", name)
		}
		spec.series = splitList(series)
		spec.xLabel, spec.yLabel = cmpOr(spec.xLabel, spec.x), cmpOr(spec.yLabel, spec.y)
		runs, err := loadSummaries(fs.Args())
		if err != nil {
			return 1, err
		}
		drawn, err := drawChart(runs, spec, dir, name)
		if err != nil {
			return 1, fmt.Errorf("chart %s: %w", name, err)
		}
		if !drawn {
			fmt.Fprintf(stdout, "%s: not drawn, no summary holds both %s and %s\n", name, spec.x, spec.y)
		}
		return 0, nil
	case "pair":
		var keys, field, header, also string
		fs.StringVar(&keys, "key", "", "fields that identify one setting")
		fs.StringVar(&field, "field", "", "field compared between the modes")
		fs.StringVar(&header, "header", "", "name of the field in the header (default: the field)")
		fs.StringVar(&also, "also", "", "Pompe-only columns FIELD[:HEADER],...")
		if err := fs.Parse(args[1:]); err != nil {
			return 2, err
		}
		if keys == "" || field == "" {
			return 2, errors.New("pair needs --key and --field")
		}
		var alsoCols []column
		if also != "" {
			var err error
			if alsoCols, err = parseColumns(also); err != nil {
				return 2, err
			}
		}
		runs, err := loadSummaries(fs.Args())
		if err != nil {
			return 1, err
		}
		return status(writePairTable(stdout, runs, splitList(keys), field, cmpOr(header, field), alsoCols))
	case "has":
		if len(args) < 3 {
			return 2, errors.New("has needs a field and summaries")
		}
		runs, err := loadSummaries(args[2:])
		if err != nil {
			return 1, err
		}
		holding := 0
		for _, r := range runs {
			if _, ok := r.lookup(args[1]); ok {
				holding++
			}
		}
		fmt.Fprintf(stdout, "%d of %d summaries hold %s\n", holding, len(runs), args[1])
		if holding < len(runs) {
			return exitMissing, nil
		}
		return 0, nil
	case "target":
		if len(args) < 5 {
			return 2, errors.New("target needs FIELD, <= or >=, LIMIT and summaries")
		}
		runs, err := loadSummaries(args[4:])
		if err != nil {
			return 1, err
		}
		if err := writeTarget(stdout, runs, args[1], args[2], args[3]); err != nil {
			return 2, err
		}
		return 0, nil
	case "ratio":
		if len(args) != 6 {
			return 2, errors.New("ratio needs FIELD, <= or >=, LIMIT and exactly two summaries")
		}
		runs, err := loadSummaries(args[4:])
		if err != nil {
			return 1, err
		}
		if err := writeRatio(stdout, runs[0], runs[1], args[1], args[2], args[3]); err != nil {
			return 2, err
		}
		return 0, nil
	default:
		return 2, fmt.Errorf("unknown subcommand %q\n%s", args[0], usage)
	}
}

func status(err error) (int, error) {
	if err != nil {
		return 1, err
	}
	return 0, nil
}

func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
