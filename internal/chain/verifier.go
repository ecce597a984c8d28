package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"

	"github.com/toffstech/customer-management/internal/events"
)

// Event is one stored event as the Verifier reads it: its stream sequence, its subject and its
// bytes exactly as stored.
type Event struct {
	Seq     uint64
	Subject string
	Data    []byte
}

// Break is the first event whose chain link does not hold.
type Break struct {
	// Seq and Subject locate the event.
	Seq     uint64 `json:"seq"`
	Subject string `json:"subject"`
	// EventID and Type are the event's, when it decodes.
	EventID string `json:"event_id,omitempty"`
	Type    string `json:"type,omitempty"`
	// Reason says what does not hold, in words.
	Reason string `json:"reason"`
	// PrevSeq is the sequence of the aggregate's previous event in the log, 0 when there is none.
	PrevSeq uint64 `json:"prev_seq,omitempty"`
}

// Error formats the break.
func (b *Break) Error() string {
	return fmt.Sprintf("chain broken at sequence %d (%s): %s", b.Seq, b.Subject, b.Reason)
}

// link is what the Verifier keeps of an aggregate's last event.
type link struct {
	seq     uint64
	version uint64
	hash    string
}

// Verifier recomputes the hash chains of a log read in stream order. The zero value is not ready;
// use NewVerifier. It keeps one link per aggregate, about 150 bytes each.
type Verifier struct {
	links  map[string]link
	digest hash.Hash
	events int
	last   uint64
	first  *Break
}

// NewVerifier returns a Verifier at the start of a log.
func NewVerifier() *Verifier {
	return &Verifier{links: make(map[string]link), digest: sha256.New()}
}

// Add checks the next event of the log and returns the first break found so far (nil while every
// chain holds). Events must come in stream order; after the first break, Add goes on digesting and
// linking (from the event as it is), but the first break stays the one reported.
func (v *Verifier) Add(e Event) *Break {
	env, err := events.Decode(e.Data)
	return v.add(e.Seq, e.Subject, events.Hash(e.Data), env, err)
}

// add checks one event given its hash and decoded envelope (or the error decoding it).
func (v *Verifier) add(seq uint64, subject, h string, env events.Envelope, decodeErr error) *Break {
	v.events++
	v.last = seq
	v.digest.Write([]byte(h))
	prev, seen := v.links[subject]
	e := Event{Seq: seq, Subject: subject}
	if decodeErr != nil {
		v.breakAt(e, env, prev, "the event does not decode: "+decodeErr.Error())
		v.links[subject] = link{seq: seq, version: prev.version + 1, hash: h}
		return v.first
	}
	switch {
	case !seen && env.PrevHash != "":
		v.breakAt(e, env, prev, fmt.Sprintf("the first event of its aggregate in the log names a previous event (%s): events before it are missing", env.PrevHash))
	case seen && env.PrevHash == "":
		v.breakAt(e, env, prev, "the event names no previous event, but its aggregate has events before it: it was inserted, or an earlier event was")
	case seen && env.PrevHash != prev.hash:
		v.breakAt(e, env, prev, fmt.Sprintf("the event names previous hash %s, but the previous event of its aggregate (sequence %d) hashes to %s: an event of this aggregate was changed, removed, reordered or inserted",
			env.PrevHash, prev.seq, prev.hash))
	case env.AggregateVersion != prev.version+1:
		v.breakAt(e, env, prev, fmt.Sprintf("aggregate version %d follows version %d", env.AggregateVersion, prev.version))
	}
	v.links[subject] = link{seq: seq, version: env.AggregateVersion, hash: h}
	return v.first
}

func (v *Verifier) breakAt(e Event, env events.Envelope, prev link, reason string) {
	if v.first != nil {
		return
	}
	v.first = &Break{Seq: e.Seq, Subject: e.Subject, EventID: env.ID, Type: env.Type, Reason: reason, PrevSeq: prev.seq}
}

// Report is the outcome of a verification.
type Report struct {
	// Events is how many events were checked; Aggregates how many chains they form.
	Events     int `json:"events"`
	Aggregates int `json:"aggregates"`
	// LastSeq is the stream sequence of the last event checked.
	LastSeq uint64 `json:"last_seq"`
	// Digest is the SHA-256 over the hashes of every event checked, in order ("sha256:…"): keep
	// it with LastSeq to prove later that nothing up to LastSeq changed.
	Digest string `json:"digest"`
	// OK reports that every chain holds; FirstBreak is the first break otherwise.
	OK         bool   `json:"ok"`
	FirstBreak *Break `json:"first_break,omitempty"`
}

// Report returns the outcome so far.
func (v *Verifier) Report() Report {
	return Report{
		Events:     v.events,
		Aggregates: len(v.links),
		LastSeq:    v.last,
		Digest:     events.HashPrefix + hex.EncodeToString(v.digest.Sum(nil)),
		OK:         v.first == nil,
		FirstBreak: v.first,
	}
}
