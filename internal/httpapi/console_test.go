package httpapi_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the expected times in a fixed zone, whatever the machine has installed
)

// The web console, driven in Debian's Chromium against the real api, projector and exporter: every
// flow of the user guide's pages. Each step saves a screenshot under test-artifacts/browser/.

const consoleOwnerPassword = "owner passphrase for the console"

// consoleLogin logs in through the login page.
func consoleLogin(b *browser, url, email, password string) {
	b.navigate(url + "/")
	b.waitVisible("#login-form")
	b.typeInto("#login-email", email)
	b.typeInto("#login-password", password)
	b.click("#login-submit")
}

// rowButton is the selector of a row action of the List Customer page ("Edit Acme").
func rowButton(action, name string) string {
	return `#customers button[aria-label="` + action + " " + name + `"]`
}

func TestConsoleCustomerFlows(t *testing.T) {
	s := newConsoleStack(t)
	b := newBrowser(t, 1280, 800)
	b.setTimezone("Asia/Kolkata") // UTC+05:30: a time shown in UTC, or off by the hour only, fails

	// Login: a wrong password is refused with the server's message, then the right one opens
	// List Customer.
	consoleLogin(b, s.url, operatorEmail, "not the password at all")
	b.waitText("#login-error", "Wrong email or password")
	if b.value("#login-password") != "" {
		t.Error("the password field keeps the wrong password")
	}
	b.screenshot("login-wrong-password")
	b.typeInto("#login-password", operatorPassword)
	b.click("#login-submit")
	b.waitText("h1", "List Customer")
	b.waitVisible("#customers")
	if got := b.attr("#customer-search", "placeholder"); got != "Search by Customer, Address" {
		t.Errorf("search placeholder %q", got)
	}
	b.screenshot("list-customer")

	// +Add, step 1: the server's validation error appears next to the field it names.
	b.click("#add-customer")
	b.waitText("h1", "Add Customer")
	b.typeInto("#customer-name", "   ")
	b.typeInto("#customer-address", "1 Browser Street")
	b.click("#next")
	b.waitText("#customer-name-error", "Customer is required")
	if b.attr("#customer-name", "aria-invalid") != "true" {
		t.Error("the Customer field is not marked invalid")
	}
	b.screenshot("add-step1-validation-error")
	if r := s.do(t, "GET", "/v1/customers?q=Browser", nil); len(r.json(t)["items"].([]any)) != 0 {
		t.Fatalf("step 1 created something: %s", r.body)
	}

	// Step 1 → Next → step 2; a wrong confirmation is the server's error next to Confirm Password;
	// Back keeps what was typed, on both steps.
	b.typeInto("#customer-name", "Acme Browser Ltd")
	b.click("#next")
	b.waitText("h1", "Add Customer Owner")
	b.typeInto("#owner-name", "Olivia Owner")
	b.typeInto("#owner-email", "olivia.owner@acme-browser.example")
	b.typeInto("#owner-password", consoleOwnerPassword)
	b.typeInto("#owner-password-confirm", consoleOwnerPassword+" typo")
	b.click("#save")
	b.waitFor(`document.querySelector('#owner-password-confirm-error').textContent.trim() !== ''`)
	b.screenshot("add-step2-validation-error")
	b.click("#back")
	b.waitText("h1", "Add Customer")
	if got := b.value("#customer-name"); got != "Acme Browser Ltd" {
		t.Errorf("Back lost the customer name: %q", got)
	}
	if got := b.value("#customer-address"); got != "1 Browser Street" {
		t.Errorf("Back lost the address: %q", got)
	}
	b.click("#next")
	b.waitText("h1", "Add Customer Owner")
	if got := b.value("#owner-email"); got != "olivia.owner@acme-browser.example" {
		t.Errorf("the owner's email was lost going back and forth: %q", got)
	}
	b.typeInto("#owner-password-confirm", consoleOwnerPassword)
	b.click("#save")

	// Back on List Customer: the new customer is there at once, with the success message.
	b.waitText("#flash", "Add customer successfully!")
	b.waitText("#customers tbody", "Acme Browser Ltd")
	b.waitGone("#load-more") // two customers: one page
	b.screenshot("add-success")

	// The search box finds a customer by its address, case-insensitively; emptied, it lists all.
	b.typeInto("#customer-search", "browser STREET")
	b.waitFor(`(() => { const r = [...document.querySelectorAll('#customers tbody tr[data-id]')];
		return r.length === 1 && r[0].textContent.includes('Acme Browser Ltd'); })()`)
	b.screenshot("search")
	b.typeInto("#customer-search", "")
	b.waitFor(`document.querySelectorAll('#customers tbody tr[data-id]').length === 2`)
	acme := customerByName(t, s, "Acme Browser Ltd")
	if acme["address"] != "1 Browser Street" || acme["parent_id"] != nil {
		t.Errorf("created customer %v", acme)
	}
	acmeID := acme["id"].(string)

	// Created At as the portal shows it, in the browser's time zone.
	const zone = "Asia/Kolkata"
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	created, err := time.Parse(time.RFC3339Nano, acme["created_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	shown := b.text(`#customers tr[data-id="` + acmeID + `"] time`)
	if want := created.In(loc).Format("Jan 02 2006, 15:04:05"); shown != want {
		t.Errorf("Created At shows %q, want %q (%s)", shown, want, zone)
	}

	// List User: the owner from step 2 is there, with the guide's columns.
	b.click("#nav-users")
	b.waitText("h1", "List User")
	b.waitText("#users tbody", "olivia.owner@acme-browser.example")
	if got := b.text("#users thead"); !strings.Contains(got, "Name") || !strings.Contains(got, "Remark") || !strings.Contains(got, "Status") {
		t.Errorf("List User columns: %q", got)
	}
	b.waitText("#users tbody", "Owner (All Access)")
	b.screenshot("list-user")

	// Edit → Update Customer → Save.
	b.click("#nav-customers")
	b.waitVisible(rowButton("Edit", "Acme Browser Ltd"))
	b.click(rowButton("Edit", "Acme Browser Ltd"))
	b.waitText("h1", "Update Customer")
	if got := b.value("#customer-name"); got != "Acme Browser Ltd" {
		t.Fatalf("the form shows %q", got)
	}
	b.typeInto("#customer-address", "2 Browser Avenue")
	b.screenshot("edit-form")
	b.click("#save")
	b.waitText("#flash", "Update customer successfully!")
	b.waitText("#customers tbody", "2 Browser Avenue")
	b.screenshot("edit-success")

	// A conflicting edit: someone else saves while the form is open; Save says so, overwrites
	// nothing, and Reload shows their version.
	b.click(rowButton("Edit", "Acme Browser Ltd"))
	b.waitText("h1", "Update Customer")
	if r := s.do(t, "PATCH", "/v1/customers/"+acmeID, map[string]any{"address": "3 Someone Else Road"}); r.StatusCode != http.StatusOK {
		t.Fatalf("concurrent edit: %d %s", r.StatusCode, r.body)
	}
	b.typeInto("#customer-name", "Acme Browser Renamed")
	b.click("#save")
	b.waitText("#conflict", "Someone else saved this customer")
	b.screenshot("edit-conflict")
	if got := customerByID(t, s, acmeID); got["name"] != "Acme Browser Ltd" || got["address"] != "3 Someone Else Road" {
		t.Fatalf("the conflicting save changed the customer: %v", got)
	}
	b.click("#reload")
	b.waitGone("#conflict")
	if got := b.value("#customer-address"); got != "3 Someone Else Road" {
		t.Errorf("Reload shows the address %q", got)
	}
	if got := b.value("#customer-name"); got != "Acme Browser Ltd" {
		t.Errorf("Reload shows the name %q", got)
	}
	b.click("#customer-form a.button") // Cancel
	b.waitText("h1", "List Customer")

	// Delete: No changes nothing; Yes on a customer with children is refused and explained; Yes
	// on the child removes it.
	childResp := s.create(t, map[string]any{"name": "Acme Browser Child", "address": "Child Lane", "parent_id": acmeID})
	child := childResp.json(t)["id"].(string)
	settled(t, s, childResp)
	b.reload()
	b.waitText("#customers tbody", "Acme Browser Child")
	b.click(rowButton("Delete", "Acme Browser Ltd"))
	b.waitText("#confirm-dialog", "Do you want to delete this customer?")
	b.screenshot("delete-dialog")
	b.click("#confirm-no")
	b.waitGone("#confirm-dialog")
	b.click(rowButton("Delete", "Acme Browser Ltd"))
	b.waitVisible("#confirm-dialog")
	b.pressKey("", "Escape") // the keyboard's No
	b.waitGone("#confirm-dialog")
	if r := s.do(t, "GET", "/v1/customers/"+acmeID, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("No deleted the customer: %d", r.StatusCode)
	}
	answerDelete(b, "Acme Browser Ltd", "#confirm-yes")
	b.waitText("#delete-error", "Acme Browser Child")
	b.screenshot("delete-refused")
	if r := s.do(t, "GET", "/v1/customers/"+acmeID, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("the refused delete deleted: %d", r.StatusCode)
	}
	answerDelete(b, "Acme Browser Child", "#confirm-yes")
	b.waitText("#flash", "successfully")
	b.waitGone(`#customers tr[data-id="` + child + `"]`)
	if r := s.do(t, "GET", "/v1/customers/"+child, nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("the child is still there: %d", r.StatusCode)
	}
	b.screenshot("delete-success")

	// Download: an export is requested, its progress shown, and the browser saves the CSV.
	origin := []any{map[string]any{"type": "IPv4", "address": "203.0.113.10", "port": 443, "enabled": true, "backup": false}}
	for _, host := range []string{"www.acme-browser.example", "shop.acme-browser.example"} {
		r := s.do(t, "POST", "/v1/customers/"+acmeID+"/domains", map[string]any{"host": host, "origins": origin})
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("add domain %s: %d %s", host, r.StatusCode, r.body)
		}
		settled(t, s, r)
	}
	b.reload()
	b.waitVisible(rowButton("Download", "Acme Browser Ltd"))
	b.click(rowButton("Download", "Acme Browser Ltd"))
	name, content := b.waitDownload()
	if !regexp.MustCompile(`^acme-browser-ltd-domains-\d{8}\.csv$`).MatchString(name) {
		t.Errorf("downloaded file name %q", name)
	}
	csv := strings.TrimPrefix(string(content), "\ufeff")
	if !strings.HasPrefix(csv, "Host,HTTP Ports,HTTPS Ports,Scheme,Customer Name,Origin,Origin Port,") {
		t.Errorf("CSV header: %.120q", csv)
	}
	for _, want := range []string{"shop.acme-browser.example", "www.acme-browser.example", "Acme Browser Ltd", "203.0.113.10"} {
		if !strings.Contains(csv, want) {
			t.Errorf("the CSV lacks %q:\n%s", want, csv)
		}
	}
	if lines := strings.Count(strings.TrimRight(csv, "\r\n"), "\n") + 1; lines != 3 {
		t.Errorf("the CSV has %d lines, want a header and 2 domains:\n%s", lines, csv)
	}
	b.waitText("#export-status", "is ready")
	b.screenshot("download-ready")

	// View: details, users, domains, child customers, recent history.
	b.click(rowButton("View", "Acme Browser Ltd"))
	b.waitText("h1", "Acme Browser Ltd")
	b.waitText("#customer-details", "3 Someone Else Road")
	b.waitText("#customer-users", "olivia.owner@acme-browser.example")
	b.waitText("#customer-domains", "www.acme-browser.example")
	b.waitText("#customer-children", "No child customers")
	b.waitText("#customer-history", "Acme Browser Ltd")
	b.screenshot("view-customer")

	// Audit Log: the portal's columns, newest first, and the free-text filter.
	b.click("#nav-audit")
	b.waitText("h1", "Audit Log")
	b.waitText("#audit tbody", "Acme Browser Child")
	if got := b.text("#audit thead"); !strings.Contains(got, "Action Type") || !strings.Contains(got, "Performed By User") {
		t.Errorf("Audit Log columns: %q", got)
	}
	b.typeInto("#audit-q", "Acme Browser Child")
	b.waitFor(`(() => { const a = [...document.querySelectorAll('#audit tbody td[data-label="Action"]')];
		return a.length > 0 && a.every(td => td.textContent.includes('Acme Browser Child')); })()`)
	var actions []string
	b.eval(`[...document.querySelectorAll('#audit tbody td[data-label="Action"]')].map(td => td.textContent)`, &actions)
	if len(actions) == 0 {
		t.Fatal("the filtered Audit Log is empty")
	}
	for _, a := range actions {
		if !strings.Contains(a, "Acme Browser Child") {
			t.Errorf("the filter kept %q", a)
		}
	}
	b.screenshot("audit-log")

	// Logout: back to the login page; the console's pages need a new login.
	b.click("#logout")
	b.waitVisible("#login-form")
	b.navigate(s.url + "/#/customers")
	b.waitVisible("#login-form")
	if r := s.doAs(t, "", "GET", "/v1/me", nil); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("/v1/me without a session: %d", r.StatusCode)
	}
}

// answerDelete clicks the Delete icon of the customer name and answers the dialog with the
// button answer.
func answerDelete(b *browser, name, answer string) {
	b.tb.Helper()
	b.click(rowButton("Delete", name))
	b.waitVisible("#confirm-dialog")
	b.click(answer)
}

// settled waits until the read model has applied the write that answered r (its consistency
// token), so a page loaded after it shows it.
func settled(t *testing.T, s *stack, r response) {
	t.Helper()
	tok := r.Header.Get("X-Consistency-Token")
	if tok == "" {
		t.Fatal("the write answered no consistency token")
	}
	if g := s.do(t, "GET", "/v1/customers?limit=1", nil, "X-Consistency-Token", tok); g.StatusCode != http.StatusOK {
		t.Fatalf("waiting for the read model: %d %s", g.StatusCode, g.body)
	}
}

// customerByName finds a customer through the API.
func customerByName(t *testing.T, s *stack, name string) map[string]any {
	t.Helper()
	r := s.do(t, "GET", "/v1/customers?q="+strings.ReplaceAll(name, " ", "+"), nil)
	for _, it := range r.json(t)["items"].([]any) {
		if c := it.(map[string]any); c["name"] == name {
			return c
		}
	}
	t.Fatalf("no customer %q: %s", name, r.body)
	return nil
}

func customerByID(t *testing.T, s *stack, id string) map[string]any {
	t.Helper()
	r := s.do(t, "GET", "/v1/customers/"+id, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET customer %s: %d %s", id, r.StatusCode, r.body)
	}
	return r.json(t)
}
