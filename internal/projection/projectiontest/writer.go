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
)

// maxDepth is how deep Writer lets the tree grow (as the domain does).
const maxDepth = 16

// Writer appends customer events as the command layer would, and remembers the tree it built so
// that its random steps stay valid (no cycles, only leaves deleted).
type Writer struct {
	store    *eventstore.Store
	versions map[string]uint64 // subject → events written
	nodes    map[string]*node  // live customers
	ids      []string          // live customers, in creation order
}

// node is what Writer knows of one live customer.
type node struct {
	name, address, parent string
	children              map[string]bool
}

// NewWriter returns a Writer appending to store.
func NewWriter(store *eventstore.Store) *Writer {
	return &Writer{store: store, versions: map[string]uint64{}, nodes: map[string]*node{}}
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
	w.nodes[id] = &node{name: name, address: address, parent: parent, children: map[string]bool{}}
	w.ids = append(w.ids, id)
	if parent != "" {
		w.nodes[parent].children[id] = true
	}
	return id, seq, nil
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

// Delete appends the deletion of a customer without children.
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
	seq, err := w.store.Append(ctx, batch)
	if err != nil {
		return 0, err
	}
	if n.parent != "" {
		delete(w.nodes[n.parent].children, id)
	}
	delete(w.nodes, id)
	for i, x := range w.ids {
		if x == id {
			w.ids = append(w.ids[:i], w.ids[i+1:]...)
			break
		}
	}
	return seq, nil
}

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
	data, v, err := events.MarshalData(p)
	if err != nil {
		panic(err)
	}
	w.versions[subject]++
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
			ActorType:        events.ActorSystem,
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

// release gives a customer name under parent up.
func (w *Writer) release(parent, name, owner string) eventstore.Message {
	key := events.CustomerNameKey(parent, strings.TrimSpace(name))
	return w.msg(events.ReservationSubject(events.KindCustomerName, key), events.AggregateReservation,
		events.ReservationID(events.KindCustomerName, key),
		events.ReservationReleasedV1{Kind: events.KindCustomerName, OwnerType: events.AggregateCustomer, OwnerID: owner})
}
