package events

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

const (
	goldenCustomer = "0193a1b2-0000-7000-8000-000000000001"
	goldenParent   = "0193a1b2-0000-7000-8000-000000000002"
)

// TestGoldenFilesDecode pins the stored form of every event type: these files were written by an
// earlier build and must keep decoding, to the same values, forever.
func TestGoldenFilesDecode(t *testing.T) {
	want := map[string]Payload{
		"customer.created.v1.json":                 CustomerCreatedV1{Name: "Acme Ltd", Address: "1 Main St, Springfield", ParentID: goldenParent},
		"customer.updated.v1.json":                 CustomerUpdatedV1{Name: Some("Acme Limited"), ParentID: Null[string]()},
		"customer.updated.address-cleared.v1.json": CustomerUpdatedV1{Address: Some("")},
		"customer.deleted.v1.json":                 CustomerDeletedV1{ParentID: goldenParent},
		"customer.erased.v1.json":                  CustomerErasedV1{},
		"reservation.claimed.v1.json":              ReservationClaimedV1{Kind: KindCustomerName, OwnerType: AggregateCustomer, OwnerID: goldenCustomer},
		"reservation.released.v1.json":             ReservationReleasedV1{Kind: KindCustomerName, OwnerType: AggregateCustomer, OwnerID: goldenCustomer},
		"hierarchy.child_attached.v1.json":         HierarchyChildAttachedV1{ChildID: goldenCustomer},
		"hierarchy.child_detached.v1.json":         HierarchyChildDetachedV1{ChildID: goldenCustomer},
		"hierarchy.closed.v1.json":                 HierarchyClosedV1{},
		"tree.customer_moved.v1.json":              TreeCustomerMovedV1{CustomerID: goldenCustomer, FromParentID: goldenParent},
		"user.created.v1.json": UserCreatedV1{CustomerID: goldenCustomer, Role: "Owner (All Access)", Name: "Ada Lovelace",
			Email: "ada@example.com", Remark: "first owner"},
		"user.updated.v1.json":             UserUpdatedV1{Role: Some("Technical View"), Remark: Some("")},
		"user.disabled.v1.json":            UserDisabledV1{},
		"user.enabled.v1.json":             UserEnabledV1{},
		"user.password_changed.v1.json":    UserPasswordChangedV1{ByUser: true},
		"user.permissions_changed.v1.json": UserPermissionsChangedV1{Granted: []string{"Audit Log View"}, Revoked: []string{"Domain Delete"}},
		"user.deleted.v1.json":             UserDeletedV1{Reason: "customer_deleted"},
		"members.user_added.v1.json":       MembersUserAddedV1{UserID: "0193a1b2-0000-7000-8000-0000000000b1"},
		"members.user_removed.v1.json":     MembersUserRemovedV1{UserID: "0193a1b2-0000-7000-8000-0000000000b1"},
		"members.closed.v1.json":           MembersClosedV1{},
		"members.domain_added.v1.json":     MembersDomainAddedV1{DomainID: "0193a1b2-0000-7000-8000-0000000000d1"},
		"members.domain_removed.v1.json":   MembersDomainRemovedV1{DomainID: "0193a1b2-0000-7000-8000-0000000000d1"},
		"domain.added.v1.json":             DomainAddedV1{CustomerID: goldenCustomer, Settings: goldenSettings()},
		"domain.updated.v1.json": DomainUpdatedV1{HTTPPorts: Some([]int{80, 8080}),
			Cache: Some(CacheSettings{TTLMinutes: 120, Extensions: []string{}, ForceParams: []string{}})},
		"domain.moved.v1.json":     DomainMovedV1{FromCustomerID: goldenCustomer, ToCustomerID: goldenParent},
		"domain.removed.v1.json":   DomainRemovedV1{Reason: "customer_deleted"},
		"export.requested.v1.json": ExportRequestedV1{CustomerID: goldenCustomer, Format: "csv", AfterSeq: 42},
		"export.started.v1.json":   ExportStartedV1{Attempt: 1},
		"export.succeeded.v1.json": ExportSucceededV1{ObjectKey: "exports/0193a1b2-0000-7000-8000-0000000000e1.csv",
			Filename: "acme-ltd-domains-20261127.csv", Rows: 3, Bytes: 1234,
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ExpiresAt: "2026-12-04T10:15:30Z"},
		// Version 1, upcast: the code comes from the reason.
		"export.failed.v1.json":     ExportFailedV2{Code: ExportFailureStorage, Reason: "The export storage could not be reached; try again later.", Attempts: 5},
		"export.failed.v2.json":     ExportFailedV2{Code: ExportFailureAttempts, Reason: "The export could not be completed after several attempts; please request it again.", Attempts: 5},
		"export.downloaded.v1.json": ExportDownloadedV1{},
		"export.expired.v1.json":    ExportExpiredV1{},
		"exportslots.taken.v1.json": ExportSlotTakenV1{ExportID: "0193a1b2-0000-7000-8000-0000000000e1"},
		"exportslots.freed.v1.json": ExportSlotFreedV1{ExportID: "0193a1b2-0000-7000-8000-0000000000e1"},
	}
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Fatalf("testdata has %d golden files, the test knows %d: add the new file's expectation", len(files), len(want))
	}
	seenTypes := map[string]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			env, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if env.SpecVersion != "1.0" || env.DataContentType != ContentType || env.Source == "" || env.Subject == "" {
				t.Errorf("CloudEvents attributes lost: %+v", env)
			}
			if env.Time.IsZero() || env.AggregateVersion == 0 || env.CorrelationID == "" || env.CausationID == "" || env.RequestID == "" {
				t.Errorf("extension attributes lost: %+v", env)
			}
			if a := env.Actor(); a.Type != ActorAnonymous && a.Type != ActorSystem && (a.Type != ActorUser || a.ID == "" || a.CustomerID == "" || a.Role == "") {
				t.Errorf("actor = %+v", a)
			}
			got, err := DecodeData(env)
			if err != nil {
				t.Fatalf("DecodeData: %v", err)
			}
			exp, ok := want[filepath.Base(f)]
			if !ok {
				t.Fatalf("no expectation for %s", f)
			}
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("decoded %#v\nwant    %#v", got, exp)
			}
			seenTypes[env.Type] = true
		})
	}
	for _, typ := range Types() {
		if !seenTypes[typ] {
			t.Errorf("event type %s has no golden file in testdata/", typ)
		}
	}
}

func TestRoundTripKeepsOnlyChangedFields(t *testing.T) {
	p := CustomerUpdatedV1{Address: Some("2 Side St")}
	data, v, err := MarshalData(p)
	if err != nil {
		t.Fatal(err)
	}
	if v != 1 {
		t.Errorf("schema version = %d", v)
	}
	if string(data) != `{"address":"2 Side St"}` {
		t.Errorf("data = %s, want only the changed field", data)
	}
	env := Envelope{ID: "x", Type: p.EventType(), Time: time.Unix(1, 0).UTC(), Data: data, SchemaVersion: v}
	b, err := Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeData(back)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip = %#v, want %#v", got, p)
	}
}

func TestDecodeRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not json":   `{`,
		"no id":      `{"type":"customer.created","specversion":"1.0","data":{}}`,
		"no type":    `{"id":"a","specversion":"1.0","data":{}}`,
		"wrong spec": `{"id":"a","type":"customer.created","specversion":"0.3","data":{}}`,
		"no data":    `{"id":"a","type":"customer.created","specversion":"1.0"}`,
	} {
		if _, err := Decode([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
	_, err := DecodeData(Envelope{ID: "a", Type: "customer.renamed", SpecVersion: "1.0", Data: json.RawMessage(`{}`)})
	if !errors.Is(err, ErrUnknownType) {
		t.Errorf("unknown type: err = %v", err)
	}
	_, err = DecodeData(Envelope{ID: "a", Type: CustomerCreated, SchemaVersion: 9, Data: json.RawMessage(`{}`)})
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("future schema version: err = %v", err)
	}
	_, err = DecodeData(Envelope{ID: "a", Type: CustomerCreated, SchemaVersion: 1, Data: json.RawMessage(`{"name": 5}`)})
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("bad data: err = %v", err)
	}
}

func TestReservationSubjectHidesKey(t *testing.T) {
	s := ReservationSubject(KindCustomerName, CustomerNameKey(goldenParent, "  ACME Ltd "))
	if s != ReservationSubject(KindCustomerName, CustomerNameKey(goldenParent, "acme ltd")) {
		t.Error("name key is not case-insensitive and trimmed")
	}
	if s == ReservationSubject(KindCustomerName, CustomerNameKey("", "acme ltd")) {
		t.Error("names under different parents share a reservation")
	}
	if len(s) != len("cm.unique.customer-name.")+64 {
		t.Errorf("subject %q is not a sha256 hex", s)
	}
}

// goldenSettings are the settings of domain.added.v1.json: the reference's JSON example.
func goldenSettings() DomainSettings {
	return DomainSettings{
		Host: "www.example.com", HTTPPorts: []int{80}, HTTPSPorts: []int{443, 6066}, Scheme: "HTTPS",
		Origins:       []Origin{{Type: "IPv4", Address: "203.0.113.10", Port: 443, Enabled: true}},
		LoadBalancing: "Round Robin",
		Cache:         CacheSettings{Enabled: true, TTLMinutes: 120, Extensions: []string{"css", "js"}, ForceParams: []string{}},
		Redirection: Redirection{RedirectURL: RedirectURL{Scheme: "HTTPS"},
			Rules: []RedirectRule{{Name: "old-blog", Type: "Static", StatusCode: 301, URL: "https://example.com/blog", Priority: 1}}},
		SSL:          SSLSettings{Type: "Auto SSL", ExpiresAt: "2027-01-31"},
		TLSProtocols: []string{"TLSv1.2", "TLSv1.3"},
		WAF:          WAFSettings{Enabled: true, Mode: "Block", OWASP: map[string]bool{"A01": true, "A02": true, "A03": true}},
	}
}

func TestUpcastExportFailedV1(t *testing.T) {
	for reason, code := range map[string]string{
		"The export storage could not be reached; please try again later.":                   ExportFailureStorage,
		"The export storage could not be reached; try again later.":                          ExportFailureStorage,
		"The domain data could not be read; please try again later.":                         ExportFailureDatabase,
		"The export could not be completed after several attempts; please request it again.": ExportFailureAttempts,
		"Something else entirely": ExportFailureOther,
	} {
		data, err := json.Marshal(ExportFailedV1{Reason: reason, Attempts: 3})
		if err != nil {
			t.Fatal(err)
		}
		p, err := DecodeData(Envelope{Type: ExportFailed, SchemaVersion: 1, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.(ExportFailedV2); got != (ExportFailedV2{Code: code, Reason: reason, Attempts: 3}) {
			t.Errorf("%q upcast to %+v, want code %s", reason, got, code)
		}
	}
	if _, err := DecodeData(Envelope{Type: ExportFailed, SchemaVersion: 1, Data: []byte(`{"reason": 5}`)}); err == nil {
		t.Error("malformed v1 data upcast without error")
	}
	if _, err := DecodeData(Envelope{Type: ExportFailed, SchemaVersion: 3, Data: []byte(`{}`)}); err == nil {
		t.Error("a version newer than the build decoded")
	}
}
