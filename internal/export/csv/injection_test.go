package csvexport

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// TestInjectionPrefixes checks each dangerous first character in every cell a user controls the
// start of: customer name, host, origin address, scheme and TLS protocol.
func TestInjectionPrefixes(t *testing.T) {
	for _, p := range dangerousPrefixes {
		t.Run(p.name, func(t *testing.T) {
			row := Row{
				Host:         p.value,
				Scheme:       p.value,
				CustomerName: p.value,
				Origins:      []Origin{{Type: "FQDN", Address: p.value, Port: 80, Enabled: true}},
				TLSProtocols: []string{p.value},
			}
			got := decode(t, encode(t, []Row{row}))
			if len(got) != 1 {
				t.Fatalf("got %d rows, want 1", len(got))
			}
			want := "'" + strings.ReplaceAll(p.value, "\r", "\n")
			for _, col := range []int{colHost, colScheme, colCustomerName, colOrigin, colTLS} {
				if c := got[0][col]; c != want {
					t.Errorf("%s = %q, want %q", Header()[col], c, want)
				}
			}
		})
	}
}

func TestNeutralize(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@x", "'@x"},
		{"\tx", "'\tx"},
		{"\rx", "'\nx"},
		{"\r\nx", "'\nx"},
		{"\nx", "'\nx"},
		{"a=b", "a=b"},
		{"'=already", "'=already"},
		{" =x", " =x"},
		{"", ""},
		{"N/A", "N/A"},
		{"a\rb\r\nc", "a\nb\nc"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"\xff=", "\uFFFD="},
	}
	for _, tt := range tests {
		if got := neutralize(tt.in); got != tt.want {
			t.Errorf("neutralize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestNoCellStartsWithFormula checks a summary cell too: a rule name cannot begin the Redirection
// cell, but every cell of every row goes through the same check.
func TestNoCellStartsWithFormula(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, r := range append(typicalRows(), injectionRows()...) {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte(bom)))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range records {
		for j, cell := range rec {
			if cell != "" && strings.IndexByte(formulaPrefixes, cell[0]) >= 0 {
				t.Errorf("record %d, column %d = %q begins with a formula character", i, j, cell)
			}
		}
	}
}
