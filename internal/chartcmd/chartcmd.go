package chartcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Name is the file name of the charts command.
const Name = "pompe-charts"

// Runner finds pompe-charts and runs it.
type Runner struct {
	// Beside is the executable next to which pompe-charts is looked for
	// first; "" means the running executable (os.Executable).
	Beside string
	// Stdout and Stderr receive pompe-charts' output (nil: discarded).
	Stdout, Stderr io.Writer
}

// NotFoundError is returned when pompe-charts is neither next to the
// executable nor in PATH. Its message says how to draw the charts.
type NotFoundError struct {
	// Dir is the directory of the executable pompe-charts was looked for
	// beside ("" when it is unknown).
	Dir string
	// Args are the arguments pompe-charts would have been run with.
	Args []string
}

func (e *NotFoundError) Error() string {
	where := "in PATH"
	build := "go build -o DIR/" + Name + " ./cmd/" + Name + " (DIR: the directory of pompe, or one in PATH)"
	if e.Dir != "" {
		where = "next to " + e.Dir + " nor in PATH"
		build = "go build -o " + filepath.Join(e.Dir, Name) + " ./cmd/" + Name
	}
	return fmt.Sprintf("%s not found %s, so the charts were not drawn: in the pompe source tree, build it with `%s`, or draw them with `%s`",
		Name, where, build, e.Command())
}

// Command is the `go run` command line that draws the charts from the
// pompe source tree.
func (e *NotFoundError) Command() string { return GoRunCommand(e.Args) }

// GoRunCommand is the `go run` command line, pasteable into a shell, that
// runs pompe-charts with args from the pompe source tree.
func GoRunCommand(args []string) string {
	return "go run ./cmd/" + Name + " " + strings.Join(quote(args), " ")
}

// quote shell-quotes the arguments that need it, so the printed command
// can be pasted.
func quote(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./,:=+@%", r))
		}) < 0 {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return out
}

// Find returns the path of pompe-charts: the one next to Beside, else the
// one in PATH. The error is a *NotFoundError naming args.
func (r Runner) Find(args []string) (string, error) {
	beside := r.Beside
	if beside == "" {
		if exe, err := os.Executable(); err == nil {
			beside = exe
		}
	}
	dir := ""
	if beside != "" {
		if abs, err := filepath.Abs(beside); err == nil {
			beside = abs
		}
		dir = filepath.Dir(beside)
		if p := filepath.Join(dir, Name); isExecutable(p) {
			return p, nil
		}
		if isGoRunDir(dir) {
			dir = "" // a build there would vanish with it: suggest PATH
		}
	}
	if p, err := exec.LookPath(Name); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return p, nil
	}
	return "", &NotFoundError{Dir: dir, Args: args}
}

// isGoRunDir reports whether dir is where `go run` put its executable
// ($WORK/bNNN/exe under a go-build temporary directory), which is
// removed when the command ends.
func isGoRunDir(dir string) bool {
	if filepath.Base(dir) != "exe" {
		return false
	}
	for _, part := range strings.Split(filepath.ToSlash(dir), "/") {
		if strings.HasPrefix(part, "go-build") {
			return true
		}
	}
	return false
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// Run finds pompe-charts and runs it with args, its output going to
// Stdout and Stderr. It returns a *NotFoundError when there is none, and
// an error naming its exit status when it fails.
func (r Runner) Run(ctx context.Context, args []string) error {
	path, err := r.Find(args)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = r.Stdout, r.Stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", path, strings.Join(quote(args), " "), err)
	}
	return nil
}

// ReportArgs are the arguments that draw the charts of `pompe report
// DIR... --plot OUT`: the same directories and fairness deltas.
func ReportArgs(dirs []string, out string, fairnessDeltas []time.Duration) []string {
	args := append([]string{"report"}, dirs...)
	args = append(args, "--out", out)
	if len(fairnessDeltas) > 0 {
		ds := make([]string, len(fairnessDeltas))
		for i, d := range fairnessDeltas {
			ds[i] = d.String()
		}
		args = append(args, "--fairness-delta", strings.Join(ds, ","))
	}
	return args
}

// SoakArgs are the arguments that draw the charts of the soak in dir.
func SoakArgs(dir string) []string { return []string{"soak", dir} }

// IsNotFound reports whether err says that pompe-charts was not found.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}
