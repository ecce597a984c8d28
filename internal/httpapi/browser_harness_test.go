package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// harnessPage exercises every helper of browser: a prefilled field echoed on input, a button
// whose click changes a text and, later, shows one element, removes one and hides one, a focusable element that
// reacts to Enter, and a link to a CSV served as an attachment.
const harnessPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Harness</title></head>
<body>
<label>Name <input id="name" name="name" value="prefilled"></label>
<p id="echo"></p>
<label>Email <input id="email" type="email" value="old@example.com"></label>
<button id="go" type="button">Go</button>
<div aria-label="Keyboard target" tabindex="0" role="button">press Enter here</div>
<p id="msg">before</p>
<p id="spinner">working…</p>
<p id="done" hidden>done</p>
<p id="hint">click Go</p>
<a id="csv" href="/report.csv" data-kind="csv">Download CSV</a>
<script>
const name = document.getElementById("name");
name.addEventListener("input", () => { document.getElementById("echo").textContent = "echo:" + name.value; });
document.getElementById("go").addEventListener("click", () => {
	document.getElementById("msg").textContent = "after click: " + name.value;
	setTimeout(() => {
		document.getElementById("spinner").remove();
		document.getElementById("done").hidden = false;
		document.getElementById("hint").hidden = true;
	}, 100);
});
document.querySelector("[aria-label='Keyboard target']").addEventListener("keydown", (e) => {
	if (e.key === "Enter") document.getElementById("msg").textContent = "entered";
});
</script>
</body></html>`

// harnessCSV is the attachment of harnessPage, with a non-ASCII character and CRLF line ends.
const harnessCSV = "id,name\r\n1,Zoë\r\n"

// TestBrowserHarness checks the browser helpers against a page of its own (not the console).
func TestBrowserHarness(t *testing.T) {
	start := time.Now()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, harnessPage)
		case "/report.csv":
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="report.csv"`)
			_, _ = io.WriteString(w, harnessCSV)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)

	b := newBrowser(t, 1024, 768)
	b.navigate(srv.URL + "/")
	var size [2]int
	if b.eval(`[window.innerWidth, window.innerHeight]`, &size); size != [2]int{1024, 768} {
		t.Fatalf("viewport = %v, want [1024 768]", size)
	}

	// Form field: typing replaces the prefilled value and fires input events.
	if v := b.value("#name"); v != "prefilled" {
		t.Fatalf("value before typing = %q", v)
	}
	b.typeInto("#name", "Zoë Tester")
	if v := b.value("#name"); v != "Zoë Tester" {
		t.Fatalf("value after typing = %q, want %q", v, "Zoë Tester")
	}
	b.waitText("#echo", "echo:Zoë Tester")
	b.typeInto("#email", "new@example.com")
	if v := b.value("#email"); v != "new@example.com" {
		t.Fatalf("email after typing = %q", v)
	}

	// Click, text, waits.
	if !b.exists("#spinner") || b.exists("#nothing-here") {
		t.Fatal("exists disagrees with the page")
	}
	if got := b.text("#msg"); got != "before" {
		t.Fatalf("text before the click = %q", got)
	}
	b.click("#go")
	b.waitText("#msg", "after click: Zoë Tester")
	b.waitVisible("#done")
	b.waitGone("#spinner") // removed
	b.waitGone("#hint")    // hidden
	if !b.exists("#hint") {
		t.Fatal("#hint was removed, not hidden")
	}
	if got := b.attr("#csv", "data-kind"); got != "csv" {
		t.Fatalf("attr data-kind = %q", got)
	}
	if got := b.attr("#csv", "download"); got != "" {
		t.Fatalf("a missing attribute reads %q", got)
	}

	// Keyboard: Tab from the button reaches the focusable element, Enter acts on it, Shift+Tab
	// goes back.
	b.pressKey("#go", "Tab")
	if f := b.focused(); f != "Keyboard target" {
		t.Fatalf("focus after Tab from #go = %q, want the aria-label", f)
	}
	b.pressKey("", "Enter")
	b.waitText("#msg", "entered")
	b.pressKey("", "Shift+Tab")
	if f := b.focused(); f != "go" {
		t.Fatalf("focus after Shift+Tab = %q, want go", f)
	}
	b.pressKey("#name", "End")
	if f := b.focused(); f != "name" {
		t.Fatalf("focus after a key on #name = %q", f)
	}

	// Viewport and screenshot.
	b.setViewport(400, 300)
	if b.eval(`[window.innerWidth, window.innerHeight]`, &size); size != [2]int{400, 300} {
		t.Fatalf("viewport after setViewport = %v, want [400 300]", size)
	}
	path := b.screenshot("narrow")
	png, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("%s is not a PNG: starts with % x", path, png[:min(8, len(png))])
	}
	if !strings.HasSuffix(path, "/test-artifacts/browser/TestBrowserHarness/narrow.png") {
		t.Fatalf("screenshot path = %s", path)
	}

	// Download.
	b.click("#csv")
	name, content := b.waitDownload()
	if name != "report.csv" || string(content) != harnessCSV {
		t.Fatalf("download = %q %q, want report.csv %q", name, content, harnessCSV)
	}

	// A selector that never matches fails the test at the deadline, naming the selector and
	// the page.
	msg := failureOf(b, 300*time.Millisecond, func(b *browser) { b.click("#missing-button") })
	if !strings.Contains(msg, `"#missing-button"`) || !strings.Contains(msg, srv.URL) || !strings.Contains(msg, "gave up after 300ms") {
		t.Fatalf("failure message = %q, want the selector, the page URL and the timeout", msg)
	}
	msg = failureOf(b, 300*time.Millisecond, func(b *browser) { b.waitText("#msg", "never") })
	if !strings.Contains(msg, `"#msg"`) || !strings.Contains(msg, `text is "entered"`) {
		t.Fatalf("waitText failure message = %q, want the selector and the text seen", msg)
	}
	t.Logf("browser harness took %s", time.Since(start).Round(time.Millisecond))
}

// failureOf runs step on a copy of b whose failures are recorded instead of failing the test,
// with the given action timeout, and returns the failure message ("" if step did not fail).
func failureOf(b *browser, timeout time.Duration, step func(*browser)) string {
	r := &failureRecorder{TB: b.tb}
	c := *b
	c.tb, c.timeout = r, timeout
	done := make(chan struct{})
	go func() {
		defer close(done)
		step(&c)
	}()
	<-done
	return r.msg
}

// failureRecorder is a testing.TB whose Fatalf records the message and stops the calling
// goroutine, as testing.T does.
type failureRecorder struct {
	testing.TB
	msg string
}

func (r *failureRecorder) Helper() {}

func (r *failureRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
