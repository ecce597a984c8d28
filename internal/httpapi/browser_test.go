package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromiumPath is Debian's Chromium, which scripts/ensure-chromium.sh installs.
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds every browser action: a selector that never matches fails the test with
// its name instead of hanging until the test binary's timeout.
const browserTimeout = 15 * time.Second

// browserPollEvery is how often waitText and waitGone look at the page again.
const browserPollEvery = 25 * time.Millisecond

// browser is one headless Chromium tab driven through chromedp. Every method fails the test (with
// the selector and the page's URL) when its action fails or does not finish within the timeout, so
// flow tests read as a list of steps without error handling. Selectors are CSS selectors.
type browser struct {
	tb      testing.TB // where failures go; a test of the helper swaps it for a recorder
	name    string     // the test's name, for the screenshot folder
	ctx     context.Context
	timeout time.Duration
	dl      *downloads
}

// downloads collects the browser's download events; waitDownload takes the completed ones in
// order.
type downloads struct {
	dir     string
	mu      sync.Mutex
	names   map[string]string // GUID → suggested file name
	done    []string          // GUIDs of completed downloads, in order
	taken   int               // completed downloads already returned by waitDownload
	changed chan struct{}     // signalled (without blocking) when done grows
}

// newBrowser starts headless Chromium with a window and viewport of width×height CSS pixels.
// Downloads are allowed into a temporary folder (see waitDownload). The browser keeps its profile,
// HOME, TMPDIR and XDG folders inside the test's temporary folder: Chromium writes outside its
// user-data-dir otherwise. It stops when the test ends; a failed test first gets a screenshot
// named "failure" and a log of the page's console messages.
func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("browser tests need Chromium at %s (%v): run scripts/ensure-chromium.sh (make test and .ci/run do it)", chromiumPath, err)
	}
	home := t.TempDir()
	for _, d := range []string{"tmp", ".config", ".cache", ".local/share"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(filepath.Join(home, "profile")),
		chromedp.WindowSize(width, height),
		chromedp.Env("HOME="+home, "TMPDIR="+filepath.Join(home, "tmp"), "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
			"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_DATA_HOME="+filepath.Join(home, ".local/share")),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b := &browser{tb: t, name: t.Name(), ctx: ctx, timeout: browserTimeout,
		dl: &downloads{dir: t.TempDir(), names: map[string]string{}, changed: make(chan struct{}, 1)}}

	// The first action starts the browser and ties its life to the context it gets, so it runs
	// on ctx itself and the start is bounded from outside.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))) }()
	select {
	case err := <-started:
		if err != nil {
			cancelTab()
			cancelAlloc()
			t.Fatalf("browser: start %s: %v", chromiumPath, err)
		}
	case <-time.After(2 * browserTimeout):
		cancelTab()
		cancelAlloc()
		<-started
		t.Fatalf("browser: %s did not start within %s", chromiumPath, 2*browserTimeout)
	}

	var console []string
	var consoleMu sync.Mutex
	consoleDone := make(chan struct{})
	messages := chromedp.Console(ctx)
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			consoleMu.Lock()
			console = append(console, m.String())
			consoleMu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			b.saveFailureScreenshot()
			consoleMu.Lock()
			for _, m := range console {
				t.Logf("browser console: %s", m)
			}
			consoleMu.Unlock()
		}
		cancelTab()
		cancelAlloc()
		<-consoleDone
	})

	if err := chromedp.Listen(ctx, b.dl.record); err != nil {
		t.Fatalf("browser: listen for downloads: %v", err)
	}
	b.run("allow downloads", "", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior:      cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName,
			DownloadPath:  b.dl.dir,
			EventsEnabled: new(true),
		})
		return err
	}))
	return b
}

// record is the chromedp listener of download events. It runs in the tab's read loop: it must
// return fast and run no command.
func (d *downloads) record(ev any) {
	switch ev := ev.(type) {
	case *cdpbrowser.EventDownloadWillBegin:
		d.mu.Lock()
		d.names[ev.GUID] = ev.SuggestedFilename
		d.mu.Unlock()
	case *cdpbrowser.EventDownloadProgress:
		if ev.State != cdpbrowser.DownloadProgressStateCompleted {
			return
		}
		d.mu.Lock()
		d.done = append(d.done, ev.GUID)
		d.mu.Unlock()
		select {
		case d.changed <- struct{}{}:
		default:
		}
	}
}

// run runs steps with the action timeout and fails the test when they fail. what and sel name
// the step in the failure message.
func (b *browser) run(what, sel string, steps ...chromedp.Action[chromedp.Void]) {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail(what, sel, err)
	}
}

// runFor runs one action that returns a value, as run does (a method cannot have type
// parameters).
func runFor[T any](b *browser, what, sel string, a chromedp.Action[T]) T {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail(what, sel, err)
	}
	return v
}

// fail ends the test with the step, the selector and the page's URL.
func (b *browser) fail(what, sel string, err error) {
	b.tb.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("gave up after %s: %w", b.timeout, err)
	}
	if sel != "" {
		what += fmt.Sprintf(" %q", sel)
	}
	b.tb.Fatalf("browser: %s on page %s: %v", what, b.location(), err)
}

// location is the page's URL, or a note saying why it is unknown; for failure messages.
func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return fmt.Sprintf("(URL unknown: %v)", err)
	}
	return u
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return string(q)
}

// navigate loads url and waits for its load event.
func (b *browser) navigate(url string) {
	b.tb.Helper()
	b.run("navigate to", url, chromedp.Navigate(url))
}

// reload loads the current page again, as the browser's reload button does.
func (b *browser) reload() {
	b.tb.Helper()
	b.run("reload", b.location(), chromedp.Reload())
}

// click waits until sel is visible and clicks its centre with the mouse.
func (b *browser) click(sel string) {
	b.tb.Helper()
	b.run("click", sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// typeInto empties the field sel and types text into it key by key, as a user does, so keydown,
// input and keyup events fire. The field is emptied by selecting its text and pressing Backspace
// (chromedp.Clear only resets the value attribute, which does not clear a field a user edited).
func (b *browser) typeInto(sel, text string) {
	b.tb.Helper()
	b.run("type into", sel,
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			n, err := chromedp.Evaluate[int](`(() => { const e = document.querySelector(`+js(sel)+`);
				e.focus(); if (typeof e.select === "function") e.select(); return String(e.value ?? "").length })()`)(ctx, t)
			if err != nil || n == 0 {
				return err
			}
			if _, err := chromedp.KeyEvent(kb.Backspace)(ctx, t); err != nil {
				return err
			}
			left, err := chromedp.Evaluate[string](`String(document.querySelector(`+js(sel)+`).value ?? "")`)(ctx, t)
			if err == nil && left != "" {
				err = fmt.Errorf("the field still holds %q after selecting its text and pressing Backspace", left)
			}
			return err
		}),
		chromedp.SendKeys(chromedp.CSS(sel), text),
	)
}

// value is the current value of the form field sel.
func (b *browser) value(sel string) string {
	b.tb.Helper()
	return runFor(b, "read the value of", sel, chromedp.Value(chromedp.CSS(sel)))
}

// text is the rendered text (innerText) of sel.
func (b *browser) text(sel string) string {
	b.tb.Helper()
	return runFor(b, "read the text of", sel, chromedp.Text(chromedp.CSS(sel)))
}

// waitVisible waits until sel exists and is visible (it has a size or client rects; chromedp's
// definition, so visibility:hidden counts as visible).
func (b *browser) waitVisible(sel string) {
	b.tb.Helper()
	b.run("wait until visible:", sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// waitGone waits until sel is not in the page or not visible.
func (b *browser) waitGone(sel string) {
	b.tb.Helper()
	b.until("wait until gone:", sel, `(sel) => {
		const e = document.querySelector(sel);
		const shown = !!e && Boolean(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
		return {ok: !shown, seen: shown ? "still visible" : ""};
	}`)
}

// waitText waits until the rendered text of sel contains substr.
func (b *browser) waitText(sel, substr string) {
	b.tb.Helper()
	b.until(fmt.Sprintf("wait for text %q in", substr), sel, `(sel, want) => {
		const e = document.querySelector(sel);
		if (!e) return {ok: false, seen: "no such element"};
		const text = e.innerText ?? e.textContent;
		return {ok: text.includes(want), seen: "text is " + JSON.stringify(text)};
	}`, substr)
}

// waitFor waits until the JavaScript expression cond is true.
func (b *browser) waitFor(cond string) {
	b.tb.Helper()
	b.until("wait until", cond, `() => ({ok: Boolean(`+cond+`), seen: "still false"})`)
}

// until evaluates the JavaScript function fn(sel, args...) every browserPollEvery until it returns
// {ok: true}, and fails the test with its last {seen} at the deadline. It polls from Go, not in
// the page, so it survives a navigation.
func (b *browser) until(what, sel, fn string, args ...string) {
	b.tb.Helper()
	call := "(" + fn + ")(" + js(sel)
	for _, a := range args {
		call += ", " + js(a)
	}
	call += ")"
	type result struct {
		OK   bool   `json:"ok"`
		Seen string `json:"seen"`
	}
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	tick := time.NewTicker(browserPollEvery)
	defer tick.Stop()
	last := "nothing evaluated yet"
	for {
		r, err := chromedp.Run(ctx, chromedp.Evaluate[result](call))
		switch {
		case err == nil && r.OK:
			return
		case err == nil:
			last = r.Seen
		case ctx.Err() == nil:
			last = err.Error() // e.g. a navigation replaced the page: look again
		}
		select {
		case <-ctx.Done():
			b.fail(what, sel, fmt.Errorf("%s; gave up after %s", last, b.timeout))
			return
		case <-tick.C:
		}
	}
}

// exists tells whether sel matches an element now; it does not wait.
func (b *browser) exists(sel string) bool {
	b.tb.Helper()
	return runFor(b, "look for", sel, chromedp.Evaluate[bool](`document.querySelector(`+js(sel)+`) !== null`))
}

// attr is the attribute name of sel, or "" when sel has no such attribute.
func (b *browser) attr(sel, name string) string {
	b.tb.Helper()
	return runFor(b, "read attribute "+name+" of", sel, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

// eval evaluates the JavaScript expression expr (awaiting it when it is a promise) and decodes its
// JSON value into out; out may be nil to ignore the value.
func (b *browser) eval(expr string, out any) {
	b.tb.Helper()
	raw := runFor(b, "evaluate", expr, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if out == nil {
		return
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.fail("decode the value of", expr, fmt.Errorf("%w (value %s)", err, raw))
	}
}

// keyNames maps the key names pressKey takes to chromedp's keys.
var keyNames = map[string]string{
	"Tab": kb.Tab, "Enter": kb.Enter, "Escape": kb.Escape, "Backspace": kb.Backspace, "Delete": kb.Delete, "Space": " ",
	"ArrowUp": kb.ArrowUp, "ArrowDown": kb.ArrowDown, "ArrowLeft": kb.ArrowLeft, "ArrowRight": kb.ArrowRight,
	"Home": kb.Home, "End": kb.End, "PageUp": kb.PageUp, "PageDown": kb.PageDown,
}

// keyModifiers maps the modifier prefixes of pressKey ("Shift+Tab") to chromedp's.
var keyModifiers = map[string]chromedp.Modifier{
	"Shift": chromedp.ModifierShift, "Ctrl": chromedp.ModifierCtrl, "Alt": chromedp.ModifierAlt, "Meta": chromedp.ModifierMeta,
}

// pressKey focuses sel and presses key on it; with sel "" the key goes to the element that has the
// focus, as when a user keeps tabbing. key is a name of keyNames ("Tab", "Enter", "Escape",
// "ArrowDown", …) or one character, optionally after modifiers: "Shift+Tab", "Ctrl+a".
func (b *browser) pressKey(sel, key string) {
	b.tb.Helper()
	var mods []chromedp.Modifier
	name := key
	for {
		prefix, rest, found := strings.Cut(name, "+")
		m, isMod := keyModifiers[prefix]
		if !found || !isMod || rest == "" {
			break
		}
		mods, name = append(mods, m), rest
	}
	k, ok := keyNames[name]
	if !ok {
		if len([]rune(name)) != 1 {
			b.tb.Fatalf("browser: pressKey %q: unknown key (use one character or one of Tab, Enter, Escape, Arrow…)", key)
		}
		k = name
	}
	var steps []chromedp.Action[chromedp.Void]
	if sel != "" {
		steps = append(steps, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Focus(chromedp.CSS(sel)))
	}
	steps = append(steps, chromedp.KeyEvent(k, chromedp.KeyModifiers(mods...)))
	what := "press " + key + " on"
	if sel == "" {
		what += " the focused element"
	}
	b.run(what, sel, steps...)
}

// focused names the element that has the keyboard focus: its id, else its aria-label, else its
// name attribute, else "<tag>"; "" when nothing (the body) has it.
func (b *browser) focused() string {
	b.tb.Helper()
	return runFor(b, "read the focused element", "", chromedp.Evaluate[string](`(() => {
		const e = document.activeElement;
		if (!e || e === document.body || e === document.documentElement) return "";
		return e.id || e.getAttribute("aria-label") || e.getAttribute("name") || "<" + e.tagName.toLowerCase() + ">";
	})()`))
}

// setTimezone makes the page run in the IANA time zone tz, as if the computer were there.
func (b *browser) setTimezone(tz string) {
	b.tb.Helper()
	b.run("set the time zone to", tz, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: tz})
		return err
	}))
}

// setViewport resizes the page's viewport to width×height CSS pixels (media queries follow).
func (b *browser) setViewport(width, height int) {
	b.tb.Helper()
	b.run(fmt.Sprintf("set the viewport to %dx%d", width, height), "", chromedp.EmulateViewport(int64(width), int64(height)))
}

// screenshot writes a PNG of the whole page to test-artifacts/browser/<TestName>/<name>.png under
// the repository root and returns its path.
func (b *browser) screenshot(name string) string {
	b.tb.Helper()
	png := runFor(b, "take screenshot", name, chromedp.FullScreenshot(100)) // 100 means PNG
	path, err := b.writeArtifact(name+".png", png)
	if err != nil {
		b.tb.Fatalf("browser: screenshot %q: %v", name, err)
	}
	b.tb.Logf("browser: screenshot %s", path)
	return path
}

// saveFailureScreenshot keeps the page of a failed test as "failure.png"; it only logs its own
// errors (it runs in the cleanup of a test that already failed).
func (b *browser) saveFailureScreenshot() {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		var path string
		if path, err = b.writeArtifact("failure.png", png); err == nil {
			b.tb.Logf("browser: the page at the failure: %s (%s)", path, b.location())
			return
		}
	}
	b.tb.Logf("browser: no failure screenshot: %v", err)
}

// writeArtifact writes data to test-artifacts/browser/<TestName>/<file> under the repository root.
func (b *browser) writeArtifact(file string, data []byte) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "test-artifacts", "browser", filepath.FromSlash(b.name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, file)
	return path, os.WriteFile(path, data, 0o644)
}

// repoRoot is the closest directory at or above the working directory that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// waitDownload waits for the next completed download (in the order they complete) and returns
// the file name the server suggested and the file's content.
func (b *browser) waitDownload() (filename string, content []byte) {
	b.tb.Helper()
	d := b.dl
	deadline := time.NewTimer(b.timeout)
	defer deadline.Stop()
	for {
		d.mu.Lock()
		var guid, name string
		if d.taken < len(d.done) {
			guid = d.done[d.taken]
			name = d.names[guid]
			d.taken++
		}
		d.mu.Unlock()
		if guid != "" {
			// allowAndName saves the file under its GUID.
			content, err := os.ReadFile(filepath.Join(d.dir, guid))
			if err != nil {
				b.fail("read download", name, err)
			}
			return name, content
		}
		select {
		case <-d.changed:
		case <-deadline.C:
			b.fail("wait for a download", "", fmt.Errorf("no download completed within %s", b.timeout))
			return "", nil
		}
	}
}
