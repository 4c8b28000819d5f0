package tsproof

import (
	"crypto/sha256"
	"errors"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// Hash is a node of a timestamp tree.
type Hash = [32]byte

// MaxLeaves bounds a window's tree (and so the length of a path).
const MaxLeaves = 1 << 16

// Leaf is the leaf of replica's timestamp ts for batch digest d.
func Leaf(cluster []byte, replica uint32, d []byte, ts int64) Hash {
	h := sha256.New()
	h.Write([]byte{0x00})
	h.Write(crypto.SigningBytes(crypto.DomainTSLeaf, cluster, crypto.U32(replica), d, crypto.I64(ts)))
	var out Hash
	h.Sum(out[:0])
	return out
}

func inner(l, r []byte) Hash {
	var buf [65]byte
	buf[0] = 0x01
	copy(buf[1:], l)
	copy(buf[33:], r)
	return sha256.Sum256(buf[:])
}

// Tree is a built window tree: its root and every leaf's path.
type Tree struct {
	Root  Hash
	Paths [][][]byte // Paths[i] is leaf i's sibling list, leaf level first
}

// Build makes the tree over leaves (at least one, at most MaxLeaves).
func Build(leaves []Hash) (*Tree, error) {
	n := len(leaves)
	if n == 0 || n > MaxLeaves {
		return nil, errors.New("tsproof: tree needs 1 to MaxLeaves leaves")
	}
	t := &Tree{Paths: make([][][]byte, n)}
	level := make([]Hash, n)
	copy(level, leaves)
	// pos[i] is the index, at the current level, of the node above leaf i.
	pos := make([]int, n)
	for i := range pos {
		pos[i] = i
	}
	for len(level) > 1 {
		for i := range pos {
			p := pos[i]
			if p%2 == 0 && p == len(level)-1 {
				continue // promoted: no sibling at this level
			}
			sib := p ^ 1
			s := level[sib]
			t.Paths[i] = append(t.Paths[i], append([]byte(nil), s[:]...))
		}
		next := make([]Hash, (len(level)+1)/2)
		for j := range next {
			if 2*j+1 < len(level) {
				next[j] = inner(level[2*j][:], level[2*j+1][:])
			} else {
				next[j] = level[2*j]
			}
		}
		for i := range pos {
			pos[i] /= 2
		}
		level = next
	}
	t.Root = level[0]
	return t, nil
}

// RootOf recomputes the root from a leaf, its index, the leaf count and the
// path; it fails when the path does not have exactly the tree's shape.
func RootOf(leaf Hash, index, count uint32, path [][]byte) (Hash, error) {
	if count == 0 || count > MaxLeaves || index >= count {
		return Hash{}, errors.New("tsproof: index outside the tree")
	}
	cur := leaf
	w, p, k := count, index, 0
	for w > 1 {
		if !(p%2 == 0 && p == w-1) {
			if k >= len(path) || len(path[k]) != 32 {
				return Hash{}, errors.New("tsproof: path too short or malformed")
			}
			if p%2 == 0 {
				cur = inner(cur[:], path[k])
			} else {
				cur = inner(path[k], cur[:])
			}
			k++
		}
		p /= 2
		w = (w + 1) / 2
	}
	if k != len(path) {
		return Hash{}, errors.New("tsproof: path too long")
	}
	return cur, nil
}

// RootBytes is what a replica signs for a window root.
func RootBytes(cluster []byte, replica uint32, root []byte, count uint32) []byte {
	return crypto.SigningBytes(crypto.DomainTSRoot, cluster, crypto.U32(replica), root, crypto.U32(count))
}
