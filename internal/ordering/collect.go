package ordering

import (
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

// collectAhead is how many views ahead of this replica a collect may be
// and still wait for it to get there. A correct leader's collect carries the
// certificate that opened its view, so a correct replica is rarely behind
// it at all; a Byzantine leader's collect for a far-future view is dropped.
const collectAhead = 2

// onCollect answers the leader's collect (docs/protocol.md section 3.2.2), or holds it
// (one per sender, so at most n) until this replica reaches the collect's
// view and holds its parent.
func (o *Orderer) onCollect(from uint32, c *wire.Collect) error {
	wait, err := o.answerCollect(from, c)
	if wait {
		o.waitCollect[from] = c
	} else if w := o.waitCollect[from]; w == c {
		delete(o.waitCollect, from)
	}
	return err
}

// answerCollect answers c if this replica can now; wait reports that it
// may be able to later.
func (o *Orderer) answerCollect(from uint32, c *wire.Collect) (wait bool, err error) {
	ph, err := hotstuff.HashFromBytes(c.Parent)
	if err != nil {
		return false, err
	}
	// Only the current view is answered: a set of answered views is then the
	// last answered one, which no message can raise beyond the view this
	// replica reached through certificates.
	switch cur := o.tree.View(); {
	case c.View < cur:
		return false, nil // stale
	case c.View > cur+collectAhead:
		return false, fmt.Errorf("ordering: collect for view %d, far ahead of view %d", c.View, cur)
	case c.View > cur:
		return true, nil
	}
	// The leader of a view depends on the block it extends (leader
	// reputation reads the chain): judge the sender against the collect's
	// own parent, once that block is here.
	if o.tree.Block(ph) == nil {
		o.tree.Fetch(o.now, ph, from)
		return true, nil
	}
	if o.tree.LeaderOn(c.View, ph) != from {
		return false, fmt.Errorf("ordering: collect for view %d from %d, not its leader", c.View, from)
	}
	if c.View == o.collectView {
		// At most one answer per view; repeat it for a retransmitted collect.
		if r := o.collectReply; r != nil && string(r.Parent) == string(c.Parent) && r.Boundary == c.Boundary {
			o.sendReply(from, r)
		}
		return false, nil
	}
	if c.Boundary > o.now+o.cfg.SkewUs {
		return false, fmt.Errorf("ordering: collect boundary %d is beyond now %d + skew", c.Boundary, o.now)
	}
	if !o.tree.IsValidated(ph) {
		return true, nil // answer once the parent chain is here and checked
	}
	parent := o.tree.Block(ph)
	tp := o.boundaryOf(parent)
	if c.Boundary <= tp {
		return false, fmt.Errorf("ordering: collect boundary %d not above the parent's %d", c.Boundary, tp)
	}
	if c.Boundary > o.localSync {
		o.localSync = c.Boundary
		if o.localSync > o.promiseMark {
			// The reply leaves early, but never before a durable mark
			// covers the promise it makes: a replica that restarted
			// without it could ack a batch below a boundary it answered
			// for, and a slot could miss a sequenced batch (section 3.4).
			o.promiseMark = o.localSync + promiseStepUs
			o.out.Writes.Put([]byte{prefixLocalSync}, i64(o.promiseMark))
			o.out.Barrier = true
		}
	}
	window := o.chainWindow(parent)
	var list []slotEntry
	for d, e := range o.sequenced {
		if e.ts >= tp && e.ts < c.Boundary && !window.has(d) {
			list = append(list, slotEntry{d: d, ts: e.ts})
		}
	}
	sortEntries(list)
	r := &wire.CollectReply{View: c.View, Parent: c.Parent, Boundary: c.Boundary, Replica: o.cfg.Self}
	for _, e := range list {
		r.Entries = append(r.Entries, &wire.SlotEntry{Digest: append([]byte(nil), e.d[:]...), Ts: e.ts})
	}
	r.Sig = o.cfg.Signer.Sign(crypto.DomainCollect, crypto.U64(c.View), c.Parent, crypto.I64(c.Boundary), listBytes(r.Entries))
	o.collectView, o.collectReply = c.View, r
	o.sendReply(from, r)
	return false, nil
}

func (o *Orderer) sendReply(to uint32, r *wire.CollectReply) {
	if to == o.cfg.Self {
		_ = o.onCollectReply(o.cfg.Self, r)
		return
	}
	// Early: the reply depends on no write but the promise mark, a
	// Barrier write (answerCollect). The entries it lists were sequenced
	// here, some perhaps in this very turn and not yet durable; listing
	// one that a crash then loses only adds an entry this replica alone
	// vouches for, and every batch with 2f+1 acks is still in any 2f+1
	// replies (section 3.4).
	o.out.SendEarly(int(to), &wire.Message{Body: &wire.Message_CollectReply{CollectReply: r}})
}

func sortEntries(list []slotEntry) {
	slices.SortFunc(list, func(a, b slotEntry) int {
		if a.less(b) {
			return -1
		}
		if b.less(a) {
			return 1
		}
		return 0
	})
}

// round is the leader's collect for one (view, parent).
type round struct {
	view     uint64
	parent   hotstuff.Hash
	tParent  int64
	boundary int64
	askedAt  int64
	replies  map[uint32]*wire.CollectReply
	// asked holds, per replica, the entries of its reply whose body and
	// proof this leader asked it for: the only ones it accepts from it
	// (docs/protocol.md section 3.2.2, proofs only when solicited).
	asked map[uint32]map[batch.Digest]int64
	done  bool
}

// Build implements hotstuff.PayloadRules: run a collect round for (view,
// parent), then propose the union of 2f+1 complete replies.
func (o *Orderer) Build(now int64, view uint64, parent *hotstuff.Block, force bool) ([]byte, bool) {
	o.now = now
	r := o.round
	if r == nil || r.view != view || r.parent != parent.Hash {
		// A slot holds batches with ts < now - delta: while every pending
		// batch is younger, a block would carry nothing. Wait rather than
		// spend a block (and its signatures) on an empty slot. (A collect
		// already sent for this view cannot be redone: replicas answer once
		// per view.)
		oldest, ok := o.oldestPending(parent)
		if ok && oldest >= now-o.delta {
			if force {
				// Earlier payload needs blocks on top to commit, and nothing
				// new is ready: a null slot moves it along without a collect.
				return wire.Marshal(&wire.Slot{Boundary: o.boundaryOf(parent)}), true
			}
			o.buildWake = oldest + o.delta + 1
			return nil, false
		}
		if !ok && force {
			return wire.Marshal(&wire.Slot{Boundary: o.boundaryOf(parent)}), true
		}
		r = o.startRound(view, parent)
	}
	// Usable replies are complete (every entry's body and proof is here) and
	// list nothing the slot could not hold (an entry already in the chain
	// window: docs/protocol.md section 3.2.3). The smallest usable replies go first: any
	// 2f+1 replies cover every sequenced batch (3.4), and a Byzantine reply
	// inflated with entries only its sender vouches for is the one left out.
	window := o.chainWindow(parent)
	var usable []*wire.CollectReply
	for i := 0; i < o.n; i++ {
		if rep, ok := r.replies[uint32(i)]; ok && o.completeReply(rep) && !listsAny(rep, window) {
			usable = append(usable, rep)
		}
	}
	if len(usable) < o.q {
		return nil, false
	}
	slices.SortStableFunc(usable, func(a, b *wire.CollectReply) int { return len(a.Entries) - len(b.Entries) })
	payload, err := o.buildSlot(r.boundary, usable[:o.q])
	if err != nil {
		return nil, false
	}
	if len(payload) > MaxSlotBytes {
		// The smallest 2f+1 replies still make a slot every replica would
		// refuse: wait for the view to time out rather than propose it.
		return nil, false
	}
	r.done = true
	return payload, true
}

// listsAny reports whether a collect reply lists a digest of the window.
func listsAny(rep *wire.CollectReply, window *chainSet) bool {
	for _, e := range rep.Entries {
		if d, err := batch.DigestFromBytes(e.Digest); err != nil || window.has(d) {
			return true
		}
	}
	return false
}

// oldestPending is the smallest ts of a batch sequenced here that the slot
// after parent could hold.
func (o *Orderer) oldestPending(parent *hotstuff.Block) (int64, bool) {
	tp := o.boundaryOf(parent)
	var window *chainSet
	oldest, found := int64(0), false
	for d, e := range o.sequenced {
		if e.ts < tp || (found && e.ts >= oldest) {
			continue
		}
		if window == nil {
			window = o.chainWindow(parent)
		}
		if window.has(d) {
			continue
		}
		oldest, found = e.ts, true
	}
	return oldest, found
}

// startRound sends the collect for (view, parent) to every replica,
// itself included.
func (o *Orderer) startRound(view uint64, parent *hotstuff.Block) *round {
	o.adaptDelta()
	tp := o.boundaryOf(parent)
	t := o.now - o.delta
	if t <= tp {
		t = tp + 1
	}
	r := &round{view: view, parent: parent.Hash, tParent: tp, boundary: t, askedAt: o.now, replies: make(map[uint32]*wire.CollectReply), asked: make(map[uint32]map[batch.Digest]int64)}
	o.round = r
	c := &wire.Collect{View: view, Parent: append([]byte(nil), parent.Hash[:]...), Boundary: t, ViewCert: o.tree.ViewCert()}
	// A collect is a request: it leaves before this turn's writes (the
	// leader's own promise among them) are synced.
	o.out.SendEarly(hotstuff.Broadcast, &wire.Message{Body: &wire.Message_Collect{Collect: c}})
	_ = o.onCollect(o.cfg.Self, c)
	return r
}

// Proposed implements hotstuff.PayloadRules. A collect for the next view
// could start right now, overlapping the vote round, but its boundary would
// be a round trip older than one taken when the QC arrives, and batches
// sequenced in between would wait a whole block more: measured in the
// simulator, starting early doubled the mean latency. So the collect starts
// in Build.
func (o *Orderer) Proposed(*hotstuff.Block) {}

// deltaDecayUs is the time constant with which delta returns toward its
// configured value after it widened: slow, so that a load that caused
// rejects once does not cause them again a few slots later.
const deltaDecayUs = 10_000_000

// adaptDelta widens the slack by what the neediest batch that missed its
// slot since the last round needed (docs/protocol.md section 3.1, evidence.go) and lets
// it decay slowly otherwise.
func (o *Orderer) adaptDelta() {
	elapsed := o.now - o.deltaAt
	o.deltaAt = o.now
	if o.missNeed > 0 {
		o.delta = min(o.delta+o.missNeed, o.cfg.DeltaMaxUs)
	} else if excess := o.delta - o.cfg.DeltaUs; excess > 0 && elapsed > 0 {
		cut := excess * min(elapsed, deltaDecayUs) / deltaDecayUs
		o.delta -= max(cut, 1)
	}
	o.missNeed = 0
}

func (o *Orderer) completeReply(r *wire.CollectReply) bool {
	for _, e := range r.Entries {
		d, _ := batch.DigestFromBytes(e.Digest)
		if o.proven(d, e.Ts) == nil {
			return false
		}
	}
	return true
}

// retryRound re-sends the collect to replicas that have not answered and
// re-asks for proofs still missing.
func (o *Orderer) retryRound() {
	r := o.round
	if r == nil || r.done || o.now < r.askedAt+o.cfg.FetchRetryUs {
		return
	}
	if o.tree.View() != r.view || o.tree.LeaderOn(r.view, r.parent) != o.cfg.Self {
		o.round = nil
		return
	}
	r.askedAt = o.now
	c := &wire.Collect{View: r.view, Parent: append([]byte(nil), r.parent[:]...), Boundary: r.boundary, ViewCert: o.tree.ViewCert()}
	for i := 0; i < o.n; i++ {
		id := uint32(i)
		rep, ok := r.replies[id]
		switch {
		case !ok && id != o.cfg.Self:
			o.out.SendEarly(i, &wire.Message{Body: &wire.Message_Collect{Collect: c}})
		case ok && !o.completeReply(rep):
			o.requestProofs(id, rep)
		}
	}
}

// onCollectReply records a reply to the current round (docs/protocol.md section 3.2.3)
// and asks its sender for the proofs of entries the leader lacks.
func (o *Orderer) onCollectReply(from uint32, rep *wire.CollectReply) error {
	r := o.round
	if r == nil || r.done || rep.View != r.view || string(rep.Parent) != string(r.parent[:]) || rep.Boundary != r.boundary {
		return nil
	}
	if rep.Replica != from {
		return errors.New("ordering: collect reply relayed for another replica")
	}
	if _, dup := r.replies[from]; dup {
		return nil
	}
	if len(rep.Entries) > MaxSlotEntries {
		return fmt.Errorf("ordering: collect reply lists %d entries, above the bound of %d", len(rep.Entries), MaxSlotEntries)
	}
	prev := slotEntry{ts: -1 << 62}
	for i, e := range rep.Entries {
		d, err := batch.DigestFromBytes(e.Digest)
		if err != nil {
			return err
		}
		se := slotEntry{d: d, ts: e.Ts}
		if i > 0 && !prev.less(se) {
			return errors.New("ordering: collect reply entries not strictly sorted")
		}
		if e.Ts < r.tParent || e.Ts >= r.boundary {
			return fmt.Errorf("ordering: collect reply entry with ts %d outside [%d, %d)", e.Ts, r.tParent, r.boundary)
		}
		prev = se
	}
	if from != o.cfg.Self {
		msg := collectBytes(o.cfg.Committee.Cluster(), rep.View, rep.Parent, rep.Boundary, rep.Entries)
		if !o.cfg.Committee.VerifyBytesCached(from, rep.Sig, msg) {
			return errors.New("ordering: bad collect reply signature")
		}
	}
	r.replies[from] = rep
	o.requestProofs(from, rep)
	return nil
}

// requestProofs asks a replica for the bodies and proofs of the entries of
// its reply that this leader lacks, at most maxSolicited per ask: a reply
// inflated with entries that only its sender vouches for costs the leader a
// bounded amount of proof checking per retry, and the smallest replies are
// the ones a slot is built from anyway.
func (o *Orderer) requestProofs(from uint32, rep *wire.CollectReply) {
	r := o.round
	if from == o.cfg.Self || r == nil {
		return
	}
	asked := r.asked[from]
	if asked == nil {
		asked = make(map[batch.Digest]int64)
		r.asked[from] = asked
	}
	var ask [][]byte
	for _, e := range rep.Entries {
		d, _ := batch.DigestFromBytes(e.Digest)
		if o.proven(d, e.Ts) == nil {
			ask = append(ask, e.Digest)
			asked[d] = e.Ts
			if len(ask) == maxSolicited {
				break
			}
		}
	}
	if len(ask) > 0 {
		o.out.SendEarly(int(from), &wire.Message{Body: &wire.Message_SequencedRequest{SequencedRequest: &wire.SequencedRequest{Digests: ask}}})
	}
}

// maxSolicited bounds the entries one proof request asks for.
const maxSolicited = 4096

// onSequencedRequest serves the body and proof of batches this replica
// sequenced (it listed them in a collect reply), within the asking
// replica's serving budget (package servebudget).
func (o *Orderer) onSequencedRequest(from uint32, r *wire.SequencedRequest) {
	resp := &wire.SequencedResponse{}
	o.budgets.Serve(o.now, from, r.Digests, func(d batch.Digest) int {
		if e, ok := o.sequenced[d]; ok {
			resp.Batches = append(resp.Batches, &wire.SequencedBatch{Batch: e.raw, Ts: e.ts, Proof: e.proof})
			return len(e.raw) + proto.Size(e.proof)
		}
		if v, err := o.store.Get(storage.Key(prefixSequenced, d[:])); err == nil {
			var sb wire.SequencedBatch
			if wireUnmarshal(v, &sb) == nil {
				resp.Batches = append(resp.Batches, &sb)
				return len(v)
			}
		}
		return 0
	})
	if len(resp.Batches) > 0 {
		// Each batch carries its own proof, which the receiver checks.
		o.out.SendEarly(int(from), &wire.Message{Body: &wire.Message_SequencedResponse{SequencedResponse: resp}})
	}
}

// onSequencedResponse accepts proven batches this leader asked the sender
// for in the current round, each at the ts the sender listed: the proof must
// verify for the body's digest and that ts. Anything unsolicited is dropped
// unread, so a replica cannot fill the leader's table with proofs of its
// own making. What one sender may hold there is bounded in count and bytes
// (knownShare): at the bound its further entries are dropped, its reply
// stays incomplete, and the slot is built from other replies.
func (o *Orderer) onSequencedResponse(from uint32, r *wire.SequencedResponse) {
	rd := o.round
	if rd == nil || rd.done {
		return
	}
	asked := rd.asked[from]
	for _, sb := range r.Batches {
		if len(asked) == 0 {
			return
		}
		d := batch.DigestOf(sb.Batch)
		ts, ok := asked[d]
		if !ok || ts != sb.Ts {
			continue
		}
		delete(asked, d)
		if o.proven(d, sb.Ts) != nil {
			continue
		}
		size := entrySize(sb.Batch, sb.Proof)
		if o.knownCount[from]+1 > o.knownShareCount() || o.knownBytes[from]+size > o.knownShareBytes() {
			continue
		}
		b, err := batch.Decode(sb.Batch, o.cfg.Limits)
		if err != nil {
			continue
		}
		if o.checkProof(d, sb.Ts, sb.Proof) != nil {
			continue
		}
		e := &entry{d: d, ts: sb.Ts, raw: sb.Batch, b: b, proof: sb.Proof, from: from, size: size}
		o.known[slotEntry{d: d, ts: sb.Ts}] = e
		o.knownBody[d] = e
		o.knownCount[from]++
		o.knownBytes[from] += size
	}
}

// entrySize is what a proven batch costs in memory, roughly: its body and
// its proof's certificates.
func entrySize(raw []byte, p *wire.SequenceProof) int64 {
	size := int64(len(raw)) + 64
	for _, c := range p.GetCerts() {
		size += int64(len(c.GetRoot())+len(c.GetSig())) + 32*int64(len(c.GetPath())) + 32
	}
	return size
}

// knownShareCount and knownShareBytes are what one replica's solicited
// entries may hold of the leader's table of proven batches.
func (o *Orderer) knownShareCount() int   { return max(o.cfg.MaxPending/o.n, 1) }
func (o *Orderer) knownShareBytes() int64 { return max(o.cfg.MaxKnownBytes/int64(o.n), 1) }

// forgetKnown drops a proven batch learned from another replica.
func (o *Orderer) forgetKnown(k slotEntry) {
	e, ok := o.known[k]
	if !ok {
		return
	}
	delete(o.known, k)
	if o.knownBody[k.d] == e {
		delete(o.knownBody, k.d)
	}
	o.knownCount[e.from]--
	o.knownBytes[e.from] -= e.size
}
