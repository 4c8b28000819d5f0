package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// Size limits of the files a replica reads. Each is several times what a
// 100-replica cluster writes, measured with `pompe testnet --nodes 100`:
//
//	config.toml   27.5 KB with a --wan matrix (a link table per peer), 7 KB without
//	genesis.toml  25.6 KB with Kubernetes DNS names (256 B per replica), 16 KB on IPs,
//	              plus about 50 B per client of a client allowlist (at most
//	              MaxAllowlistClients: 3.3 MB)
//	node_key.toml 254 B
//
// A larger file is refused before it is parsed: it is a mistake or an
// attack, never a config, and the TOML parser's cost grows with it.
const (
	MaxConfigBytes  = 128 << 10
	MaxGenesisBytes = 4 << 20
	MaxKeyFileBytes = 4 << 10
)

// Shape limits checked before any TOML is parsed (see CheckTOML). The
// deepest key of any file here is [emulation.links.N] key: two dots, and
// the deepest nesting is an array of tables, [[replicas]].
const (
	// MaxTOMLNesting bounds open brackets and braces at any point.
	MaxTOMLNesting = 4
	// MaxTOMLKeyDots bounds the dots of one dotted key or table header.
	MaxTOMLKeyDots = 4
)

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("file is %d bytes, larger than the %d allowed", st.Size(), limit)
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil && st.Size() > 0 {
		return nil, err
	}
	return data, nil
}

// CheckTOML refuses, in one linear pass and before any parsing, text whose
// shape the TOML parser handles in quadratic time or worse: deeply dotted
// keys or table headers (a 32 KB key "a.a.a...a = 1" took 46 s to parse,
// nested inline tables "{b={b=...}}" 64 s) and deep nesting. Files that
// pass have keys of at most MaxTOMLKeyDots+1 parts and nesting of at most
// MaxTOMLNesting, far beyond what pompe's files hold.
func CheckTOML(data []byte) error {
	line, depth, dots := 1, 0, 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			line++
			dots = 0
		case '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i-- // the newline is counted above
		case '"', '\'':
			end, lines, err := skipTOMLString(data, i)
			if err != nil {
				return fmt.Errorf("line %d: %v", line, err)
			}
			line += lines
			i = end
		case '.':
			dots++
			if dots > MaxTOMLKeyDots {
				return fmt.Errorf("line %d: a key of more than %d dotted parts; no pompe file has one", line, MaxTOMLKeyDots+1)
			}
		case '=', ',':
			dots = 0
		case '[', '{':
			depth++
			dots = 0
			if depth > MaxTOMLNesting {
				return fmt.Errorf("line %d: brackets nested more than %d deep; no pompe file has them", line, MaxTOMLNesting)
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
			dots = 0
		}
	}
	return nil
}

// skipTOMLString returns the index of the last byte of the string that
// starts at data[start] (basic or literal, single or multi-line) and the
// newlines inside it. An unterminated string ends at the end of data; the
// parser reports it.
func skipTOMLString(data []byte, start int) (end, lines int, err error) {
	q := data[start]
	multi := start+2 < len(data) && data[start+1] == q && data[start+2] == q
	i := start + 1
	if multi {
		i = start + 3
	}
	for ; i < len(data); i++ {
		switch c := data[i]; {
		case c == '\\' && q == '"':
			i++ // the escaped byte
			if i < len(data) && data[i] == '\n' {
				lines++
			}
		case c == '\n':
			if !multi {
				return i - 1, lines, nil // the parser reports it
			}
			lines++
		case c == q:
			if !multi {
				return i, lines, nil
			}
			if i+2 < len(data) && data[i+1] == q && data[i+2] == q {
				// Up to two more quotes may belong to the string.
				j := i + 3
				for k := 0; k < 2 && j < len(data) && data[j] == q; k++ {
					j++
				}
				return j - 1, lines, nil
			}
		}
	}
	return len(data) - 1, lines, nil
}

// maxUnknownKeysListed bounds how many unknown keys an error names.
const maxUnknownKeysListed = 5

// decodeStrict decodes TOML into v, refusing text over limit bytes, text
// CheckTOML refuses, and keys v has no place for.
func decodeStrict(data []byte, v any, limit int) (toml.MetaData, error) {
	if len(data) > limit {
		return toml.MetaData{}, fmt.Errorf("%d bytes, larger than the %d allowed", len(data), limit)
	}
	if err := CheckTOML(data); err != nil {
		return toml.MetaData{}, err
	}
	md, err := toml.Decode(string(data), v)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return md, errors.New(strings.TrimPrefix(pe.Error(), "toml: "))
		}
		return md, errors.New(strings.TrimPrefix(err.Error(), "toml: "))
	}
	if und := md.Undecoded(); len(und) > 0 {
		var names []string
		for i, k := range und {
			if i == maxUnknownKeysListed {
				names = append(names, fmt.Sprintf("and %d more", len(und)-i))
				break
			}
			names = append(names, k.String())
		}
		return md, fmt.Errorf("unknown key %s", strings.Join(names, ", "))
	}
	return md, nil
}

// writeFileAtomic replaces path with data so that a crash leaves either the
// old or the new file, never a torn one. With exclusive it refuses to
// replace an existing file.
func writeFileAtomic(path string, data []byte, perm os.FileMode, exclusive bool) error {
	if exclusive {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s already exists; refusing to overwrite it", path)
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if exclusive {
		// Link fails if path appeared meanwhile, unlike rename.
		return os.Link(name, path)
	}
	return os.Rename(name, path)
}
