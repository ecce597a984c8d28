package auth

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEMatrixMatchesTheCode keeps the role matrix documented in the README equal to the
// defaults in code.
func TestREADMEMatrixMatchesTheCode(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "|"), "|")
		cells := strings.Split(line, "|")
		if len(cells) != 1+len(AllRoles()) {
			continue
		}
		rows[strings.TrimSpace(cells[0])] = cells[1:]
	}
	for _, p := range AllPermissions() {
		cells, ok := rows[string(p)]
		if !ok {
			t.Errorf("README has no row for %q", p)
			continue
		}
		for i, r := range AllRoles() {
			if got, want := strings.TrimSpace(cells[i]) == "✓", DefaultPermissions(r).Has(p); got != want {
				t.Errorf("README says %q has %q: %v; the code says %v", r, p, got, want)
			}
		}
	}
}
