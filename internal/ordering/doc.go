// Package ordering is Pompe's ordering layer as a deterministic state
// machine (docs/protocol.md sections 2, 3.1-3.4 and 7): the replica side of the
// ordering phase and the payload rules that carry slots in HotStuff blocks.
//
// Ordering phase, at every replica:
//   - TimestampRequest: the batch must belong to the authenticated
//     submitter; it gets ts = max(now, last+1, localSyncTS+1), strictly
//     increasing across restarts (a persisted high-water mark is raised in
//     steps before any timestamp above it is handed out). Requests of one
//     short window share one signature over a Merkle root.
//   - SequenceRequest: exactly 2f+1 valid timestamps of distinct replicas,
//     ts their median (index f), ts > localSyncTS, body hashing to d. The
//     batch is stored durably before the SequenceAck leaves; at most one ts
//     is acked per digest.
//
// Consensus phase:
//   - Collect (replica): answered only to the view's leader, once per view,
//     for a boundary T with T_parent < T <= now + skew and a parent this
//     replica holds and validated; localSyncTS rises to T durably before the
//     signed reply lists every sequenced batch with T_parent <= ts < T not in
//     the parent's chain. Check-and-store of a sequence request and
//     promise-and-snapshot of a collect are atomic because the state machine
//     handles one input at a time.
//   - Build (leader): collect from all, complete 2f+1 replies (fetching
//     bodies and proofs of listed batches from the replica that listed them),
//     and propose their union with every proof and the signed replies in
//     compact form.
//   - Validate (before voting): every rule of docs/protocol.md section 3.3.
//
// Execution order: committed blocks in chain order, batches of a slot by
// (ts, digest). A sequenced batch stays pending until a committed block holds
// it, so a failed leader or abandoned fork loses nothing.
package ordering
