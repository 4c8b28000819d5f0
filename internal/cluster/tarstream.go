package cluster

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Bounds of fetched archives.
const (
	maxFetchBytes = 8 << 30
	maxFetchFiles = 100_000
)

// upload is one local file or directory tree to put at a path relative to
// the remote directory.
type upload struct {
	local  string
	remote string // slash-separated, relative
	mode   fs.FileMode
	skip   func(rel string) bool // leaves out entries of a tree (rel is slash-separated)
}

// writeTar streams the uploads as a tar archive.
func writeTar(w io.Writer, ups []upload) error {
	tw := tar.NewWriter(w)
	for _, u := range ups {
		err := filepath.WalkDir(u.local, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(u.local, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if rel != "." && u.skip != nil && u.skip(rel) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			name := path.Join(u.remote, rel)
			info, err := d.Info()
			if err != nil {
				return err
			}
			switch {
			case d.IsDir():
				return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: int64(info.Mode().Perm()), ModTime: info.ModTime()})
			case info.Mode().IsRegular():
				mode := info.Mode().Perm()
				if u.mode != 0 {
					mode = u.mode
				}
				if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(mode), Size: info.Size(), ModTime: info.ModTime()}); err != nil {
					return err
				}
				f, err := os.Open(p)
				if err != nil {
					return err
				}
				defer f.Close()
				_, err = io.CopyN(tw, f, info.Size())
				return err
			default:
				return nil // sockets, links: nothing a replica needs
			}
		})
		if err != nil {
			return fmt.Errorf("pack %s: %w", u.local, err)
		}
	}
	return tw.Close()
}

// extractTar unpacks an archive under dir, refusing anything that would
// land outside it and anything but plain files and directories.
func extractTar(r io.Reader, dir string) (files int, err error) {
	tr := tar.NewReader(r)
	var total int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return files, err
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if name == "." {
			continue
		}
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return files, fmt.Errorf("archive entry %q points outside the results directory", h.Name)
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return files, err
			}
		case tar.TypeReg:
			files++
			total += h.Size
			if files > maxFetchFiles || total > maxFetchBytes {
				return files, fmt.Errorf("archive exceeds %d files or %d bytes", maxFetchFiles, maxFetchBytes)
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return files, err
			}
			f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return files, err
			}
			_, err = io.CopyN(f, tr, h.Size)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return files, err
			}
		default:
			return files, fmt.Errorf("archive entry %q is not a plain file or directory", h.Name)
		}
	}
}
