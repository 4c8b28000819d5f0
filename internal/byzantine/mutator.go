package byzantine

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Mutation is one class of lie a Mutator tells. Names are stable: the
// simulator's exclusion lists and replay commands use them.
type Mutation string

// The mutation classes. The first five act on delivery (which message goes
// where and when); the others rewrite a field and re-sign what carries a
// signature of this replica.
const (
	MutDrop      Mutation = "drop"      // the message is not sent
	MutDuplicate Mutation = "duplicate" // it is sent twice
	MutDelay     Mutation = "delay"     // it is sent late, after up to MaxMutationDelayUs
	MutRedirect  Mutation = "redirect"  // it goes to another replica than the one intended
	MutReplay    Mutation = "replay"    // an earlier message goes out again besides this one
	MutBurst     Mutation = "burst"     // up to burstMax earlier messages go out again, to this recipient

	MutViewShift   Mutation = "view-shift"   // a view moves by a few
	MutViewFar     Mutation = "view-far"     // a view moves far ahead or back
	MutHeightShift Mutation = "height-shift" // a height moves by a few
	MutHeightFar   Mutation = "height-far"   // a height moves far ahead or back
	MutTSShift     Mutation = "ts-shift"     // a timestamp or boundary moves by a few microseconds to a few ms
	MutTSFar       Mutation = "ts-far"       // a timestamp or boundary moves far ahead or back
	MutSwapDigest  Mutation = "swap-digest"  // a batch digest becomes another one seen earlier
	MutSwapParent  Mutation = "swap-parent"  // a parent or block hash becomes another one seen earlier
	MutSwapQC      Mutation = "swap-qc"      // a QC or TC becomes another one seen earlier
	MutTruncate    Mutation = "list-truncate"
	MutListDup     Mutation = "list-duplicate"
	MutReorder     Mutation = "list-reorder"
	// MutCollude lists, in a collect reply, a batch a colluding client
	// holds a valid timestamp proof for (see Collude), and serves its body
	// and proof when asked: the poisoned reply of issue 15 found #2 when
	// the batch already executed.
	MutCollude Mutation = "collude"
)

// Mutations lists every class.
var Mutations = []Mutation{MutDrop, MutDuplicate, MutDelay, MutRedirect, MutReplay, MutBurst,
	MutViewShift, MutViewFar, MutHeightShift, MutHeightFar, MutTSShift, MutTSFar,
	MutSwapDigest, MutSwapParent, MutSwapQC, MutTruncate, MutListDup, MutReorder, MutCollude}

// ParseMutations reads a comma-separated list of class names.
func ParseMutations(s string) ([]Mutation, error) {
	var out []Mutation
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !slices.Contains(Mutations, Mutation(part)) {
			names := make([]string, len(Mutations))
			for i, m := range Mutations {
				names[i] = string(m)
			}
			return nil, fmt.Errorf("byzantine: unknown mutation %q (known: %s)", part, strings.Join(names, ", "))
		}
		out = append(out, Mutation(part))
	}
	return out, nil
}

// Sizes of the mutator's lies and memory.
const (
	// MaxMutationDelayUs bounds how late a delayed message leaves.
	MaxMutationDelayUs = 2_000_000
	// farShift is how far a "far" mutation moves a view, height or
	// timestamp: beyond anything a run reaches honestly.
	farShift = 1 << 30
	// poolEntries bounds each pool of values seen earlier (digests, block
	// hashes, QCs, TCs, sent messages): a ring, the oldest overwritten.
	poolEntries = 64
	// burstMax bounds one burst of replayed messages.
	burstMax = 32
)

// MutatorConfig describes the replica a Mutator speaks for.
type MutatorConfig struct {
	Self      uint32
	Key       crypto.PrivateKey
	Committee *crypto.Committee
	// Rand chooses every mutation; the caller seeds it, so a run replays.
	Rand *rand.Rand
	// Rate is the probability that one outgoing message is mutated.
	Rate float64
	// Enabled are the classes to choose from; empty means all.
	Enabled []Mutation
	// Trace, if set, hears one line per mutation (for replaying a failure).
	Trace func(line string)
	// Leader is the leader schedule, if known: a view moved far ahead in
	// a collect or proposal then lands on a view this replica leads (the
	// only far-future view a correct replica could take from it).
	Leader func(view uint64) uint32
}

// Delivery is one message a mutated replica sends: to whom, and how much
// later than an honest send.
type Delivery struct {
	To      uint32
	Msg     *wire.Message
	DelayUs int64
}

// Mutator turns a correct replica into a Byzantine one that lies at random:
// each outgoing message, with probability Rate, gets one mutation of an
// enabled class that applies to it, chosen by the seeded random source.
// What the replica signs is re-signed with its own key after the change, so
// only the protocol's checks can refuse it. Values swapped in are real ones
// this replica saw earlier (received or sent), kept in bounded rings. It is
// not safe for concurrent use.
type Mutator struct {
	cfg     MutatorConfig
	signer  *crypto.Signer
	enabled []Mutation

	digests ring[[]byte]
	hashes  ring[[]byte]
	qcs     ring[*wire.QuorumCert]
	tcs     ring[*wire.TimeoutCert]
	sent    ring[Delivery]
	// colluded are batches with valid proofs handed over by a colluding
	// client (Collude), never sequenced by this replica.
	colluded ring[*wire.SequencedBatch]

	counts map[Mutation]int
}

// ring is a bounded pool of values: Add overwrites the oldest when full.
type ring[T any] struct {
	items []T
	next  int
}

func (r *ring[T]) Add(v T) {
	if len(r.items) < poolEntries {
		r.items = append(r.items, v)
		return
	}
	r.items[r.next] = v
	r.next = (r.next + 1) % poolEntries
}

func (r *ring[T]) pick(rnd *rand.Rand) (T, bool) {
	var zero T
	if len(r.items) == 0 {
		return zero, false
	}
	return r.items[rnd.IntN(len(r.items))], true
}

// NewMutator checks cfg and returns its Mutator.
func NewMutator(cfg MutatorConfig) (*Mutator, error) {
	if cfg.Committee == nil || cfg.Rand == nil {
		return nil, fmt.Errorf("byzantine: a mutator needs a committee and a random source")
	}
	if int(cfg.Self) >= cfg.Committee.N() {
		return nil, fmt.Errorf("byzantine: replica %d outside a committee of %d", cfg.Self, cfg.Committee.N())
	}
	if cfg.Rate < 0 || cfg.Rate > 1 {
		return nil, fmt.Errorf("byzantine: mutation rate %v outside [0, 1]", cfg.Rate)
	}
	en := cfg.Enabled
	if len(en) == 0 {
		en = Mutations
	}
	return &Mutator{cfg: cfg, signer: crypto.NewSigner(cfg.Key, cfg.Committee.Cluster()), enabled: slices.Clone(en),
		counts: make(map[Mutation]int)}, nil
}

// Counts reports how many messages got each class of mutation.
func (m *Mutator) Counts() map[Mutation]int { return m.counts }

// In lets the mutator remember real values from a received message, to
// swap them in later, and returns what it sends because of it beside what
// the replica does: the body and proof of colluded batches it listed.
func (m *Mutator) In(from uint32, msg *wire.Message) []Delivery {
	m.harvest(msg)
	req := msg.GetSequencedRequest()
	if req == nil || len(m.colluded.items) == 0 {
		return nil
	}
	resp := &wire.SequencedResponse{}
	for _, d := range req.Digests {
		for _, sb := range m.colluded.items {
			if bytes.Equal(batchDigest(sb.Batch), d) {
				resp.Batches = append(resp.Batches, sb)
				break
			}
		}
	}
	if len(resp.Batches) == 0 {
		return nil
	}
	return []Delivery{{To: from, Msg: &wire.Message{Body: &wire.Message_SequencedResponse{SequencedResponse: resp}}}}
}

// Collude hands the mutator a batch that a colluding client holds a valid
// timestamp proof for at ts: the collude class lists it in this replica's
// collect replies and In serves it.
func (m *Mutator) Collude(raw []byte, ts int64, proof *wire.SequenceProof) {
	m.colluded.Add(&wire.SequencedBatch{Batch: raw, Ts: ts, Proof: proof})
}

func batchDigest(raw []byte) []byte {
	d := batch.DigestOf(raw)
	return d[:]
}

// Out returns what to send instead of msg, meant for replica to. msg is
// never modified (the replica may share it between destinations).
func (m *Mutator) Out(to uint32, msg *wire.Message) []Delivery {
	m.harvest(msg)
	honest := Delivery{To: to, Msg: msg}
	defer m.sent.Add(honest) // after the replay choice: a replay is of an earlier message
	if m.cfg.Rand.Float64() >= m.cfg.Rate {
		return []Delivery{honest}
	}
	// The enabled classes in random order; the first that can change msg
	// is the one used, so each applicable class is equally likely.
	r := m.cfg.Rand
	order := slices.Clone(m.enabled)
	r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, k := range order {
		out, ok := m.apply(k, to, msg)
		if !ok {
			continue
		}
		m.counts[k]++
		if m.cfg.Trace != nil {
			m.cfg.Trace(fmt.Sprintf("%s %T to %d", k, msg.Body, to))
		}
		return out
	}
	return []Delivery{honest}
}

// apply tries class k on msg; false when k cannot change it.
func (m *Mutator) apply(k Mutation, to uint32, msg *wire.Message) ([]Delivery, bool) {
	r := m.cfg.Rand
	honest := Delivery{To: to, Msg: msg}
	switch k {
	case MutDrop:
		return nil, true
	case MutDuplicate:
		return []Delivery{honest, honest}, true
	case MutDelay:
		honest.DelayUs = 1 + r.Int64N(MaxMutationDelayUs)
		return []Delivery{honest}, true
	case MutRedirect:
		// Another replica than the intended one and this one.
		var others []uint32
		for i := range uint32(m.cfg.Committee.N()) {
			if i != to && i != m.cfg.Self {
				others = append(others, i)
			}
		}
		if len(others) == 0 {
			return nil, false
		}
		return []Delivery{{To: others[r.IntN(len(others))], Msg: msg}}, true
	case MutReplay:
		old, ok := m.sent.pick(r)
		if !ok {
			return nil, false
		}
		old.DelayUs = 0
		return []Delivery{honest, old}, true
	case MutBurst:
		if len(m.sent.items) == 0 {
			return nil, false
		}
		out := []Delivery{honest}
		for range 1 + r.IntN(burstMax) {
			old, _ := m.sent.pick(r)
			out = append(out, Delivery{To: to, Msg: old.Msg})
		}
		return out, true
	}
	alt := proto.Clone(msg).(*wire.Message)
	if !m.rewrite(k, alt) || proto.Equal(alt, msg) {
		return nil, false
	}
	return []Delivery{{To: to, Msg: alt}}, true
}

// shift returns v moved by a small or a far amount in either direction,
// never below 0 for unsigned uses (the caller clamps).
func (m *Mutator) shift(far bool, small int64) int64 {
	r := m.cfg.Rand
	d := 1 + r.Int64N(small)
	if far {
		d = farShift + r.Int64N(farShift)
	}
	if r.IntN(2) == 0 {
		return -d
	}
	return d
}

func (m *Mutator) shiftU64(v uint64, far bool, small int64) uint64 {
	d := m.shift(far, small)
	if d < 0 && uint64(-d) >= v {
		return v + uint64(-d) // cannot go below zero: go up instead
	}
	return uint64(int64(v) + d)
}

// rewrite applies class k to msg in place and re-signs it; false when msg
// has no field k could change.
func (m *Mutator) rewrite(k Mutation, msg *wire.Message) bool {
	switch b := msg.Body.(type) {
	case *wire.Message_Proposal:
		return m.rewriteProposal(k, b.Proposal)
	case *wire.Message_Vote:
		v := b.Vote
		switch k {
		case MutViewShift, MutViewFar:
			v.View = m.shiftU64(v.View, k == MutViewFar, 3)
		case MutSwapParent:
			v.BlockHash = m.pickHash(v.BlockHash)
		default:
			return false
		}
		if v.Voter == m.cfg.Self {
			v.Sig = m.signer.Sign(crypto.DomainVote, crypto.U64(v.View), v.BlockHash)
		}
		return true
	case *wire.Message_Timeout:
		t := b.Timeout
		switch k {
		case MutViewShift, MutViewFar:
			t.View = m.shiftU64(t.View, k == MutViewFar, 3)
		case MutSwapQC:
			qc, ok := m.qcs.pick(m.cfg.Rand)
			if !ok {
				return false
			}
			t.HighQc = qc
		default:
			return false
		}
		if t.Voter == m.cfg.Self {
			t.Sig = m.signer.Sign(crypto.DomainTimeout, crypto.U64(t.View))
		}
		return true
	case *wire.Message_Sync:
		if k != MutSwapQC {
			return false
		}
		if qc, ok := m.qcs.pick(m.cfg.Rand); ok && (b.Sync.HighQc != nil || b.Sync.Tc == nil) {
			b.Sync.HighQc = qc
			return true
		}
		if tc, ok := m.tcs.pick(m.cfg.Rand); ok {
			b.Sync.Tc = tc
			return true
		}
		return false
	case *wire.Message_Collect:
		c := b.Collect
		switch k {
		case MutViewShift, MutViewFar:
			c.View = m.shiftView(c.View, k == MutViewFar)
		case MutTSShift, MutTSFar:
			c.Boundary += m.shift(k == MutTSFar, 20_000)
		case MutSwapParent:
			c.Parent = m.pickHash(c.Parent)
		default:
			return false
		}
		return true
	case *wire.Message_CollectReply:
		return m.rewriteCollectReply(k, b.CollectReply)
	case *wire.Message_SequencedRequest:
		return m.rewriteDigests(k, &b.SequencedRequest.Digests)
	case *wire.Message_BatchRequest:
		return m.rewriteDigests(k, &b.BatchRequest.Digests)
	case *wire.Message_SequencedResponse:
		bs := &b.SequencedResponse.Batches
		switch k {
		case MutTSShift, MutTSFar:
			if len(*bs) == 0 {
				return false
			}
			e := (*bs)[m.cfg.Rand.IntN(len(*bs))]
			e.Ts += m.shift(k == MutTSFar, 20_000)
			return true
		}
		return listOp(m.cfg.Rand, k, bs)
	case *wire.Message_BatchResponse:
		return listOp(m.cfg.Rand, k, &b.BatchResponse.Batches)
	case *wire.Message_BlockRequest:
		switch k {
		case MutSwapParent:
			b.BlockRequest.Hash = m.pickHash(b.BlockRequest.Hash)
			return true
		case MutHeightFar:
			b.BlockRequest.MaxAncestors = ^uint32(0)
			return true
		}
		return false
	case *wire.Message_BlockResponse:
		return listOp(m.cfg.Rand, k, &b.BlockResponse.Blocks)
	}
	return false
}

// shiftView moves the view of a collect or proposal: a few views (often
// onto one another replica leads), or far, and then half the time onto the
// next view this replica leads.
func (m *Mutator) shiftView(v uint64, far bool) uint64 {
	v = m.shiftU64(v, far, 3)
	if !far || m.cfg.Leader == nil || m.cfg.Rand.IntN(2) == 0 {
		return v
	}
	for i := range uint64(m.cfg.Committee.N()) {
		if m.cfg.Leader(v+i) == m.cfg.Self {
			return v + i
		}
	}
	return v
}

func (m *Mutator) pickHash(old []byte) []byte {
	h, ok := m.hashes.pick(m.cfg.Rand)
	if !ok {
		return old
	}
	return h
}

func (m *Mutator) rewriteDigests(k Mutation, ds *[][]byte) bool {
	if k == MutSwapDigest {
		if len(*ds) == 0 {
			return false
		}
		d, _ := m.digests.pick(m.cfg.Rand)
		(*ds)[m.cfg.Rand.IntN(len(*ds))] = d
		return true
	}
	return listOp(m.cfg.Rand, k, ds)
}

// listOp truncates, duplicates an entry of, or reorders a list.
func listOp[T any](r *rand.Rand, k Mutation, list *[]T) bool {
	l := *list
	switch k {
	case MutTruncate:
		if len(l) == 0 {
			return false
		}
		*list = l[:r.IntN(len(l))]
	case MutListDup:
		if len(l) == 0 {
			return false
		}
		i := r.IntN(len(l))
		*list = slices.Insert(l, i, l[i])
	case MutReorder:
		if len(l) < 2 {
			return false
		}
		i := r.IntN(len(l))
		j := (i + 1 + r.IntN(len(l)-1)) % len(l)
		l[i], l[j] = l[j], l[i]
	default:
		return false
	}
	return true
}

// rewriteProposal changes the block header, its certificates or its
// payload, then gives the block its payload digest and this replica's
// signature if it is the proposer.
func (m *Mutator) rewriteProposal(k Mutation, p *wire.Proposal) bool {
	if p.Block == nil {
		return false
	}
	b := p.Block
	r := m.cfg.Rand
	changed := true
	switch k {
	case MutViewShift, MutViewFar:
		b.View = m.shiftView(b.View, k == MutViewFar)
	case MutHeightShift, MutHeightFar:
		b.Height = m.shiftU64(b.Height, k == MutHeightFar, 3)
	case MutSwapParent:
		b.Parent = m.pickHash(b.Parent)
	case MutSwapQC:
		if tc, ok := m.tcs.pick(r); ok && r.IntN(3) == 0 {
			p.Tc = tc
		} else if qc, ok := m.qcs.pick(r); ok {
			b.Justify = qc
		} else {
			changed = false
		}
	default:
		changed = m.rewritePayload(k, p)
	}
	if !changed {
		return false
	}
	if b.Proposer == m.cfg.Self {
		b.PayloadDigest = hotstuff.PayloadDigest(p.Payload)
		h := hotstuff.HashBlock(m.cfg.Committee.Cluster(), b)
		p.Sig = m.signer.Sign(crypto.DomainProposal, crypto.U64(b.View), h[:])
	}
	return true
}

// rewritePayload changes a slot (Pompe) or a digest list (baseline).
func (m *Mutator) rewritePayload(k Mutation, p *wire.Proposal) bool {
	if len(p.Payload) == 0 {
		return false
	}
	r := m.cfg.Rand
	var s wire.Slot
	if proto.Unmarshal(p.Payload, &s) == nil && (s.Boundary != 0 || len(s.Batches) > 0) {
		switch k {
		case MutTSShift, MutTSFar:
			if len(s.Batches) > 0 && r.IntN(2) == 0 {
				e := s.Batches[r.IntN(len(s.Batches))]
				e.Ts += m.shift(k == MutTSFar, 20_000)
			} else {
				s.Boundary += m.shift(k == MutTSFar, 20_000)
			}
		case MutSwapDigest:
			if len(s.Batches) == 0 {
				return false
			}
			d, _ := m.digests.pick(r)
			s.Batches[r.IntN(len(s.Batches))].Digest = d
		case MutTruncate, MutListDup, MutReorder:
			// Batches, replies or roots, whichever the dice pick.
			switch r.IntN(3) {
			case 0:
				if !listOp(r, k, &s.Batches) {
					return false
				}
			case 1:
				if !listOp(r, k, &s.Replies) {
					return false
				}
			default:
				if !listOp(r, k, &s.Roots) {
					return false
				}
			}
		default:
			return false
		}
		p.Payload = wire.Marshal(&s)
		return true
	}
	var bp wire.BaselinePayload
	if proto.Unmarshal(p.Payload, &bp) != nil || len(bp.Digests) == 0 {
		return false
	}
	if !m.rewriteDigests(k, &bp.Digests) {
		return false
	}
	p.Payload = wire.Marshal(&bp)
	return true
}

// rewriteCollectReply changes a collect reply's header or list and
// re-signs it.
func (m *Mutator) rewriteCollectReply(k Mutation, c *wire.CollectReply) bool {
	r := m.cfg.Rand
	switch k {
	case MutViewShift, MutViewFar:
		c.View = m.shiftU64(c.View, k == MutViewFar, 3)
	case MutTSShift, MutTSFar:
		if len(c.Entries) > 0 && r.IntN(2) == 0 {
			c.Entries[r.IntN(len(c.Entries))].Ts += m.shift(k == MutTSFar, 20_000)
		} else {
			c.Boundary += m.shift(k == MutTSFar, 20_000)
		}
	case MutSwapParent:
		c.Parent = m.pickHash(c.Parent)
	case MutSwapDigest:
		d, ok := m.digests.pick(r)
		if !ok {
			return false
		}
		if len(c.Entries) == 0 || r.IntN(2) == 0 {
			// List a real digest seen elsewhere, with a plausible timestamp.
			ts := c.Boundary - 1 - r.Int64N(20_000)
			c.Entries = append(c.Entries, &wire.SlotEntry{Digest: d, Ts: ts})
		} else {
			c.Entries[r.IntN(len(c.Entries))].Digest = d
		}
	case MutTruncate, MutListDup, MutReorder:
		if !listOp(r, k, &c.Entries) {
			return false
		}
	case MutCollude:
		added := false
		for _, sb := range m.colluded.items {
			d := batchDigest(sb.Batch)
			listed := slices.ContainsFunc(c.Entries, func(e *wire.SlotEntry) bool { return bytes.Equal(e.Digest, d) })
			if sb.Ts < c.Boundary && !listed {
				c.Entries = append(c.Entries, &wire.SlotEntry{Digest: d, Ts: sb.Ts})
				added = true
			}
		}
		if !added {
			return false
		}
		// In the order a correct reply has: by (ts, digest).
		slices.SortFunc(c.Entries, func(a, b *wire.SlotEntry) int {
			if a.Ts != b.Ts {
				return cmp.Compare(a.Ts, b.Ts)
			}
			return bytes.Compare(a.Digest, b.Digest)
		})
	default:
		return false
	}
	if c.Replica == m.cfg.Self {
		list := make([]byte, 0, len(c.Entries)*40)
		for _, e := range c.Entries {
			list = append(list, e.Digest...)
			list = append(list, crypto.I64(e.Ts)...)
		}
		c.Sig = m.signer.Sign(crypto.DomainCollect, crypto.U64(c.View), c.Parent, crypto.I64(c.Boundary), list)
	}
	return true
}

// Client returns what to send to a client instead of msg (nil: nothing):
// timestamps shifted (validly re-signed as a one-leaf tree), acks for
// another timestamp, or the message dropped or left alone.
func (m *Mutator) Client(to crypto.ClientID, msg *wire.ClientMessage) *wire.ClientMessage {
	r := m.cfg.Rand
	if r.Float64() >= m.cfg.Rate {
		return msg
	}
	var options []Mutation
	for _, k := range m.enabled {
		switch k {
		case MutDrop:
			options = append(options, k)
		case MutTSShift, MutTSFar:
			if msg.GetTimestampReply().GetCert() != nil || msg.GetSequenceAck() != nil {
				options = append(options, k)
			}
		}
	}
	if len(options) == 0 {
		return msg
	}
	k := options[r.IntN(len(options))]
	m.counts[k]++
	if m.cfg.Trace != nil {
		m.cfg.Trace(fmt.Sprintf("%s %T to client %x", k, msg.Body, to[:4]))
	}
	if k == MutDrop {
		return nil
	}
	if a := msg.GetSequenceAck(); a != nil {
		return &wire.ClientMessage{Body: &wire.ClientMessage_SequenceAck{SequenceAck: &wire.SequenceAck{Digest: a.Digest, Ts: a.Ts + m.shift(k == MutTSFar, 20_000)}}}
	}
	tr := msg.GetTimestampReply()
	ts := tr.Cert.Ts + m.shift(k == MutTSFar, 20_000)
	if ts < 1 {
		ts = 1
	}
	cluster := m.cfg.Committee.Cluster()
	tree, err := tsproof.Build([]tsproof.Hash{tsproof.Leaf(cluster, m.cfg.Self, tr.Digest, ts)})
	if err != nil {
		return msg
	}
	sig := m.signer.Sign(crypto.DomainTSRoot, crypto.U32(m.cfg.Self), tree.Root[:], crypto.U32(1))
	cert := &wire.TimestampCert{Replica: m.cfg.Self, Ts: ts, Root: tree.Root[:], LeafCount: 1, Sig: sig}
	return &wire.ClientMessage{Body: &wire.ClientMessage_TimestampReply{TimestampReply: &wire.TimestampReply{Digest: tr.Digest, Cert: cert}}}
}

// harvest remembers the real digests, hashes and certificates in msg.
func (m *Mutator) harvest(msg *wire.Message) {
	addQC := func(qc *wire.QuorumCert) {
		if qc != nil && len(qc.BlockHash) > 0 {
			m.qcs.Add(qc)
			m.hashes.Add(qc.BlockHash)
		}
	}
	switch b := msg.Body.(type) {
	case *wire.Message_Proposal:
		if blk := b.Proposal.Block; blk != nil {
			h := hotstuff.HashBlock(m.cfg.Committee.Cluster(), blk)
			m.hashes.Add(h[:])
			addQC(blk.Justify)
			m.harvestPayload(b.Proposal.Payload)
		}
		if b.Proposal.Tc != nil {
			m.tcs.Add(b.Proposal.Tc)
		}
	case *wire.Message_Timeout:
		addQC(b.Timeout.HighQc)
	case *wire.Message_Sync:
		addQC(b.Sync.HighQc)
		if b.Sync.Tc != nil {
			m.tcs.Add(b.Sync.Tc)
		}
	case *wire.Message_CollectReply:
		for _, e := range b.CollectReply.Entries {
			m.digests.Add(e.Digest)
		}
	case *wire.Message_BlockResponse:
		for _, bw := range b.BlockResponse.Blocks {
			if bw.Block != nil {
				addQC(bw.Block.Justify)
			}
		}
	case *wire.Message_SequencedRequest:
		for _, d := range b.SequencedRequest.Digests {
			m.digests.Add(d)
		}
	}
}

func (m *Mutator) harvestPayload(raw []byte) {
	var s wire.Slot
	if len(raw) > 0 && proto.Unmarshal(raw, &s) == nil && len(s.Batches) > 0 {
		for _, e := range s.Batches {
			m.digests.Add(e.Digest)
		}
		return
	}
	var bp wire.BaselinePayload
	if len(raw) > 0 && proto.Unmarshal(raw, &bp) == nil {
		for _, d := range bp.Digests {
			m.digests.Add(d)
		}
	}
}
