package events

// Members event types. Each customer's members aggregate lists its users and its domains, so
// deleting a customer can delete exactly them in the same atomic batch: a user create attaches the user here and
// expects the customer unchanged; a customer delete closes the list, expecting it unchanged.
const (
	MembersUserAdded     = "members.user_added"
	MembersUserRemoved   = "members.user_removed"
	MembersDomainAdded   = "members.domain_added"
	MembersDomainRemoved = "members.domain_removed"
	MembersClosed        = "members.closed"
)

// AggregateMembers is the aggregate type of a customer's member list.
const AggregateMembers = "members"

// MembersSubject is the subject of one customer's member list.
func MembersSubject(customerID string) string { return "cm.members." + customerID }

// MembersUserAddedV1 is the data of members.user_added.
type MembersUserAddedV1 struct {
	UserID string `json:"user_id"`
}

// MembersUserRemovedV1 is the data of members.user_removed.
type MembersUserRemovedV1 struct {
	UserID string `json:"user_id"`
}

// MembersDomainAddedV1 is the data of members.domain_added: the customer owns the domain now.
type MembersDomainAddedV1 struct {
	DomainID string `json:"domain_id"`
}

// MembersDomainRemovedV1 is the data of members.domain_removed.
type MembersDomainRemovedV1 struct {
	DomainID string `json:"domain_id"`
}

// EventType implements Payload.
func (MembersDomainAddedV1) EventType() string { return MembersDomainAdded }

// EventType implements Payload.
func (MembersDomainRemovedV1) EventType() string { return MembersDomainRemoved }

// MembersClosedV1 is the data of members.closed: the customer was deleted.
type MembersClosedV1 struct{}

// EventType implements Payload.
func (MembersUserAddedV1) EventType() string { return MembersUserAdded }

// EventType implements Payload.
func (MembersUserRemovedV1) EventType() string { return MembersUserRemoved }

// EventType implements Payload.
func (MembersClosedV1) EventType() string { return MembersClosed }
