package csvexport

import (
	"testing"
	"time"
)

func TestJoinInts(t *testing.T) {
	tests := []struct {
		in   []int
		want string
	}{
		{nil, "N/A"},
		{[]int{}, "N/A"},
		{[]int{80}, "80"},
		{[]int{8080, 80}, "8080; 80"},
	}
	for _, tt := range tests {
		if got := joinInts(tt.in); got != tt.want {
			t.Errorf("joinInts(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOriginCells(t *testing.T) {
	addresses, ports := originCells([]Origin{
		{Address: "203.0.113.10", Port: 443, Enabled: true},
		{Address: "203.0.113.11", Port: 8443, Enabled: true, Backup: true},
		{Address: "a.example", Port: 80},
		{Address: "b.example", Port: 81, Backup: true},
	})
	if want := "203.0.113.10; 203.0.113.11 (backup); a.example (disabled); b.example (backup, disabled)"; addresses != want {
		t.Errorf("addresses = %q, want %q", addresses, want)
	}
	if want := "443; 8443; 80; 81"; ports != want {
		t.Errorf("ports = %q, want %q", ports, want)
	}
	if a, p := originCells(nil); a != "N/A" || p != "N/A" {
		t.Errorf("no origins = %q, %q, want N/A, N/A", a, p)
	}
}

func TestDateCell(t *testing.T) {
	if got := dateCell(nil); got != "N/A" {
		t.Errorf("dateCell(nil) = %q, want N/A", got)
	}
	// The calendar date is the time's own, not UTC's.
	tokyo := time.FixedZone("JST", 9*3600)
	d := time.Date(2027, time.January, 31, 0, 0, 0, 0, tokyo)
	if got := dateCell(&d); got != "2027-01-31" {
		t.Errorf("dateCell = %q, want 2027-01-31", got)
	}
}

func TestTLSCell(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "N/A"},
		{[]string{"TLSv1.3", "TLSv1.2"}, "TLSv1.2; TLSv1.3"},
		{[]string{"TLSv1.3", "TLSv1.1", "TLSv1", "TLSv1.2"}, "TLSv1; TLSv1.1; TLSv1.2; TLSv1.3"},
		{[]string{"TLSv1.2", "TLSv1.2"}, "TLSv1.2"},
		{[]string{"SSLv3", "TLSv1.3", "SSLv3", "SSLv2"}, "TLSv1.3; SSLv3; SSLv2"},
	}
	for _, tt := range tests {
		if got := tlsCell(tt.in); got != tt.want {
			t.Errorf("tlsCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
