package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestConsoleOffersOnlyWhatTheRoleAllows: a Technical View user sees List Customer and List User,
// with View and Download only: no +Add, Edit, Delete or Audit Log, and a typed URL of a page it
// may not use shows no form.
func TestConsoleOffersOnlyWhatTheRoleAllows(t *testing.T) {
	s := newConsoleStack(t)
	acme := s.create(t, map[string]any{"name": "Viewer Corp", "address": "1 View St"}).json(t)["id"].(string)
	const email, password = "viewer@viewer-corp.example", "viewer passphrase for the console"
	if r := s.do(t, "POST", "/v1/users", map[string]any{"customer_id": acme, "role": "Technical View", "name": "Vera Viewer",
		"email": email, "password": password, "password_confirm": password}); r.StatusCode != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.StatusCode, r.body)
	}
	b := newBrowser(t, 1280, 800)
	consoleLogin(b, s.url, email, password)
	b.waitText("h1", "List Customer")
	b.waitText("#customers tbody", "Viewer Corp")
	b.screenshot("technical-view-list")

	for sel, want := range map[string]bool{
		"#nav-customers":                     true,
		"#nav-users":                         true,
		"#nav-audit":                         false,
		"#add-customer":                      false,
		rowButton("View", "Viewer Corp"):     true,
		rowButton("Download", "Viewer Corp"): true,
		rowButton("Edit", "Viewer Corp"):     false,
		rowButton("Delete", "Viewer Corp"):   false,
	} {
		if got := b.exists(sel); got != want {
			t.Errorf("%s offered: %v, want %v", sel, got, want)
		}
	}
	for _, page := range []string{"#/customers/new", "#/customers/" + acme + "/edit", "#/audit"} {
		b.navigate(s.url + "/" + page)
		b.waitText("h1", "Not available")
		if b.exists("form#customer-form") || b.exists("#audit") {
			t.Errorf("%s shows its page to a Technical View user", page)
		}
	}

	// An owner adds customers below its own only: "Management by" offers its customer and those
	// under it — not another root, and not "None".
	s.create(t, map[string]any{"name": "Other Root Corp"})
	last := s.create(t, map[string]any{"name": "Viewer Corp Subsidiary", "parent_id": acme})
	const ownerEmail, ownerPassword = "owner@viewer-corp.example", "owner passphrase for the console"
	if r := s.do(t, "POST", "/v1/users", map[string]any{"customer_id": acme, "role": "Owner (All Access)", "name": "Otto Owner",
		"email": ownerEmail, "password": ownerPassword, "password_confirm": ownerPassword}); r.StatusCode != http.StatusCreated {
		t.Fatalf("create owner: %d %s", r.StatusCode, r.body)
	}
	settled(t, s, last)
	b.click("#logout")
	b.waitVisible("#login-form")
	consoleLogin(b, s.url, ownerEmail, ownerPassword)
	b.waitText("h1", "List Customer")
	b.click("#add-customer")
	b.waitText("h1", "Add Customer")
	var offered []string
	b.eval(`[...document.querySelectorAll('#customer-parent option')].map(o => o.textContent)`, &offered)
	if got, want := strings.Join(offered, "|"), "Viewer Corp|Viewer Corp Subsidiary"; got != want {
		t.Errorf("Management by offers %q, want %q", got, want)
	}
	b.screenshot("owner-add-customer")
}

// TestConsoleKeyboardAndNarrowScreen: the forms are labelled and work from the keyboard alone,
// and the pages fit a 390 px screen without sideways scrolling.
func TestConsoleKeyboardAndNarrowScreen(t *testing.T) {
	s := newConsoleStack(t)
	s.create(t, map[string]any{"name": "Narrow Screen Holdings International", "address": "A rather long address, 1234 Some Very Long Street Name, Springfield"})
	b := newBrowser(t, 390, 844)

	// Login from the keyboard: the email field, Tab to the password, Enter submits.
	b.navigate(s.url + "/")
	b.waitVisible("#login-form")
	b.click("#login-email")
	b.typeInto("#login-email", operatorEmail)
	b.pressKey("#login-email", "Tab")
	if got := b.focused(); got != "login-password" {
		t.Fatalf("Tab from the email field focused %q", got)
	}
	b.typeInto("#login-password", operatorPassword)
	b.pressKey("#login-password", "Enter")
	b.waitText("h1", "List Customer")
	b.waitText("#customers tbody", "Narrow Screen Holdings International")
	fits(t, b, "list-customer-390")

	// Every field of Add Customer has a label, and the steps work from the keyboard.
	b.click("#add-customer")
	b.waitText("h1", "Add Customer")
	unlabelled(t, b)
	b.typeInto("#customer-name", "Keyboard Co")
	b.pressKey("#customer-name", "Enter")
	b.waitText("h1", "Add Customer Owner")
	unlabelled(t, b)
	fits(t, b, "add-owner-390")

	// The row actions are buttons with accessible names, reachable with Tab.
	b.navigate(s.url + "/#/customers")
	b.waitVisible(rowButton("Edit", "Narrow Screen Holdings International"))
	var names []string
	b.eval(`[...document.querySelectorAll('#customers td.actions button')].map(x => x.tagName + ':' + x.getAttribute('aria-label') + ':' + x.tabIndex)`, &names)
	if len(names) < 4 {
		t.Fatalf("row actions: %v", names)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "BUTTON:") || strings.HasSuffix(n, ":-1") || strings.Contains(n, ":null:") {
			t.Errorf("row action %q is not a focusable, labelled button", n)
		}
	}

	b.setViewport(1280, 800)
	b.navigate(s.url + "/#/users")
	b.waitText("h1", "List User")
	fits(t, b, "list-user-1280")
	b.setViewport(390, 844)
	b.navigate(s.url + "/#/audit")
	b.waitText("h1", "Audit Log")
	unlabelled(t, b)
	fits(t, b, "audit-390")

	// List Customer shows 25 customers, newest first; Load more brings the rest, then goes away.
	var last response
	for i := range 24 {
		last = s.create(t, map[string]any{"name": fmt.Sprintf("Paged Customer %02d", i)})
	}
	settled(t, s, last)
	b.navigate(s.url + "/#/customers")
	b.waitText("#customers tbody tr:first-child", "Paged Customer 23")
	rows := func() (n int) {
		b.eval(`document.querySelectorAll('#customers tbody tr[data-id]').length`, &n)
		return n
	}
	if n := rows(); n != 25 {
		t.Fatalf("the first page shows %d customers, want 25", n)
	}
	b.waitVisible("#load-more")
	b.click("#load-more")
	b.waitFor(`document.querySelectorAll('#customers tbody tr[data-id]').length === 26`)
	b.waitText("#customers tbody tr:last-child", "Toffstech")
	b.waitGone("#load-more")
	b.screenshot("list-customer-all-pages-390")
}

// fits fails when the page is wider than the window, and saves a screenshot.
func fits(t *testing.T, b *browser, name string) {
	t.Helper()
	var overflow int
	b.eval(`document.documentElement.scrollWidth - window.innerWidth`, &overflow)
	if overflow > 0 {
		t.Errorf("%s: the page is %d px wider than the window", name, overflow)
	}
	b.screenshot(name)
}

// unlabelled fails for every visible form control without a label.
func unlabelled(t *testing.T, b *browser) {
	t.Helper()
	var missing []string
	b.eval(`[...document.querySelectorAll('main input, main select, main textarea')]
		.filter(el => el.type !== 'hidden' && el.labels.length === 0 && !el.getAttribute('aria-label'))
		.map(el => el.id || el.name || el.outerHTML)`, &missing)
	if len(missing) > 0 {
		t.Errorf("form controls without a label: %v", missing)
	}
}
