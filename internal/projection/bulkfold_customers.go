package projection

import (
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/toffstech/customer-management/internal/events"
)

// The bulk fold of the customer events (see bulkFold): the rows of customers_v1, the copies of
// them that user and domain rows hold, and the erasure of personal data.

// customer folds an event on a customer subject (customers.queue).
func (f *bulkFold) customer(ev event, d decoded) error {
	env, id, seq := d.env, d.id, int64(ev.Seq)
	switch p := d.payload.(type) {
	case events.CustomerCreatedV1: // insertCustomerSQL
		parent, err := parseOptionalID(p.ParentID)
		if err != nil {
			return giveUp(ev, "customer.created: parent_id: %v", err)
		}
		if f.customers[id] != nil {
			return giveUp(ev, "customer.created for customer %s, which the read model holds", id)
		}
		c := &bulkCustomer{id: id, name: p.Name, address: p.Address, ancestors: noAncestors,
			created: env.Time, updated: env.Time, version: version(env, 0), lastSeq: seq}
		if pid, ok := parent.(uuid.UUID); ok {
			pr := f.customers[pid]
			c.parent, c.ancestors = validUUID(pid), ancestorsOf(pid, pr)
			if pr != nil {
				c.parentName = pgtype.Text{String: pr.name, Valid: true}
			}
		}
		if err := checkAncestors(ev, id, c.ancestors); err != nil {
			return err
		}
		c.group = f.newGroup(c)
		f.customers[id] = c
		f.customerRows = append(f.customerRows, c)
		f.adopt(c)

	case events.CustomerUpdatedV1:
		c := f.customers[id]
		if c == nil {
			return giveUp(ev, "customer.updated for customer %s, which the read model does not hold", id)
		}
		var parent pgtype.UUID
		if p.ParentID.Set && !p.ParentID.Null && p.ParentID.Value != "" {
			pid, err := parseID(p.ParentID.Value)
			if err != nil {
				return giveUp(ev, "customer.updated: parent_id: %v", err)
			}
			parent = validUUID(pid)
		}
		// updateCustomer: the new parent's row as the statement found it.
		var np *bulkCustomer
		if parent.Valid {
			np = f.customers[parent.Bytes]
		}
		c.updated, c.version, c.lastSeq = env.Time, version(env, c.version), seq
		if p.Name.Set {
			c.name = p.Name.Value
		}
		if p.Address.Set {
			c.address = p.Address.Value
		}
		if p.ParentID.Set {
			f.disown(c)
			c.parent, c.parentName, c.ancestors = parent, pgtype.Text{}, noAncestors
			if parent.Valid {
				c.ancestors = ancestorsOf(parent.Bytes, np)
				if np != nil {
					c.parentName = pgtype.Text{String: np.name, Valid: true}
				}
			}
			if err := checkAncestors(ev, id, c.ancestors); err != nil {
				return err
			}
			f.adopt(c)
		}
		if p.Name.Set { // renameChildrenSQL, renameUsersCustomerSQL, renameDomainsCustomerSQL
			for child := range f.children[id] {
				if x := f.customers[child]; x != nil {
					x.parentName = pgtype.Text{String: p.Name.Value, Valid: true}
				}
			}
			for _, g := range f.groups[id] {
				g.name = p.Name.Value
			}
		}
		if p.ParentID.Set { // moveSubtreeSQL, moveSubtreeUsersSQL, moveSubtreeDomainsSQL
			if err := f.moveSubtree(ev, c); err != nil {
				return err
			}
		}

	case events.CustomerDeletedV1: // deleteCustomerSQL
		if c := f.customers[id]; c != nil {
			c.gone = true
			delete(f.customers, id)
			f.disown(c)
		}

	case events.CustomerErasedV1:
		return f.erase(ev, id)

	default:
		return giveUp(ev, "event type %q on a customer subject", d.env.Type)
	}
	return nil
}

// newGroup starts the copy of customer c that its users and domains take from now on.
func (f *bulkFold) newGroup(c *bulkCustomer) *bulkGroup {
	g := &bulkGroup{customer: c.id, name: c.name, ancestors: c.ancestors}
	f.groups[c.id] = append(f.groups[c.id], g)
	return g
}

// adopt records c as a child of its parent; disown forgets it.
func (f *bulkFold) adopt(c *bulkCustomer) {
	if !c.parent.Valid {
		return
	}
	set := f.children[c.parent.Bytes]
	if set == nil {
		set = map[uuid.UUID]struct{}{}
		f.children[c.parent.Bytes] = set
	}
	set[c.id] = struct{}{}
}

func (f *bulkFold) disown(c *bulkCustomer) {
	if c.parent.Valid {
		delete(f.children[c.parent.Bytes], c.id)
	}
}

// moveSubtree gives the descendants of c, which has just moved, and the users and domains of c
// and of its descendants, c's new ancestors after their ancestors up to c.
func (f *bulkFold) moveSubtree(ev event, c *bulkCustomer) error {
	rebase := func(owner uuid.UUID, anc []uuid.UUID) ([]uuid.UUID, bool, error) {
		i := slices.Index(anc, c.id)
		if i < 0 {
			return anc, false, nil
		}
		out := append(append(make([]uuid.UUID, 0, i+1+len(c.ancestors)), anc[:i+1]...), c.ancestors...)
		return out, true, checkAncestors(ev, owner, out)
	}
	for _, x := range f.customers {
		anc, moved, err := rebase(x.id, x.ancestors)
		if err != nil {
			return err
		}
		if moved {
			x.ancestors = anc
		}
	}
	for owner, groups := range f.groups {
		for _, g := range groups {
			if owner == c.id {
				g.ancestors = c.ancestors
				continue
			}
			anc, moved, err := rebase(owner, g.ancestors)
			if err != nil {
				return err
			}
			if moved {
				g.ancestors = anc
			}
		}
	}
	return nil
}

// erase scrubs the personal data of customer id's users (queueErasure).
func (f *bulkFold) erase(ev event, id uuid.UUID) error {
	for _, r := range f.heldUsers[id] { // scrubAuditSubjectsSQL
		if r.resourceName != "" && r.resourceName != events.Erased {
			r.action = strings.ReplaceAll(r.action, r.resourceName, events.Erased)
		}
		if r.resourceName != "" {
			r.resourceName = events.Erased
		}
		change, err := personalScrubText(r.change, personalKeys, events.Erased)
		if err != nil {
			return giveUp(ev, "scrub the audit row of sequence %d: %v", r.seq, err)
		}
		r.change = change
	}
	for _, x := range f.actorRows {
		if x.customer.Valid && x.customer.Bytes == id {
			for _, r := range f.heldActors[x.user] { // scrubAuditActorsSQL
				r.actorEmail = events.Erased
			}
			x.email = events.Erased
		}
	}
	for _, u := range f.users {
		if u.group.customer == id {
			u.name, u.email, u.remark = events.Erased, events.Erased, ""
		}
	}
	return nil
}
