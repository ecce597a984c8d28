package projection

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Headers JetStream stores on every message of an atomic batch.
const (
	headerBatchID     = "Nats-Batch-Id"
	headerBatchCommit = "Nats-Batch-Commit"
)

// Watermill metadata keys the unmarshaler fills from the JetStream message.
const (
	metaSeq     = "cm_stream_seq"
	metaSubject = "cm_subject"
)

// event is one stream message as the batcher and the reducers see it.
type event struct {
	// Seq is the message's stream sequence.
	Seq uint64
	// Subject is the subject it was stored on, e.g. "cm.customer.<id>".
	Subject string
	// Data is the stored envelope, undecoded.
	Data []byte
	// BatchID is the Nats-Batch-Id of the atomic batch the message belongs to, or "".
	BatchID string
	// BatchCommit reports whether the message is the last of its atomic batch.
	BatchCommit bool
}

// eventFromMessage reads an event from a Watermill message built by unmarshaler. ok is false when
// the message carries no stream sequence, which only a message from outside the stream could lack.
func eventFromMessage(m *message.Message) (event, bool) {
	seq, err := strconv.ParseUint(m.Metadata.Get(metaSeq), 10, 64)
	if err != nil || seq == 0 {
		return event{}, false
	}
	return event{
		Seq:         seq,
		Subject:     m.Metadata.Get(metaSubject),
		Data:        m.Payload,
		BatchID:     m.Metadata.Get(headerBatchID),
		BatchCommit: m.Metadata.Get(headerBatchCommit) != "",
	}, true
}

// eventType returns the type an envelope declares, or "" when data is not an envelope. It is for
// parking and logging, so it never fails.
func eventType(data []byte) string {
	var env struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(data, &env) != nil {
		return ""
	}
	return cleanText(env.Type, 200)
}

// cleanText makes s storable in a Postgres text column (valid UTF-8, no NUL) and cuts it to at
// most max bytes.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	return s
}
