package projectiontest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/personal"
)

// maxDepth is how deep Writer lets the tree grow (as the domain does).
const maxDepth = 16

// Writer appends customer, user and domain events as the command layer would, and remembers the
// tree, the users and the domains it built so that its random steps stay valid (no cycles, only
// leaves deleted, a customer's users and domains deleted with it, hosts unique).
type Writer struct {
	store     *eventstore.Store
	versions  map[string]uint64 // subject → events written
	nodes     map[string]*node  // live customers
	ids       []string          // live customers, in creation order
	users     map[string]*unode // live users
	userIDs   []string          // live users, in creation order
	domains   map[string]*dnode // live domains
	domainIDs []string          // live domains, in creation order
	serial    int               // makes generated emails and hosts unique
	// Keys, when set, seal the personal fields of user events as the commands do (package
	// personal), with the key of the user's customer; nil writes them in clear, as events written
	// before sealing existed.
	Keys personal.Keys
	// ActorID, when set, is the user every event is attributed to; empty attributes them to the
	// system.
	ActorID string
}

// node is what Writer knows of one live customer.
type node struct {
	name, address, parent string
	children              map[string]bool
	users                 map[string]bool
	domains               map[string]bool
}

// dnode is what Writer knows of one live domain.
type dnode struct {
	customer string
	settings events.DomainSettings
}

// unode is what Writer knows of one live user.
type unode struct {
	customer, email string
	disabled        bool
}

// NewWriter returns a Writer appending to store.
func NewWriter(store *eventstore.Store) *Writer {
	return &Writer{store: store, versions: map[string]uint64{}, nodes: map[string]*node{}, users: map[string]*unode{}, domains: map[string]*dnode{}}
}

// Live returns the ids of the live customers Writer created, in creation order.
func (w *Writer) Live() []string { return append([]string(nil), w.ids...) }

// Create appends the creation of a customer (with its name reservation and, under a parent, the
// parent's hierarchy event) as one atomic batch, and returns its id and the last sequence.
func (w *Writer) Create(ctx context.Context, name, address, parent string) (string, uint64, error) {
	id := uuid.Must(uuid.NewV7()).String()
	batch := []eventstore.Message{
		w.msg(events.CustomerSubject(id), events.AggregateCustomer, id, events.CustomerCreatedV1{Name: name, Address: address, ParentID: parent}),
		w.claim(parent, name, id),
	}
	if parent != "" {
		batch = append(batch, w.msg(events.HierarchySubject(parent), events.AggregateHierarchy, parent, events.HierarchyChildAttachedV1{ChildID: id}))
	}
	seq, err := w.store.Append(ctx, batch)
	if err != nil {
		return "", 0, err
	}
	w.addNode(id, name, address, parent)
	return id, seq, nil
}

// addNode records a created customer.
func (w *Writer) addNode(id, name, address, parent string) {
	w.nodes[id] = &node{name: name, address: address, parent: parent, children: map[string]bool{}, users: map[string]bool{}, domains: map[string]bool{}}
	w.ids = append(w.ids, id)
	if parent != "" {
		w.nodes[parent].children[id] = true
	}
}

// Rename appends a name change (with the release of the old reservation and the claim of the new).
func (w *Writer) Rename(ctx context.Context, id, name string) (uint64, error) {
	n := w.nodes[id]
	seq, err := w.store.Append(ctx, []eventstore.Message{
		w.msg(events.CustomerSubject(id), events.AggregateCustomer, id, events.CustomerUpdatedV1{Name: events.Some(name)}),
		w.release(n.parent, n.name, id),
		w.claim(n.parent, name, id),
	})
	if err == nil {
		n.name = name
	}
	return seq, err
}

// SetAddress appends an address change, a single message.
func (w *Writer) SetAddress(ctx context.Context, id, address string) (uint64, error) {
	seq, err := w.store.Append(ctx, []eventstore.Message{
		w.msg(events.CustomerSubject(id), events.AggregateCustomer, id, events.CustomerUpdatedV1{Address: events.Some(address)}),
	})
	if err == nil {
		w.nodes[id].address = address
	}
	return seq, err
}

// Move appends the re-parenting of id under parent ("" makes it a root), optionally renaming it in
// the same update, with the tree lock, both hierarchies and the reservations.
func (w *Writer) Move(ctx context.Context, id, parent, rename string) (uint64, error) {
	n := w.nodes[id]
	upd := events.CustomerUpdatedV1{ParentID: events.Some(parent)}
	if parent == "" {
		upd.ParentID = events.Null[string]()
	}
	name := n.name
	if rename != "" {
		upd.Name = events.Some(rename)
		name = rename
	}
	batch := []eventstore.Message{
		w.msg(events.CustomerSubject(id), events.AggregateCustomer, id, upd),
		w.msg(events.TreeSubject, events.AggregateTree, "tree", events.TreeCustomerMovedV1{CustomerID: id, FromParentID: n.parent, ToParentID: parent}),
		w.release(n.parent, n.name, id),
		w.claim(parent, name, id),
	}
	if n.parent != "" {
		batch = append(batch, w.msg(events.HierarchySubject(n.parent), events.AggregateHierarchy, n.parent, events.HierarchyChildDetachedV1{ChildID: id}))
	}
	if parent != "" {
		batch = append(batch, w.msg(events.HierarchySubject(parent), events.AggregateHierarchy, parent, events.HierarchyChildAttachedV1{ChildID: id}))
	}
	seq, err := w.store.Append(ctx, batch)
	if err != nil {
		return 0, err
	}
	if n.parent != "" {
		delete(w.nodes[n.parent].children, id)
	}
	if parent != "" {
		w.nodes[parent].children[id] = true
	}
	n.parent, n.name = parent, name
	return seq, nil
}

// Erase appends customer.erased for a deleted customer, as the command layer does once it has
// destroyed the customer's key (which the caller does: Writer holds no key store of its own).
func (w *Writer) Erase(ctx context.Context, id string) (uint64, error) {
	return w.store.Append(ctx, []eventstore.Message{w.msg(events.CustomerSubject(id), events.AggregateCustomer, id, events.CustomerErasedV1{})})
}

// Delete appends the deletion of a customer without children as the command layer does, in one
// atomic batch: customer.deleted, the release of its name, its detachment from its parent, the
// deletion of its users (with the release of their emails), the removal of its domains (with the
// release of their hosts), and the closing of its member list.
func (w *Writer) Delete(ctx context.Context, id string) (uint64, error) {
	n := w.nodes[id]
	if len(n.children) > 0 {
		return 0, fmt.Errorf("projectiontest: customer %s still has children", id)
	}
	batch := []eventstore.Message{
		w.msg(events.CustomerSubject(id), events.AggregateCustomer, id, events.CustomerDeletedV1{ParentID: n.parent}),
		w.release(n.parent, n.name, id),
	}
	if n.parent != "" {
		batch = append(batch, w.msg(events.HierarchySubject(n.parent), events.AggregateHierarchy, n.parent, events.HierarchyChildDetachedV1{ChildID: id}))
	}
	var gone []string
	for _, u := range w.userIDs { // creation order, so the batch is the same for the same seed
		if n.users[u] {
			gone = append(gone, u)
			batch = append(batch,
				w.msg(events.UserSubject(u), events.AggregateUser, u, events.UserDeletedV1{Reason: "customer_deleted"}),
				w.emailReservation(w.users[u].email, u, false))
		}
	}
	var removed []string
	for _, d := range w.domainIDs { // creation order, as for the users
		if n.domains[d] {
			removed = append(removed, d)
			batch = append(batch,
				w.msg(events.DomainSubject(d), events.AggregateDomain, d, events.DomainRemovedV1{Reason: "customer_deleted"}),
				w.hostReservation(w.domains[d].settings.Host, d, false))
		}
	}
	batch = append(batch, w.msg(events.MembersSubject(id), events.AggregateMembers, id, events.MembersClosedV1{}))
	seq, err := w.store.Append(ctx, batch)
	if err != nil {
		return 0, err
	}
	if n.parent != "" {
		delete(w.nodes[n.parent].children, id)
	}
	delete(w.nodes, id)
	w.ids = remove(w.ids, id)
	for _, u := range gone {
		delete(w.users, u)
		w.userIDs = remove(w.userIDs, u)
	}
	for _, d := range removed {
		delete(w.domains, d)
		w.domainIDs = remove(w.domainIDs, d)
	}
	return seq, nil
}

// remove returns ids without id.
func remove(ids []string, id string) []string {
	for i, x := range ids {
		if x == id {
			return append(ids[:i], ids[i+1:]...)
		}
	}
	return ids
}

// LiveUsers returns the ids of the live users Writer created, in creation order.
func (w *Writer) LiveUsers() []string { return append([]string(nil), w.userIDs...) }

// CreateWithOwner appends the creation of a customer together with its owner user, as one atomic
// batch (customer.created before user.created), and returns both ids and the last sequence.
func (w *Writer) CreateWithOwner(ctx context.Context, name, address, parent, ownerName, ownerEmail string) (customer, owner string, seq uint64, err error) {
	customer = uuid.Must(uuid.NewV7()).String()
	owner = uuid.Must(uuid.NewV7()).String()
	batch := []eventstore.Message{
		w.msg(events.CustomerSubject(customer), events.AggregateCustomer, customer, events.CustomerCreatedV1{Name: name, Address: address, ParentID: parent}),
		w.claim(parent, name, customer),
	}
	if parent != "" {
		batch = append(batch, w.msg(events.HierarchySubject(parent), events.AggregateHierarchy, parent, events.HierarchyChildAttachedV1{ChildID: customer}))
	}
	batch = append(batch,
		w.msg(events.UserSubject(owner), events.AggregateUser, owner, events.UserCreatedV1{CustomerID: customer, Role: "Owner (All Access)", Name: ownerName, Email: ownerEmail}),
		w.emailReservation(ownerEmail, owner, true))
	if seq, err = w.store.Append(ctx, batch); err != nil {
		return "", "", 0, err
	}
	w.addNode(customer, name, address, parent)
	w.addUser(owner, customer, ownerEmail)
	return customer, owner, seq, nil
}

// CreateUser appends the creation of a user of customer (with its email reservation) and returns
// its id and the last sequence.
func (w *Writer) CreateUser(ctx context.Context, customer, role, name, email, remark string) (string, uint64, error) {
	id := uuid.Must(uuid.NewV7()).String()
	seq, err := w.store.Append(ctx, []eventstore.Message{
		w.msg(events.UserSubject(id), events.AggregateUser, id, events.UserCreatedV1{CustomerID: customer, Role: role, Name: name, Email: email, Remark: remark}),
		w.emailReservation(email, id, true),
	})
	if err != nil {
		return "", 0, err
	}
	w.addUser(id, customer, email)
	return id, seq, nil
}

// addUser records a created user.
func (w *Writer) addUser(id, customer, email string) {
	w.users[id] = &unode{customer: customer, email: email}
	w.userIDs = append(w.userIDs, id)
	w.nodes[customer].users[id] = true
}

// UpdateUser appends a user.updated with the given fields (a changed email releases the old
// reservation and claims the new one in the same batch; a changed customer moves the user).
func (w *Writer) UpdateUser(ctx context.Context, id string, upd events.UserUpdatedV1) (uint64, error) {
	u := w.users[id]
	batch := []eventstore.Message{w.msg(events.UserSubject(id), events.AggregateUser, id, upd)}
	if upd.Email.Set {
		batch = append(batch, w.emailReservation(u.email, id, false), w.emailReservation(upd.Email.Value, id, true))
	}
	seq, err := w.store.Append(ctx, batch)
	if err != nil {
		return 0, err
	}
	if upd.Email.Set {
		u.email = upd.Email.Value
	}
	if upd.CustomerID.Set {
		delete(w.nodes[u.customer].users, id)
		u.customer = upd.CustomerID.Value
		w.nodes[u.customer].users[id] = true
	}
	return seq, nil
}

// SetUserDisabled appends user.disabled or user.enabled.
func (w *Writer) SetUserDisabled(ctx context.Context, id string, disabled bool) (uint64, error) {
	var p events.Payload = events.UserEnabledV1{}
	if disabled {
		p = events.UserDisabledV1{}
	}
	seq, err := w.store.Append(ctx, []eventstore.Message{w.msg(events.UserSubject(id), events.AggregateUser, id, p)})
	if err == nil {
		w.users[id].disabled = disabled
	}
	return seq, err
}

// ChangePassword appends user.password_changed (which carries no password).
func (w *Writer) ChangePassword(ctx context.Context, id string) (uint64, error) {
	return w.store.Append(ctx, []eventstore.Message{w.msg(events.UserSubject(id), events.AggregateUser, id, events.UserPasswordChangedV1{ByUser: true})})
}

// SetPermissions appends user.permissions_changed.
func (w *Writer) SetPermissions(ctx context.Context, id string, granted, revoked []string) (uint64, error) {
	return w.store.Append(ctx, []eventstore.Message{w.msg(events.UserSubject(id), events.AggregateUser, id,
		events.UserPermissionsChangedV1{Granted: granted, Revoked: revoked})})
}

// DeleteUser appends the deletion of a user (with the release of its email).
func (w *Writer) DeleteUser(ctx context.Context, id string) (uint64, error) {
	u := w.users[id]
	seq, err := w.store.Append(ctx, []eventstore.Message{
		w.msg(events.UserSubject(id), events.AggregateUser, id, events.UserDeletedV1{}),
		w.emailReservation(u.email, id, false),
	})
	if err != nil {
		return 0, err
	}
	delete(w.nodes[u.customer].users, id)
	delete(w.users, id)
	w.userIDs = remove(w.userIDs, id)
	return seq, nil
}

// UserStep appends one random valid user command: mostly creations (sometimes a customer with
// its owner) early on, then updates of some fields, moves to another customer, disabling and
// enabling, password and permission changes and deletions. It needs at least one live customer;
// without one it creates a customer with its owner.
func (w *Writer) UserStep(ctx context.Context, rng *rand.Rand) (uint64, error) {
	word := func() string { return fmt.Sprintf("%s %d", names[rng.IntN(len(names))], rng.IntN(1000)) }
	email := func() string {
		w.serial++
		return fmt.Sprintf("%s.%d_%d@example.com", strings.ToLower(people[rng.IntN(len(people))]), rng.IntN(100), w.serial)
	}
	person := func() string { return people[rng.IntN(len(people))] + " " + people[rng.IntN(len(people))] }
	if len(w.ids) == 0 || rng.IntN(100) < 10 {
		parent := ""
		if len(w.ids) > 0 && rng.IntN(2) == 0 {
			parent = w.ids[rng.IntN(len(w.ids))]
			if w.depth(parent) >= maxDepth {
				parent = ""
			}
		}
		_, _, seq, err := w.CreateWithOwner(ctx, word(), word()+" St", parent, person(), email())
		return seq, err
	}
	if len(w.userIDs) < 3 || rng.IntN(100) < 30 {
		_, seq, err := w.CreateUser(ctx, w.ids[rng.IntN(len(w.ids))], roles[rng.IntN(len(roles))], person(), email(), word())
		return seq, err
	}
	id := w.userIDs[rng.IntN(len(w.userIDs))]
	switch r := rng.IntN(100); {
	case r < 35:
		var upd events.UserUpdatedV1
		if rng.IntN(2) == 0 {
			upd.Name = events.Some(person())
		}
		if rng.IntN(3) == 0 {
			upd.Email = events.Some(email())
		}
		if rng.IntN(3) == 0 {
			upd.Role = events.Some(roles[rng.IntN(len(roles))])
		}
		if rng.IntN(3) == 0 {
			upd.Remark = events.Some(word())
			if rng.IntN(3) == 0 {
				upd.Remark = events.Null[string]()
			}
		}
		if rng.IntN(3) == 0 {
			if c := w.ids[rng.IntN(len(w.ids))]; c != w.users[id].customer {
				upd.CustomerID = events.Some(c)
			}
		}
		if !upd.Name.Set && !upd.Email.Set && !upd.Role.Set && !upd.Remark.Set && !upd.CustomerID.Set {
			upd.Name = events.Some(person())
		}
		return w.UpdateUser(ctx, id, upd)
	case r < 55:
		return w.SetUserDisabled(ctx, id, !w.users[id].disabled)
	case r < 65:
		return w.ChangePassword(ctx, id)
	case r < 75:
		return w.SetPermissions(ctx, id, []string{"Audit Log View"}, []string{"Domain Delete"})
	default:
		return w.DeleteUser(ctx, id)
	}
}

var (
	people = []string{"Ada", "Grace", "Linus", "Ken", "Barbara", "Edsger", "Zoë", "Ünal", "O'Brien", "100%_Sure"}
	roles  = []string{"Owner (All Access)", "Technical Administrator", "Technical View", "Business User"}
)

// Step appends one random valid command: mostly creations early on, then a mix of renames,
// address changes, moves (with or without a rename) and deletions of leaves.
func (w *Writer) Step(ctx context.Context, rng *rand.Rand) (uint64, error) {
	word := func() string { return fmt.Sprintf("%s %d", names[rng.IntN(len(names))], rng.IntN(1000)) }
	if len(w.ids) < 3 || rng.IntN(100) < 35 {
		parent := ""
		if len(w.ids) > 0 && rng.IntN(4) > 0 {
			parent = w.ids[rng.IntN(len(w.ids))]
			if w.depth(parent) >= maxDepth {
				parent = ""
			}
		}
		_, seq, err := w.Create(ctx, word(), fmt.Sprintf("%d %s St", rng.IntN(500), word()), parent)
		return seq, err
	}
	id := w.ids[rng.IntN(len(w.ids))]
	switch r := rng.IntN(100); {
	case r < 25:
		return w.Rename(ctx, id, word())
	case r < 40:
		return w.SetAddress(ctx, id, fmt.Sprintf("%d %s Ave", rng.IntN(500), word()))
	case r < 75:
		parent := ""
		if rng.IntN(5) > 0 {
			parent = w.ids[rng.IntN(len(w.ids))]
		}
		if parent == w.nodes[id].parent || (parent != "" && (w.inSubtree(parent, id) || w.depth(parent)+w.height(id) > maxDepth)) {
			parent = ""
		}
		if parent == w.nodes[id].parent {
			return w.SetAddress(ctx, id, word())
		}
		rename := ""
		if rng.IntN(3) == 0 {
			rename = word()
		}
		return w.Move(ctx, id, parent, rename)
	default:
		leaf := id
		for len(w.nodes[leaf].children) > 0 {
			for c := range w.nodes[leaf].children {
				leaf = c
				break
			}
		}
		return w.Delete(ctx, leaf)
	}
}

var names = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent", "100%_Pure", "Ünïcode"}

// depth is 1 for a root.
func (w *Writer) depth(id string) int {
	d := 0
	for ; id != ""; id = w.nodes[id].parent {
		d++
	}
	return d
}

// height is 1 for a leaf.
func (w *Writer) height(id string) int {
	h := 0
	for c := range w.nodes[id].children {
		h = max(h, w.height(c))
	}
	return h + 1
}

// inSubtree reports whether x is root or one of root's descendants.
func (w *Writer) inSubtree(x, root string) bool {
	for ; x != ""; x = w.nodes[x].parent {
		if x == root {
			return true
		}
	}
	return false
}

// msg builds the message of one event with a complete envelope.
func (w *Writer) msg(subject, aggType, aggID string, p events.Payload) eventstore.Message {
	if w.Keys != nil && events.HasPersonal(p.EventType()) {
		customer := ""
		switch q := p.(type) {
		case events.UserCreatedV1:
			customer = q.CustomerID
		case events.UserUpdatedV1:
			if customer = q.CustomerID.Value; !q.CustomerID.Set {
				customer = w.users[aggID].customer
			}
		}
		var err error
		if p, err = personal.Seal(context.Background(), w.Keys, customer, aggID, p); err != nil {
			panic(err)
		}
	}
	data, v, err := events.MarshalData(p)
	if err != nil {
		panic(err)
	}
	w.versions[subject]++
	actorType := events.ActorSystem
	if w.ActorID != "" {
		actorType = events.ActorUser
	}
	return eventstore.Message{
		Subject: subject,
		Envelope: events.Envelope{
			ID:               uuid.Must(uuid.NewV7()).String(),
			Source:           "/customer-management/projectiontest",
			Type:             p.EventType(),
			Subject:          aggType + "s/" + aggID,
			Time:             time.Now().UTC(),
			AggregateType:    aggType,
			AggregateID:      aggID,
			AggregateVersion: w.versions[subject],
			SchemaVersion:    v,
			ActorType:        actorType,
			ActorID:          w.ActorID,
			Data:             data,
		},
	}
}

// claim is the reservation of a customer name under parent.
func (w *Writer) claim(parent, name, owner string) eventstore.Message {
	key := events.CustomerNameKey(parent, name)
	return w.msg(events.ReservationSubject(events.KindCustomerName, key), events.AggregateReservation,
		events.ReservationID(events.KindCustomerName, key),
		events.ReservationClaimedV1{Kind: events.KindCustomerName, OwnerType: events.AggregateCustomer, OwnerID: owner})
}

// emailReservation claims (or, with claim false, releases) a user email.
func (w *Writer) emailReservation(email, owner string, claim bool) eventstore.Message {
	key := events.UserEmailKey(email)
	var p events.Payload = events.ReservationReleasedV1{Kind: events.KindUserEmail, OwnerType: events.AggregateUser, OwnerID: owner}
	if claim {
		p = events.ReservationClaimedV1{Kind: events.KindUserEmail, OwnerType: events.AggregateUser, OwnerID: owner}
	}
	return w.msg(events.ReservationSubject(events.KindUserEmail, key), events.AggregateReservation, events.ReservationID(events.KindUserEmail, key), p)
}

// hostReservation claims (or, with claim false, releases) a domain host.
func (w *Writer) hostReservation(host, owner string, claim bool) eventstore.Message {
	key := events.DomainHostKey(host)
	var p events.Payload = events.ReservationReleasedV1{Kind: events.KindDomainHost, OwnerType: events.AggregateDomain, OwnerID: owner}
	if claim {
		p = events.ReservationClaimedV1{Kind: events.KindDomainHost, OwnerType: events.AggregateDomain, OwnerID: owner}
	}
	return w.msg(events.ReservationSubject(events.KindDomainHost, key), events.AggregateReservation, events.ReservationID(events.KindDomainHost, key), p)
}

// release gives a customer name under parent up.
func (w *Writer) release(parent, name, owner string) eventstore.Message {
	key := events.CustomerNameKey(parent, strings.TrimSpace(name))
	return w.msg(events.ReservationSubject(events.KindCustomerName, key), events.AggregateReservation,
		events.ReservationID(events.KindCustomerName, key),
		events.ReservationReleasedV1{Kind: events.KindCustomerName, OwnerType: events.AggregateCustomer, OwnerID: owner})
}
