package domain

import "github.com/toffstech/customer-management/internal/events"

// Members lists the live users of one customer.
type Members struct {
	// Users holds the user ids in the order they were added.
	Users []string
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
		for i, u := range m.Users {
			if u == p.UserID {
				m.Users = append(m.Users[:i:i], m.Users[i+1:]...)
				break
			}
		}
	case events.MembersClosedV1:
		m.Closed = true
	}
	m.LastSeq = rec.Seq
}
