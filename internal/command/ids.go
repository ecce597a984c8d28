package command

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// newID returns a UUIDv7. With a seed it is deterministic: the time part is t and the random part
// is taken from sha256(seed), so an idempotent command retried with the same key and time gets
// the same ids.
func newID(t time.Time, seed string) string {
	if seed == "" {
		return uuid.Must(uuid.NewV7()).String()
	}
	var u uuid.UUID
	sum := sha256.Sum256([]byte(seed))
	copy(u[6:], sum[:10])
	ms := uint64(t.UnixMilli())
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(u[0:6], ts[2:8])
	u[6] = 0x70 | (u[6] & 0x0f) // version 7
	u[8] = 0x80 | (u[8] & 0x3f) // RFC 9562 variant
	return u.String()
}

// idSeq hands out the ids of one command's events.
type idSeq struct {
	m Meta
	n int
}

func (s *idSeq) next(kind string) string {
	s.n++
	if !s.m.Idempotent {
		return newID(s.m.Now, "")
	}
	return newID(s.m.Now, s.m.CommandID+"/"+kind+"/"+strconv.Itoa(s.n))
}
