package main

import (
	"io"
	"slices"
	"testing"
)

func TestParseOptionsExportSizes(t *testing.T) {
	none := func(string) string { return "" }
	for _, c := range []struct {
		args []string
		want []int
	}{
		{nil, []int{10_000, 100_000, 1_000_000}},
		{[]string{"-quick"}, []int{1_000, 10_000}},
		{[]string{"-quick", "-export-sizes", "5, 7"}, []int{5, 7}},
	} {
		o, err := parseOptions(c.args, none, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if !slices.Equal(o.exportSizes, c.want) {
			t.Errorf("%v: export sizes %v, want %v", c.args, o.exportSizes, c.want)
		}
	}
	for _, bad := range []string{"0", "x", "10,", "-3"} {
		if _, err := parseOptions([]string{"-export-sizes", bad}, none, io.Discard); err == nil {
			t.Errorf("-export-sizes %q accepted", bad)
		}
	}
}
