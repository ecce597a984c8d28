package events

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// StreamName is the JetStream stream holding every domain event.
const StreamName = "CM"

// SubjectPrefix starts every event subject; the stream covers SubjectPrefix + ">".
const SubjectPrefix = "cm."

// CustomerSubject is the subject of one customer's events.
func CustomerSubject(id string) string { return "cm.customer." + id }

// HierarchySubject is the subject listing one customer's children.
func HierarchySubject(parentID string) string { return "cm.hierarchy." + parentID }

// TreeSubject is the one subject that serializes re-parenting commands.
const TreeSubject = "cm.tree"

// ReservationSubject is the subject of the reservation of a normalized key of a kind. The key is
// hashed so that no name, email or host ever appears in a subject.
func ReservationSubject(kind, key string) string {
	return "cm.unique." + kind + "." + ReservationID(kind, key)
}

// ReservationID is the aggregate id of the reservation of key (a sha256 over kind and key).
func ReservationID(kind, key string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

// CustomerNameKey is the normalized uniqueness key of a customer name under a parent (empty parent:
// root customers): the trimmed, lower-cased name.
func CustomerNameKey(parentID, name string) string {
	return parentID + "\x00" + strings.ToLower(strings.TrimSpace(name))
}

// UserEmailKey is the normalized uniqueness key of a user email: trimmed and lower-cased.
func UserEmailKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// DomainHostKey is the normalized uniqueness key of a domain host (already lower-case punycode).
func DomainHostKey(host string) string { return strings.ToLower(strings.TrimSpace(host)) }
