package domain

import "github.com/toffstech/customer-management/internal/events"

// Members lists the live users of one customer.
type Members struct {
	// Users holds the user ids in the order they were added.
	Users []string
	// Domains holds the domain ids in the order they were added.
	Domains []string
	// Closed is set when the customer was deleted: nobody can be added any more.
	Closed  bool
	LastSeq uint64
}

// Apply folds a members event in.
func (m *Members) Apply(rec Recorded) {
	switch p := rec.Payload.(type) {
	case events.MembersUserAddedV1:
		m.Users = append(m.Users, p.UserID)
	case events.MembersUserRemovedV1:
		m.Users = remove(m.Users, p.UserID)
	case events.MembersDomainAddedV1:
		m.Domains = append(m.Domains, p.DomainID)
	case events.MembersDomainRemovedV1:
		m.Domains = remove(m.Domains, p.DomainID)
	case events.MembersClosedV1:
		m.Closed = true
	}
	m.LastSeq = rec.Seq
}

// remove returns ids without id (a copy; the input is not changed).
func remove(ids []string, id string) []string {
	for i, x := range ids {
		if x == id {
			return append(ids[:i:i], ids[i+1:]...)
		}
	}
	return ids
}
