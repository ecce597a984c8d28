package events

// Hierarchy event types. Each customer that has (or had) children owns a hierarchy aggregate listing
// them. Creating, moving or deleting a child appends to its parent's hierarchy in the same atomic
// batch, expecting it unchanged, and deleting a customer closes its hierarchy (hierarchy.closed),
// expecting it unchanged too, so a child can never be attached to a customer that is being
// deleted: whichever of the two comes second fails its expectation.
//
// Tree events (tree.customer_moved) go to one subject shared by all re-parenting commands: moves
// are serialized there, which keeps concurrent moves from building a cycle or an over-deep tree.
const (
	HierarchyChildAttached = "hierarchy.child_attached"
	HierarchyChildDetached = "hierarchy.child_detached"
	HierarchyClosed        = "hierarchy.closed"
	TreeCustomerMoved      = "tree.customer_moved"
)

// Aggregate types of the hierarchy and of the tree lock.
const (
	AggregateHierarchy = "hierarchy"
	AggregateTree      = "tree"
)

// HierarchyChildAttachedV1 is the data of hierarchy.child_attached.
type HierarchyChildAttachedV1 struct {
	ChildID string `json:"child_id"`
}

// HierarchyChildDetachedV1 is the data of hierarchy.child_detached.
type HierarchyChildDetachedV1 struct {
	ChildID string `json:"child_id"`
}

// HierarchyClosedV1 is the data of hierarchy.closed: the customer was deleted, and takes no more
// children.
type HierarchyClosedV1 struct{}

// TreeCustomerMovedV1 is the data of tree.customer_moved.
type TreeCustomerMovedV1 struct {
	CustomerID string `json:"customer_id"`
	// FromParentID and ToParentID are empty for "root".
	FromParentID string `json:"from_parent_id,omitempty"`
	ToParentID   string `json:"to_parent_id,omitempty"`
}

// EventType implements Payload.
func (HierarchyChildAttachedV1) EventType() string { return HierarchyChildAttached }

// EventType implements Payload.
func (HierarchyChildDetachedV1) EventType() string { return HierarchyChildDetached }

// EventType implements Payload.
func (HierarchyClosedV1) EventType() string { return HierarchyClosed }

// EventType implements Payload.
func (TreeCustomerMovedV1) EventType() string { return TreeCustomerMoved }
