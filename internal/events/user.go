package events

// User event types. Never rename them: they are stored forever.
//
// No event ever carries a password, a password hash or a session token: credentials live in their
// own store outside the log, and the log only says that a password was set or changed.
const (
	UserCreated            = "user.created"
	UserUpdated            = "user.updated"
	UserDisabled           = "user.disabled"
	UserEnabled            = "user.enabled"
	UserDeleted            = "user.deleted"
	UserPasswordChanged    = "user.password_changed"
	UserPermissionsChanged = "user.permissions_changed"
)

// AggregateUser is the aggregate type of users.
const AggregateUser = "user"

// KindUserEmail is the reservation kind of a user's email, unique across the system.
const KindUserEmail = "user-email"

// UserSubject is the subject of one user's events.
func UserSubject(id string) string { return "cm.user." + id }

// UserCreatedV1 is the data of user.created. Name, Email and Remark are personal data.
type UserCreatedV1 struct {
	CustomerID string `json:"customer_id"`
	Role       string `json:"role"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Remark     string `json:"remark,omitempty"`
}

// UserUpdatedV1 is the data of user.updated: only the fields that changed. A changed CustomerID
// moves the user to another customer.
type UserUpdatedV1 struct {
	CustomerID Opt[string] `json:"customer_id,omitzero"`
	Role       Opt[string] `json:"role,omitzero"`
	Name       Opt[string] `json:"name,omitzero"`
	Email      Opt[string] `json:"email,omitzero"`
	Remark     Opt[string] `json:"remark,omitzero"`
	// Personal, set only when the user moves to another customer, restates the user's personal
	// fields as they are after the event, sealed with the new customer's key (see
	// PersonalFields): the fields given before the move were sealed with the old customer's key,
	// and erasing the old customer must not erase a user who lives on elsewhere. It is not a
	// change: the fields above say what changed.
	Personal *UserPersonalV1 `json:"personal,omitempty"`
}

// UserPersonalV1 is a user's personal data, restated by a user.updated that moves the user.
type UserPersonalV1 struct {
	Name   string `json:"name"`
	Email  string `json:"email"`
	Remark string `json:"remark,omitempty"`
}

// UserDisabledV1 is the data of user.disabled: the user keeps its data but has no access.
type UserDisabledV1 struct{}

// UserEnabledV1 is the data of user.enabled.
type UserEnabledV1 struct{}

// UserDeletedV1 is the data of user.deleted.
type UserDeletedV1 struct {
	// Reason is "customer_deleted" when the user went with its customer, empty otherwise.
	Reason string `json:"reason,omitempty"`
}

// UserPasswordChangedV1 is the data of user.password_changed. It says only that the password
// changed, and whether the user did it or someone else reset it.
type UserPasswordChangedV1 struct {
	// ByUser is true when the user changed its own password (knowing the current one).
	ByUser bool `json:"by_user"`
}

// UserPermissionsChangedV1 is the data of user.permissions_changed: the user's complete set of
// single permissions granted beyond, and revoked from, its role's defaults.
type UserPermissionsChangedV1 struct {
	Granted []string `json:"granted"`
	Revoked []string `json:"revoked"`
}

// EventType implements Payload.
func (UserCreatedV1) EventType() string { return UserCreated }

// EventType implements Payload.
func (UserUpdatedV1) EventType() string { return UserUpdated }

// EventType implements Payload.
func (UserDisabledV1) EventType() string { return UserDisabled }

// EventType implements Payload.
func (UserEnabledV1) EventType() string { return UserEnabled }

// EventType implements Payload.
func (UserDeletedV1) EventType() string { return UserDeleted }

// EventType implements Payload.
func (UserPasswordChangedV1) EventType() string { return UserPasswordChanged }

// EventType implements Payload.
func (UserPermissionsChangedV1) EventType() string { return UserPermissionsChanged }
