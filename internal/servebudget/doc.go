// Package servebudget bounds what a replica sends in answer to other
// replicas' fetches of batch bodies (Pompe's ordering layer and baseline
// mode's mempool use it alike), so a Byzantine replica can neither make a
// correct one build a huge response nor spend its sending capacity:
//   - a request names at most MaxDigests digests, and each is served at most
//     once (a repeated digest is skipped);
//   - one response carries at most MaxResponseBytes, always at least one
//     batch;
//   - each peer has a byte budget that refills at BytesPerSec up to
//     BurstBytes. At the bound the rest of the request is not served (the
//     response may overshoot by the one batch that crossed it); the asker
//     retries after its fetch timeout, from this replica or another.
//
// The budget runs on the time the state machine is given, so it stays
// deterministic.
package servebudget
