package attack

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/transport"
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
	// ResendAmplify (Pompe mode) executes one batch of Gets reads of a
	// ValueBytes value, so that every replica caches an Executed reply of
	// up to a batch's result budget (4 MiB), then asks each replica, over
	// and over, to sequence that executed batch again: a sequence request
	// of a few dozen bytes, with no proof, for a digest that already
	// executed. Before resends were budgeted, each one brought the whole
	// cached reply back from every replica.
	ResendAmplify Kind = "resend-amplify"
)

// resendRequestsPerSecond paces resend-amplify per target: enough to ask
// for far more than a replica can send (200 requests of a 4 MiB reply is
// 800 MiB/s), few enough that the attacker's own CPU stays small.
const resendRequestsPerSecond = 200

// amplifyDefaults are the sizes of the GET-amplification attack.
const (
	defaultValueBytes = 60_000
	defaultGets       = 2_000
	defaultBodyBytes  = 3_900_000
)

// readerClient configures the client of the read amplifications: a fresh
// key, batches of o.Gets commands, and patience for their large replies.
func readerClient(o Options) (crypto.PrivateKey, client.Config, error) {
	key, err := crypto.GenerateKey(rand.Reader)
	if err != nil {
		return key, client.Config{}, err
	}
	cfg, err := client.FromGenesis(o.Genesis, key)
	if err != nil {
		return key, client.Config{}, err
	}
	cfg.BatchMaxCommands = o.Gets
	cfg.BatchMaxDelay = 50 * time.Millisecond
	cfg.MaxPending = 2 * o.Gets
	cfg.RetryTimeout = 20 * time.Second
	return key, cfg, nil
}

// runGetAmplify is GetAmplify: one client, not one connection per target.
func runGetAmplify(ctx context.Context, o Options, st *Stats) error {
	_, cfg, err := readerClient(o)
	if err != nil {
		return err
	}
	gets := o.Gets
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

// runResendAmplify is ResendAmplify: one client key, one connection per
// target once its batch has executed.
func runResendAmplify(ctx context.Context, o Options, st *Stats) error {
	if o.Genesis.Mode != config.ModePompe {
		return fmt.Errorf("attack: %s needs a cluster in %s mode", o.Kind, config.ModePompe)
	}
	key, cfg, err := readerClient(o)
	if err != nil {
		return err
	}
	c, err := client.New(ctx, cfg)
	if err != nil {
		st.Refused.Add(1)
		return nil
	}
	if _, err := c.Do(ctx, kvstore.EncodePut([]byte("big"), make([]byte, o.ValueBytes))); err != nil {
		c.Close()
		return nil
	}
	outcomes := make(chan client.Outcome, o.Gets)
	for range o.Gets {
		if _, err := c.Submit(kvstore.EncodeGet([]byte("big")), func(out client.Outcome) { outcomes <- out }); err != nil {
			c.Close()
			return fmt.Errorf("attack: %s: %w", o.Kind, err)
		}
	}
	var executed client.Outcome
	select {
	case executed = <-outcomes:
	case <-ctx.Done():
		c.Close()
		return nil
	}
	c.Close() // resends go to the key's newest connection: the ones below
	req, err := wire.AppendFrame(nil, &wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{
		Digest: executed.Digest[:], Ts: executed.AssignedTS}}})
	if err != nil {
		return err
	}
	cert, err := transport.SelfSignedCert(key)
	if err != nil {
		return err
	}
	committee, err := o.Genesis.Committee()
	if err != nil {
		return err
	}
	for _, target := range o.Targets {
		if target < 0 || target >= len(o.Genesis.Replicas) {
			return fmt.Errorf("attack: no replica %d", target)
		}
	}
	var wg sync.WaitGroup
	for _, target := range o.Targets {
		info := o.Genesis.Replicas[target]
		pub := committee.PublicKey(uint32(target))
		wg.Add(1)
		go func() {
			defer wg.Done()
			resendLoop(ctx, o.Sources[0], info.ClientAddress, transport.ClientDialTLS(cert, pub), req, st)
		}()
	}
	wg.Wait()
	return nil
}

// resendLoop asks one replica for an executed batch again and again,
// counting the reply bytes it sends back, and reconnects when the replica
// hangs up.
func resendLoop(ctx context.Context, source, addr string, tlsCfg *tls.Config, req []byte, st *Stats) {
	for ctx.Err() == nil {
		st.Dials.Add(1)
		d := tls.Dialer{Config: tlsCfg, NetDialer: &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			st.Refused.Add(1)
			sleepCtx(ctx, 200*time.Millisecond)
			continue
		}
		st.Established.Add(1)
		st.Open.Add(1)
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		go func() {
			var b [64 << 10]byte
			for {
				n, err := conn.Read(b[:])
				st.ReplyBytes.Add(uint64(n))
				if err != nil {
					return
				}
			}
		}()
		tick := time.NewTicker(time.Second / resendRequestsPerSecond)
		for ctx.Err() == nil {
			if _, err := conn.Write(req); err != nil {
				st.ClosedByPeer.Add(1)
				break
			}
			st.Frames.Add(1)
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
		tick.Stop()
		stop()
		conn.Close()
		st.Open.Add(-1)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
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
	if (o.Kind == GetAmplify || o.Kind == ResendAmplify) && (o.Gets <= 0 || o.ValueBytes <= 0) {
		return fmt.Errorf("attack: %s needs positive gets and value size", o.Kind)
	}
	return nil
}
