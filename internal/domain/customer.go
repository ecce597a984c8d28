package domain

import (
	"time"

	"github.com/google/uuid"
	"github.com/toffstech/customer-management/internal/events"
)

// Customer is the customer aggregate: a company with a name, an address and an optional parent
// customer that manages it.
type Customer struct {
	ID        string
	Name      string
	Address   string
	ParentID  string
	CreatedAt time.Time
	UpdatedAt time.Time
	Deleted   bool
	// Erased reports that the personal data of the customer's users was erased (its key destroyed).
	Erased bool
	// Version counts the customer's events; it is the ETag clients send back in If-Match.
	Version uint64
	// LastSeq is the stream sequence of the customer's last event: the expectation of its next append.
	LastSeq uint64
}

// Exists reports whether the customer was created and not deleted.
func (c *Customer) Exists() bool { return c != nil && c.Version > 0 && !c.Deleted }

// Apply folds one of the customer's events into its state. Unknown payloads are ignored so that
// newer builds may add event types an older reader skips.
func (c *Customer) Apply(r Recorded) {
	switch p := r.Payload.(type) {
	case events.CustomerCreatedV1:
		c.Name, c.Address, c.ParentID = p.Name, p.Address, p.ParentID
		c.CreatedAt = r.Time
		c.UpdatedAt = r.Time
	case events.CustomerUpdatedV1:
		if p.Name.Set {
			c.Name = p.Name.Value
		}
		if p.Address.Set {
			c.Address = p.Address.Value
		}
		if p.ParentID.Set {
			c.ParentID = p.ParentID.Value // null decodes to ""
		}
		c.UpdatedAt = r.Time
	case events.CustomerDeletedV1:
		c.Deleted = true
		c.UpdatedAt = r.Time
	case events.CustomerErasedV1:
		c.Erased = true
	}
	c.Version++
	if r.Version != 0 {
		c.Version = r.Version
	}
	c.LastSeq = r.Seq
}

// CreateCustomer is the input of a create command.
type CreateCustomer struct {
	Name     string
	Address  string
	ParentID string
}

// Placement is what the command layer learned about a prospective parent: the parent aggregate
// (nil or not Exists when it is missing or deleted) and the ids of its ancestors, from its parent
// up to the root.
type Placement struct {
	Parent    *Customer
	Ancestors []string
}

// Depth is the depth of the parent itself (a root is at depth 1).
func (p Placement) Depth() int { return len(p.Ancestors) + 1 }

// PrepareCreate validates and normalizes a create command's own fields, before any fact is loaded.
// It reports every offending field at once.
func PrepareCreate(in CreateCustomer) (CreateCustomer, error) {
	var errs []FieldError
	name, fe := normalizeName("name", in.Name)
	if fe != nil {
		errs = append(errs, *fe)
	}
	addr, fe := normalizeAddress("address", in.Address)
	if fe != nil {
		errs = append(errs, *fe)
	}
	if fe := checkID("parent_id", in.ParentID); fe != nil {
		errs = append(errs, *fe)
	}
	if err := InvalidFields(errs...); err != nil {
		return CreateCustomer{}, err
	}
	return CreateCustomer{Name: name, Address: addr, ParentID: in.ParentID}, nil
}

// CreateFacts are the facts a create decision needs beyond its input.
type CreateFacts struct {
	// Parent describes the requested parent; zero when the customer is a root.
	Parent Placement
	// NameHolder is the id of the customer holding the name among the new siblings, or "".
	NameHolder string
}

// DecideCreate decides the creation of customer id from a prepared command.
func DecideCreate(id string, in CreateCustomer, f CreateFacts) ([]events.Payload, error) {
	if in.ParentID != "" {
		if err := checkParent(id, in.ParentID, f.Parent, 1); err != nil {
			return nil, err
		}
	}
	if f.NameHolder != "" && f.NameHolder != id {
		return nil, duplicateName(in.Name, f.NameHolder)
	}
	return []events.Payload{events.CustomerCreatedV1{Name: in.Name, Address: in.Address, ParentID: in.ParentID}}, nil
}

// UpdateCustomer is the input of an update: a JSON merge patch of name, address and parent_id.
type UpdateCustomer struct {
	Name     events.Opt[string]
	Address  events.Opt[string]
	ParentID events.Opt[string]
}

// PrepareUpdate validates and normalizes an update against the current state and keeps only the
// fields that would change. An empty result means the update changes nothing.
func (c *Customer) PrepareUpdate(in UpdateCustomer) (UpdateCustomer, error) {
	if !c.Exists() {
		return UpdateCustomer{}, customerNotFound(c.ID)
	}
	var errs []FieldError
	var out UpdateCustomer
	if in.Name.Set {
		name, fe := normalizeName("name", in.Name.Value)
		if in.Name.Null {
			fe = &FieldError{"name", "must not be null"}
		}
		if fe != nil {
			errs = append(errs, *fe)
		} else if name != c.Name {
			out.Name = events.Some(name)
		}
	}
	if in.Address.Set {
		addr, fe := normalizeAddress("address", in.Address.Value) // null clears the address
		if fe != nil {
			errs = append(errs, *fe)
		} else if addr != c.Address {
			out.Address = events.Some(addr)
		}
	}
	if in.ParentID.Set {
		p := in.ParentID.Value
		if fe := checkID("parent_id", p); fe != nil {
			errs = append(errs, *fe)
		} else if p != c.ParentID {
			if p == "" {
				out.ParentID = events.Null[string]()
			} else {
				out.ParentID = events.Some(p)
			}
		}
	}
	if err := InvalidFields(errs...); err != nil {
		return UpdateCustomer{}, err
	}
	return out, nil
}

// Empty reports whether a prepared update changes nothing.
func (u UpdateCustomer) Empty() bool { return !u.Name.Set && !u.Address.Set && !u.ParentID.Set }

// UpdateFacts are the facts an update decision needs.
type UpdateFacts struct {
	// Parent describes the new parent when ParentID changes to a customer.
	Parent Placement
	// SubtreeHeight is the height of the customer's own subtree (1 for a leaf); used with a move.
	SubtreeHeight int
	// NameHolder is the id of the customer holding the (new) name among the (new) siblings, or "".
	NameHolder string
}

// DecideUpdate decides a prepared update. It returns no events when the update changes nothing.
func (c *Customer) DecideUpdate(u UpdateCustomer, f UpdateFacts) ([]events.Payload, error) {
	if !c.Exists() {
		return nil, customerNotFound(c.ID)
	}
	if u.Empty() {
		return nil, nil
	}
	if u.ParentID.Set && !u.ParentID.Null {
		h := f.SubtreeHeight
		if h < 1 {
			h = 1
		}
		if err := checkParent(c.ID, u.ParentID.Value, f.Parent, h); err != nil {
			return nil, err
		}
	}
	if f.NameHolder != "" && f.NameHolder != c.ID {
		name := c.Name
		if u.Name.Set {
			name = u.Name.Value
		}
		return nil, duplicateName(name, f.NameHolder)
	}
	return []events.Payload{events.CustomerUpdatedV1{Name: u.Name, Address: u.Address, ParentID: u.ParentID}}, nil
}

// DecideDelete decides the deletion of the customer. children lists the ids of its live child
// customers; a customer with children cannot be deleted.
func (c *Customer) DecideDelete(children []string) ([]events.Payload, error) {
	if !c.Exists() {
		return nil, customerNotFound(c.ID)
	}
	if len(children) > 0 {
		return nil, &Error{
			Code:    Conflict,
			Message: "The customer still manages other customers; delete or move them first.",
			Details: map[string]any{"children": children},
		}
	}
	return []events.Payload{events.CustomerDeletedV1{ParentID: c.ParentID}}, nil
}

// checkParent checks that parentID may hold customer id whose subtree has the given height.
func checkParent(id, parentID string, p Placement, height int) error {
	if parentID == id {
		return InvalidFields(FieldError{"parent_id", "a customer cannot manage itself"})
	}
	if !p.Parent.Exists() {
		return InvalidFields(FieldError{"parent_id", "no such customer"})
	}
	for _, a := range p.Ancestors {
		if a == id {
			return InvalidFields(FieldError{"parent_id", "a customer cannot be moved under one of the customers it manages"})
		}
	}
	if p.Depth()+height > MaxDepth {
		return InvalidFields(FieldError{"parent_id", "the customer tree would be deeper than 16 levels"})
	}
	return nil
}

func checkID(field, s string) *FieldError {
	if s == "" {
		return nil
	}
	if _, err := uuid.Parse(s); err != nil || len(s) != 36 {
		return &FieldError{field, "must be a customer id (a UUID)"}
	}
	return nil
}

func duplicateName(name, holder string) error {
	return &Error{
		Code:    Conflict,
		Message: "A customer named \"" + name + "\" already exists under the same parent.",
		Details: map[string]any{"field": "name", "existing_id": holder},
	}
}

func customerNotFound(id string) error {
	return &Error{Code: NotFound, Message: "Customer not found.", Details: map[string]any{"id": id}}
}
