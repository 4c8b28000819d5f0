package attack

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
	"github.com/pompe-bft/pompe/pkg/client"
)

// The attacks of this file use the protocol as any client may: nothing in
// them is malformed.
const (
	// GetAmplify puts one value of ValueBytes, then submits batches of
	// Gets reads of it, one batch after another. Each read's result is a
	// copy of the value: before results were bounded, 2,000 reads (50 KB
	// sent) made every replica build and keep a 120 MB reply, and replaying
	// the block after a restart built it again.
	GetAmplify Kind = "get-amplify"
	// BodyFlood asks for timestamps on fresh batches of BodyBytes, as fast
	// as the connection takes them, and never sequences them; every dial
	// uses a fresh client key. Before bodies were bounded in bytes and per
	// client, 239 such requests took a replica from 34 to 1,822 MiB, and a
	// full table made every request scan it.
	BodyFlood Kind = "body-flood"
)

// amplifyDefaults are the sizes of the GET-amplification attack.
const (
	defaultValueBytes = 60_000
	defaultGets       = 2_000
	defaultBodyBytes  = 3_900_000
)

// runGetAmplify is GetAmplify: one client, not one connection per target.
func runGetAmplify(ctx context.Context, o Options, st *Stats) error {
	key, err := crypto.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	cfg, err := client.FromGenesis(o.Genesis, key)
	if err != nil {
		return err
	}
	gets := o.Gets
	cfg.BatchMaxCommands = gets
	cfg.BatchMaxDelay = 50 * time.Millisecond
	cfg.MaxPending = 2 * gets
	cfg.RetryTimeout = 20 * time.Second
	st.Dials.Add(1)
	c, err := client.New(ctx, cfg)
	if err != nil {
		st.Refused.Add(1)
		return nil
	}
	defer c.Close()
	st.Established.Add(1)
	st.Open.Add(1)
	defer st.Open.Add(-1)
	value := make([]byte, o.ValueBytes)
	if _, err := c.Do(ctx, kvstore.EncodePut([]byte("big"), value)); err != nil {
		return nil
	}
	get := kvstore.EncodeGet([]byte("big"))
	for ctx.Err() == nil {
		done := make(chan struct{}, gets)
		sent := 0
		for sent < gets && ctx.Err() == nil {
			if _, err := c.Submit(get, func(client.Outcome) { done <- struct{}{} }); err != nil {
				time.Sleep(time.Millisecond)
				continue
			}
			sent++
		}
		for range sent {
			select {
			case <-done:
			case <-ctx.Done():
				return nil
			}
		}
		st.Frames.Add(1)
	}
	return nil
}

// bodyFlood is BodyFlood on one connection: timestamp requests for fresh
// batches of about size bytes, replies read and dropped.
func (a *attacker) bodyFlood(ctx context.Context, tc *tls.Conn, key crypto.PrivateKey, size int) {
	a.established()
	defer a.st.Open.Add(-1)
	go func() {
		var b [64 << 10]byte
		for {
			if _, err := tc.Read(b[:]); err != nil {
				return
			}
		}
	}()
	id := crypto.ClientIDOf(key.Public())
	// The frame is built once; each request differs only in the first 16
	// bytes of the payload (a counter and random bytes), patched in place. A real attacker
	// brings its own machine: on the replicas' own machine, encoding
	// 3.9 MB twice per request (and collecting the garbage) took CPU from
	// the replicas and the correct clients, which measured the attacker,
	// not the defence.
	payload := make([]byte, size)
	marker := make([]byte, 16)
	_, _ = rand.Read(marker)
	copy(payload, marker)
	body := wire.Marshal(&wire.Batch{Submitter: id[:], Nonce: 1, Commands: []*wire.Command{{ClientId: id[:], Seq: 1, Payload: payload}}})
	frame, err := wire.AppendFrame(nil, &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: body}}})
	if err != nil {
		return
	}
	at := bytes.Index(frame, marker)
	if at < 0 {
		return
	}
	for n := uint64(1); ctx.Err() == nil; n++ {
		binary.LittleEndian.PutUint64(frame[at:], n)
		_, _ = rand.Read(frame[at+8 : at+16])
		if _, err := tc.Write(frame); err != nil {
			a.closed()
			return
		}
		a.st.Frames.Add(1)
	}
}

// checkAmplify validates the sizes of the attacks of this file.
func (o Options) checkAmplify() error {
	if o.Kind == GetAmplify && (o.Gets <= 0 || o.ValueBytes <= 0) {
		return fmt.Errorf("attack: %s needs positive gets and value size", o.Kind)
	}
	return nil
}
