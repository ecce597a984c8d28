package auth

import "slices"

// Scope rules over the customer tree. A customer's path is its id followed by the ids of its
// ancestors up to its root, e.g. [A1, A, R] for A1 under A under the root R; the read model keeps
// it for every customer. The actor's customer id comes from its session, never from the request.
// When a check fails on reach, answer 404 as if the customer did not exist.

// Reaches reports whether an actor reaches the customer whose path is targetPath. Toffstech
// Support reaches every customer; any other actor reaches its own customer and that customer's
// descendants, that is the customers whose path contains its customer id, and never a parent or
// a sibling. An actor without a customer id reaches nothing.
func Reaches(actorRole Role, actorCustomerID string, targetPath []string) bool {
	if actorRole == RoleToffstechSupport {
		return true
	}
	return actorCustomerID != "" && slices.Contains(targetPath, actorCustomerID)
}

// MayDeleteOrMove reports whether an actor may delete or re-parent the customer targetID, as far
// as the "not your own customer" rule goes: nobody deletes or moves the customer it belongs to,
// since that would cut the branch it sits on. Toffstech Support is the operator, acting from
// outside the customers it manages, so it may. The actor must also reach the target (Reaches);
// MayReparent does both for a move.
func MayDeleteOrMove(actorRole Role, actorCustomerID, targetID string) bool {
	if actorRole == RoleToffstechSupport {
		return true
	}
	return actorCustomerID != "" && targetID != actorCustomerID
}

// MayReparent reports whether an actor may move the customer whose path is targetPath under the
// customer whose path is newParentPath; an empty newParentPath makes it a root. The actor must
// reach the customer and its new parent and may not move its own customer. Only Toffstech Support
// makes a customer a root, since anyone else would lose it from its own reach. That the move
// creates no cycle is the domain's invariant, not checked here.
func MayReparent(actorRole Role, actorCustomerID string, targetPath, newParentPath []string) bool {
	if len(targetPath) == 0 {
		return false
	}
	if !Reaches(actorRole, actorCustomerID, targetPath) || !MayDeleteOrMove(actorRole, actorCustomerID, targetPath[0]) {
		return false
	}
	if len(newParentPath) == 0 {
		return actorRole == RoleToffstechSupport
	}
	return Reaches(actorRole, actorCustomerID, newParentPath)
}
