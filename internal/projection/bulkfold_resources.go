package projection

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/toffstech/customer-management/internal/events"
)

// The bulk fold of the user, domain and export events (see bulkFold).

// user folds an event on a user subject (queueUser).
func (f *bulkFold) user(ev event, d decoded) error {
	env, id, seq := d.env, d.id, int64(ev.Seq)
	u := f.users[id]
	touch := func(status string) error { // touchUserSQL
		if u == nil {
			return giveUp(ev, "%s for user %s, which the read model does not hold", env.Type, id)
		}
		if status != "" {
			u.status = status
		}
		u.updated, u.version, u.lastSeq = env.Time, version(env, u.version), seq
		return nil
	}
	switch p := d.payload.(type) {
	case events.UserCreatedV1: // insertUserSQL
		customer, err := parseID(p.CustomerID)
		if err != nil {
			return giveUp(ev, "user.created: customer_id: %v", err)
		}
		c := f.customers[customer]
		if c == nil || u != nil {
			return giveUp(ev, "user.created for user %s of customer %s: the user is held, or the customer is not", id, customer)
		}
		u = &bulkUser{id: id, group: c.group, role: p.Role, name: p.Name, email: p.Email, status: userStatusOn,
			remark: p.Remark, created: env.Time, updated: env.Time, version: version(env, 0), lastSeq: seq}
		f.users[id] = u
		f.userRows = append(f.userRows, u)

	case events.UserUpdatedV1: // updateUser
		var c *bulkCustomer
		if p.CustomerID.Set {
			if p.CustomerID.Null {
				return giveUp(ev, "user.updated: customer_id is null")
			}
			customer, err := parseID(p.CustomerID.Value)
			if err != nil {
				return giveUp(ev, "user.updated: customer_id: %v", err)
			}
			if c = f.customers[customer]; c == nil {
				return giveUp(ev, "user.updated moving user %s to customer %s, which the read model does not hold", id, customer)
			}
		}
		if err := touch(""); err != nil {
			return err
		}
		if p.Role.Set {
			u.role = p.Role.Value
		}
		if p.Name.Set {
			u.name = p.Name.Value
		}
		if p.Email.Set {
			u.email = p.Email.Value
		}
		if p.Remark.Set {
			u.remark = p.Remark.Value
		}
		if r := p.Personal; r != nil {
			u.name, u.email, u.remark = r.Name, r.Email, r.Remark
		}
		if c != nil {
			u.group = c.group
		}

	case events.UserDisabledV1:
		return touch(userStatusOff)
	case events.UserEnabledV1:
		return touch(userStatusOn)
	case events.UserPasswordChangedV1, events.UserPermissionsChangedV1:
		return touch("")

	case events.UserDeletedV1: // deleteUserSQL
		if u != nil {
			u.gone = true
			delete(f.users, id)
		}

	default:
		return giveUp(ev, "event type %q on a user subject", env.Type)
	}
	return nil
}

// domain folds an event on a domain subject (queueDomain).
func (f *bulkFold) domain(b *bulkEvent) error {
	ev, d := b.ev, b.d
	env, id, seq := d.env, d.id, int64(ev.Seq)
	x := f.domains[id]
	switch p := d.payload.(type) {
	case events.DomainAddedV1: // insertDomainSQL
		customer, err := parseID(p.CustomerID)
		if err != nil {
			return giveUp(ev, "domain.added: customer_id: %v", err)
		}
		c := f.customers[customer]
		if c == nil || x != nil {
			return giveUp(ev, "domain.added for domain %s of customer %s: the domain is held, or the customer is not", id, customer)
		}
		x = &bulkDomain{id: id, group: c.group, host: p.Settings.Host, settings: b.settings, cells: b.cells,
			created: env.Time, updated: env.Time, version: version(env, 0), lastSeq: seq}
		f.domains[id] = x
		f.domainRows = append(f.domainRows, x)

	case events.DomainUpdatedV1: // updateDomainSQL
		patch, err := settingsPatch(p)
		if err != nil {
			return giveUp(ev, "domain.updated: %v", err)
		}
		if x == nil {
			return giveUp(ev, "domain.updated for domain %s, which the read model does not hold", id)
		}
		if x.settings, err = jsonbMerge(x.settings, patch); err != nil {
			return giveUp(ev, "domain.updated: settings: %v", err)
		}
		if p.Host.Set {
			x.host = p.Host.Value
		}
		for i, cell := range updatedCells(p) {
			if cell != nil {
				x.cells[i] = *cell
			}
		}
		x.updated, x.version, x.lastSeq = env.Time, version(env, x.version), seq

	case events.DomainMovedV1: // moveDomainSQL
		to, err := parseID(p.ToCustomerID)
		if err != nil {
			return giveUp(ev, "domain.moved: to_customer_id: %v", err)
		}
		c := f.customers[to]
		if c == nil || x == nil {
			return giveUp(ev, "domain.moved moving domain %s to customer %s: the read model does not hold the domain, or not the customer", id, to)
		}
		x.group = c.group
		x.updated, x.version, x.lastSeq = env.Time, version(env, x.version), seq

	case events.DomainRemovedV1: // deleteDomainSQL
		if x != nil {
			x.gone = true
			delete(f.domains, id)
		}

	default:
		return giveUp(ev, "event type %q on a domain subject", env.Type)
	}
	return nil
}

// export folds an event on an export subject (queueExport).
func (f *bulkFold) export(ev event, d decoded) error {
	env, id, seq := d.env, d.id, int64(ev.Seq)
	x := f.exports[id]
	if _, requested := d.payload.(events.ExportRequestedV1); !requested {
		if x == nil {
			return giveUp(ev, "the read model holds no export %s", id)
		}
		x.version, x.lastSeq = version(env, x.version), seq
	}
	at := pgtype.Timestamptz{Time: env.Time, Valid: true}
	switch p := d.payload.(type) {
	case events.ExportRequestedV1:
		customer, err := parseID(p.CustomerID)
		if err != nil {
			return giveUp(ev, "export.requested: customer_id: %v", err)
		}
		if x != nil {
			return giveUp(ev, "export.requested for export %s, which the read model holds", id)
		}
		x = &bulkExport{id: id, customer: customer, requestedBy: env.ActorID, requestedAt: env.Time, status: "pending",
			version: version(env, 0), lastSeq: seq}
		f.exports[id] = x
		f.exportRows = append(f.exportRows, x)
	case events.ExportStartedV1:
		if x.status == "pending" || x.status == "running" {
			x.status = "running"
		}
		x.startedAt, x.attempts = at, int64(p.Attempt)
	case events.ExportSucceededV1:
		expires, err := time.Parse(time.RFC3339, p.ExpiresAt)
		if err != nil {
			return giveUp(ev, "export.succeeded: expires_at: %v", err)
		}
		text := func(s string) pgtype.Text { return pgtype.Text{String: s, Valid: true} }
		x.status, x.finishedAt = "succeeded", at
		x.rows, x.bytes = pgtype.Int8{Int64: int64(p.Rows), Valid: true}, pgtype.Int8{Int64: p.Bytes, Valid: true}
		x.sha256, x.objectKey, x.filename = text(p.SHA256), text(p.ObjectKey), text(p.Filename)
		x.expiresAt = pgtype.Timestamptz{Time: expires, Valid: true}
	case events.ExportFailedV2:
		x.status, x.finishedAt, x.attempts = "failed", at, int64(p.Attempts)
		x.reason, x.reasonCode = pgtype.Text{String: p.Reason, Valid: true}, pgtype.Text{String: p.Code, Valid: true}
	case events.ExportDownloadedV1:
		x.downloads++
	case events.ExportExpiredV1:
		x.status = "expired"
	default:
		return giveUp(ev, "event type %q on an export subject", env.Type)
	}
	return nil
}
