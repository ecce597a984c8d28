package auth_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/toffstech/customer-management/internal/auth"
)

// commonPasswordLines reads the embedded list from disk, as shipped.
func commonPasswordLines(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("common_passwords.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if !strings.HasSuffix(text, "\n") {
		t.Fatal("common_passwords.txt does not end with a newline")
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

func TestCommonPasswordsFile(t *testing.T) {
	lines := commonPasswordLines(t)
	if len(lines) != 10000 {
		t.Fatalf("common_passwords.txt has %d lines, want 10000", len(lines))
	}
	seen := make(map[string]int, len(lines))
	for i, line := range lines {
		n := i + 1
		switch {
		case line == "":
			t.Errorf("line %d is empty", n)
		case strings.TrimSpace(line) != line:
			t.Errorf("line %d has surrounding white space", n)
		case strings.ToLower(line) != line:
			t.Errorf("line %d is not lower-case", n)
		case !utf8.ValidString(line):
			t.Errorf("line %d is not UTF-8", n)
		}
		if first, dup := seen[line]; dup {
			t.Errorf("line %d repeats line %d", n, first)
		}
		seen[line] = n
	}
}

func TestIsCommonPassword(t *testing.T) {
	tests := []struct {
		password string
		want     bool
	}{
		{"password", true},
		{"PASSWORD", true},
		{"qwerty", true},
		{"123456", true},
		{"qwerty123456", true},
		{"Qwerty123456", true},
		{"correct horse battery staple", false},
		{"", false},
		{" password", false},
	}
	for _, tt := range tests {
		if got := auth.IsCommonPassword(tt.password); got != tt.want {
			t.Errorf("IsCommonPassword(%q) = %v, want %v", tt.password, got, tt.want)
		}
	}
}

// TestCheckNewRefusesEveryLongCommonPassword checks the list end to end: every entry long enough to
// pass the length rule is refused by CheckNew, as typed and upper-cased.
func TestCheckNewRefusesEveryLongCommonPassword(t *testing.T) {
	long := 0
	for _, p := range commonPasswordLines(t) {
		if utf8.RuneCountInString(p) < auth.MinPasswordLength {
			continue
		}
		long++
		for _, variant := range []string{p, strings.ToUpper(p)} {
			if err := auth.CheckNew(variant, variant); !errors.Is(err, auth.ErrWeakPassword) {
				t.Errorf("CheckNew(%q) = %v, want ErrWeakPassword", variant, err)
			}
		}
	}
	if long == 0 {
		t.Fatal("no entry of the list has 12 characters or more; the test checks nothing")
	}
}
