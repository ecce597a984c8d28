package command

import (
	"context"
	"errors"

	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// User actions.
const (
	UserView   Action = "User View"
	UserAdd    Action = "User Add"
	UserEdit   Action = "User Edit"
	UserDelete Action = "User Delete"
)

// Credentials is the credential store the user commands write: outside the event log, so no hash
// ever enters it.
type Credentials interface {
	// SetPassword stores a new hash and revokes the user's sessions.
	SetPassword(ctx context.Context, userID, phc string) error
	// RevokeSessions ends every session of the user at once.
	RevokeSessions(ctx context.Context, userID string) error
	// DeleteCredential forgets the user's credential.
	DeleteCredential(ctx context.Context, userID string) error
}

// Passwords checks and hashes new passwords.
type Passwords interface {
	// Check returns a domain Invalid error naming "password" or "password_confirm" for a password
	// the policy refuses.
	Check(password, confirm string) error
	Hash(password string) (string, error)
}

// NewPassword is a password and its confirmation, as typed twice.
type NewPassword struct {
	Password string
	Confirm  string
}

// Users handles the user commands. It shares the customers' store, cache and authorizer.
type Users struct {
	c     *Customers
	creds Credentials
	pw    Passwords
	cache *aggregateCache[domain.User]
}

// NewUsers returns the user command handlers.
func NewUsers(customers *Customers, creds Credentials, pw Passwords, keys Keys) *Users {
	if keys == nil {
		panic("command: NewUsers without a key store: personal data would enter the log in clear")
	}
	h := &Users{c: customers, creds: creds, pw: pw, cache: newAggregateCache[domain.User](100_000)}
	customers.users = h // from now on, deleting a customer deletes its users
	customers.keys = keys
	return h
}

// UserResult is the outcome of a user command.
type UserResult struct {
	User    domain.User
	Seq     uint64
	Changed bool
}

// user returns a user's state (see Customers.customer for fresh).
func (h *Users) user(ctx context.Context, id string, fresh bool) (domain.User, error) {
	u, ok := h.cache.get(id)
	if ok && !fresh {
		return u, nil
	}
	if !ok {
		u = domain.User{ID: id}
	}
	stored, err := h.c.store.Load(ctx, events.UserSubject(id), u.LastSeq)
	if err != nil {
		return domain.User{}, err
	}
	for _, s := range stored {
		r, err := recorded(s)
		if err == nil {
			r, err = h.open(ctx, id, r)
		}
		if err != nil {
			return domain.User{}, err
		}
		u.Apply(r)
	}
	if u.Version > 0 {
		h.cache.put(id, u, u.LastSeq)
	}
	return u, nil
}

// checkRole refuses a role that is not one of the roles.
func (h *Users) checkRole(role string) error {
	if _, err := auth.ParseRole(role); err != nil {
		return domain.InvalidFields(domain.FieldError{Field: "role", Detail: "must be one of the roles listed at /v1/roles"})
	}
	return nil
}

// authorizeUser checks action on users of the customer customerID.
func (h *Users) authorizeUser(ctx context.Context, m Meta, action Action, customerID string) error {
	return h.c.auth.Authorize(ctx, m, action, func(ctx context.Context) ([]string, error) {
		return h.c.path(ctx, customerID)
	})
}

// CreateUser adds a user to a customer: user.created, the claim of its email, and its addition to
// the customer's members (expecting the customer unchanged), in one atomic batch. The password
// hash goes to the credential store first, under the new user's id.
func (h *Users) CreateUser(ctx context.Context, m Meta, in domain.CreateUser, pw NewPassword) (UserResult, error) {
	m.Now = now(m)
	in, err := domain.PrepareCreateUser(in)
	perr := h.pw.Check(pw.Password, pw.Confirm)
	if err = joinInvalid(err, perr); err != nil {
		return UserResult{}, err
	}
	if err := h.checkRole(in.Role); err != nil {
		return UserResult{}, err
	}
	if err := mayAssign(m, in.Role); err != nil {
		return UserResult{}, err
	}
	if err := h.authorizeUser(ctx, m, UserAdd, in.CustomerID); err != nil {
		if domain.ErrorCode(err) == domain.NotFound {
			return UserResult{}, domain.InvalidFields(domain.FieldError{Field: "customer_id", Detail: "no such customer"})
		}
		return UserResult{}, err
	}
	id := newID(m.Now, seedIf(m, "user"))
	if m.Idempotent {
		if u, err := h.user(ctx, id, true); err != nil {
			return UserResult{}, err
		} else if u.Version > 0 {
			return UserResult{User: u, Seq: u.LastSeq, Changed: true}, nil
		}
	}
	phc, err := h.hash(ctx, pw.Password, nil)
	if err != nil {
		return UserResult{}, err
	}
	if err := h.creds.SetPassword(ctx, id, phc); err != nil {
		return UserResult{}, err
	}
	for attempt := 0; ; attempt++ {
		b := newBatch(m)
		u, err := h.addUser(ctx, b, id, in, nil)
		if err == nil {
			var seq uint64
			if seq, err = h.c.store.Append(ctx, b.msgs); err == nil {
				b.foldUser(&u, seq)
				h.cache.put(id, u, u.LastSeq)
				return UserResult{User: u, Seq: seq, Changed: true}, nil
			}
		}
		if !errors.Is(err, eventstore.ErrConflict) || attempt+1 >= maxAttempts {
			return UserResult{}, err
		}
		h.c.cache.drop(in.CustomerID)
	}
}

// addUser adds to b the events creating user id. newCustomer, when not nil, is a customer created
// in the same batch (the owner of a new customer): it exists only there, so nothing is expected of it.
func (h *Users) addUser(ctx context.Context, b *batch, id string, in domain.CreateUser, newCustomer *domain.Customer) (domain.User, error) {
	var cust domain.Customer
	var err error
	if newCustomer != nil {
		cust = *newCustomer
	} else if cust, err = h.c.customer(ctx, in.CustomerID, false); err != nil {
		return domain.User{}, err
	} else if !cust.Exists() {
		if cust, err = h.c.customer(ctx, in.CustomerID, true); err != nil {
			return domain.User{}, err
		}
	}
	key := events.UserEmailKey(in.Email)
	res, err := h.c.tail(ctx, events.ReservationSubject(events.KindUserEmail, key))
	if err != nil {
		return domain.User{}, err
	}
	evs, err := domain.DecideCreateUser(id, in, domain.UserFacts{Customer: &cust, EmailHolder: res.holder()})
	if err != nil {
		return domain.User{}, err
	}
	u := domain.User{ID: id}
	if err := h.add(ctx, b, u, evs[0], eventstore.Seq(0), ""); err != nil {
		return domain.User{}, err
	}
	claim := events.ReservationClaimedV1{Kind: events.KindUserEmail, OwnerType: events.AggregateUser, OwnerID: id}
	if err := b.reservationOf(events.KindUserEmail, key, res, claim, eventstore.Seq(res.seq), ""); err != nil {
		return domain.User{}, err
	}
	mt, err := h.c.tail(ctx, events.MembersSubject(cust.ID))
	if err != nil {
		return domain.User{}, err
	}
	add := events.MembersUserAddedV1{UserID: id}
	// Expecting the members list unchanged: deleting the customer closes it.
	return u, b.members(cust.ID, mt, add, eventstore.Seq(mt.seq), "")
}

// joinInvalid merges two Invalid errors' fields into one; any other error wins as is.
func joinInvalid(a, b error) error {
	var ea, eb *domain.Error
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case errors.As(a, &ea) && errors.As(b, &eb) && ea.Code == domain.Invalid && eb.Code == domain.Invalid:
		return domain.InvalidFields(append(append([]domain.FieldError{}, ea.Fields...), eb.Fields...)...)
	default:
		return a
	}
}

// UserIDByEmail returns the id of the user holding email, or "" when nobody does. It reads the
// email's reservation in the log, so it sees a user created a moment ago.
func (h *Users) UserIDByEmail(ctx context.Context, email string) (string, error) {
	t, err := h.c.tail(ctx, events.ReservationSubject(events.KindUserEmail, events.UserEmailKey(email)))
	if err != nil {
		return "", err
	}
	return t.holder(), nil
}

// SystemMeta is the metadata of work the system does on its own (start-up, sessions).
func SystemMeta(requestID string) Meta {
	return Meta{Actor: events.Actor{Type: events.ActorSystem}, RequestID: requestID}
}
