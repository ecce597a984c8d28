package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/chain"
)

// ndjson splits a stream into its lines, each checked to be a JSON object.
func ndjson(t *testing.T, r response) [][]byte {
	t.Helper()
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("%d %s %s", r.StatusCode, r.Header.Get("Content-Type"), r.body)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := append([]byte(nil), sc.Bytes()...)
		if !json.Valid(l) {
			t.Fatalf("not a JSON line: %s", l)
		}
		lines = append(lines, l)
	}
	return lines
}

var sequencePrefix = regexp.MustCompile(`^\{"sequence":"(\d+)",`)

// stored splits a line into its sequence and the event's bytes as stored.
func stored(t *testing.T, line []byte) (uint64, []byte) {
	t.Helper()
	m := sequencePrefix.FindSubmatch(line)
	if m == nil {
		t.Fatalf("line does not start with the sequence: %s", line)
	}
	seq, _ := strconv.ParseUint(string(m[1]), 10, 64)
	return seq, append([]byte("{"), line[len(m[0]):]...)
}

func TestRawEventsOverHTTP(t *testing.T) {
	s := newStack(t, stackOptions{})
	a := s.create(t, map[string]any{"name": "Events A"}).json(t)["id"].(string)
	b := s.create(t, map[string]any{"name": "Events B", "owner": map[string]any{"name": "B", "email": "owner-events-b@example.com",
		"password": ownerPassword, "password_confirm": ownerPassword}}).json(t)["id"].(string)
	for i := range 3 {
		if r := s.do(t, "PATCH", "/v1/customers/"+a, map[string]any{"address": "street " + strconv.Itoa(i)}); r.StatusCode != 200 {
			t.Fatal(r.StatusCode)
		}
	}
	total := int(s.eventCount(t))

	// The whole log, in order, each line a CloudEvent with its sequence; without the sequence, the
	// stored bytes, whose chains an auditor's own tool can verify.
	all := ndjson(t, s.do(t, "GET", "/v1/events", nil))
	if len(all) != total {
		t.Fatalf("%d lines, the log has %d events", len(all), total)
	}
	v := chain.NewVerifier()
	for i, l := range all {
		seq, data := stored(t, l)
		var ev map[string]any
		if err := json.Unmarshal(l, &ev); err != nil || seq != uint64(i+1) || ev["specversion"] != "1.0" || ev["id"] == "" {
			t.Fatalf("line %d: %s", i, l)
		}
		v.Add(chain.Event{Seq: seq, Subject: ev["aggregatetype"].(string) + "/" + ev["aggregateid"].(string), Data: data})
	}
	if rep := v.Report(); !rep.OK {
		t.Fatalf("the streamed events do not chain: %+v", rep.FirstBreak)
	}

	// Resume after a sequence, with a limit.
	page := ndjson(t, s.do(t, "GET", "/v1/events?after=3&limit=4", nil))
	if len(page) != 4 {
		t.Fatalf("%d lines", len(page))
	}
	if seq, _ := stored(t, page[0]); seq != 4 {
		t.Fatalf("first after 3: %d", seq)
	}
	if got := ndjson(t, s.do(t, "GET", "/v1/events?after="+strconv.Itoa(total), nil)); len(got) != 0 {
		t.Fatalf("after the end: %d lines", len(got))
	}

	// follow=true waits for the next event.
	done := make(chan response, 1)
	go func() {
		done <- s.do(t, "GET", "/v1/events?follow=true&limit=1&after="+strconv.Itoa(total), nil)
	}()
	// The request may start before or after the write: both must deliver it.
	w := s.do(t, "PATCH", "/v1/customers/"+b, map[string]any{"address": "followed"})
	if w.StatusCode != 200 {
		t.Fatal(w.StatusCode)
	}
	select {
	case r := <-done:
		lines := ndjson(t, r)
		if len(lines) != 1 || !strings.Contains(string(lines[0]), `"type":"customer.updated"`) || !strings.Contains(string(lines[0]), "followed") {
			t.Fatalf("followed: %s", r.body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("follow did not deliver the new event")
	}

	// A non-support user reads its own subtree's events only.
	ownerB := s.login(t, "owner-events-b@example.com", ownerPassword)
	mine := ndjson(t, s.doAs(t, ownerB, "GET", "/v1/events", nil))
	if len(mine) < 3 {
		t.Fatalf("owner of B sees %d events", len(mine))
	}
	for _, l := range mine {
		if strings.Contains(string(l), a) {
			t.Fatalf("owner of B sees A's event: %s", l)
		}
	}

	for q, field := range map[string]string{"limit=0": "limit", "after=-1": "after", "follow=maybe": "follow"} {
		if r := s.do(t, "GET", "/v1/events?"+q, nil); r.StatusCode != 400 || !strings.Contains(string(r.body), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", q, r.StatusCode, r.body)
		}
	}
	if r := s.doAs(t, "", "GET", "/v1/events", nil); r.StatusCode != 401 {
		t.Errorf("no session: %d", r.StatusCode)
	}
}
