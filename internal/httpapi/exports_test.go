package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/export/storage"
	"github.com/toffstech/customer-management/internal/testenv"
)

// TestExportRequestStatusAndDownload drives the export endpoints; the worker's part (start,
// file, outcome) is done here through the same command handlers and store the exporter uses.
func TestExportRequestStatusAndDownload(t *testing.T) {
	s := newStack(t, stackOptions{})
	cust := s.create(t, map[string]any{"name": "Export Co"}).json(t)["id"].(string)
	r := s.do(t, "POST", "/v1/customers/"+cust+"/exports", nil)
	if r.StatusCode != http.StatusAccepted || r.Header.Get("Retry-After") == "" || !strings.HasPrefix(r.Header.Get("Location"), "/v1/exports/") {
		t.Fatalf("request: %d %v %s", r.StatusCode, r.Header, r.body)
	}
	id := r.json(t)["id"].(string)
	if st := s.do(t, "GET", "/v1/exports/"+id, nil).json(t)["status"]; st != "pending" {
		t.Fatalf("status = %v", st)
	}
	if r := s.do(t, "GET", "/v1/exports/"+id+"/download", nil); r.StatusCode != http.StatusConflict {
		t.Fatalf("download before it is ready: %d", r.StatusCode)
	}
	// Two more fill the customer's three slots; a fourth is refused.
	lastToken := ""
	for range 2 {
		r := s.do(t, "POST", "/v1/customers/"+cust+"/exports", nil)
		if r.StatusCode != http.StatusAccepted {
			t.Fatal(r.StatusCode)
		}
		lastToken = r.Header.Get("X-Consistency-Token")
	}
	if r := s.do(t, "POST", "/v1/customers/"+cust+"/exports", nil); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth export: %d %s", r.StatusCode, r.body)
	}

	// The worker's part.
	const csv = "\ufeffHost,HTTP Ports\r\nwww.example.com,80\r\n"
	info := s.succeedExport(t, id, csv, "export-co-domains-20261127.csv", true)
	st := s.do(t, "GET", "/v1/exports/"+id, nil).json(t)
	if st["status"] != "succeeded" || st["rows"] != float64(1) || st["download_url"] != "/v1/exports/"+id+"/download" || st["sha256"] != info.SHA256 {
		t.Fatalf("succeeded: %v", st)
	}
	d := s.do(t, "GET", "/v1/exports/"+id+"/download", nil)
	if d.StatusCode != 200 || string(d.body) != csv || d.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		d.Header.Get("Content-Disposition") != `attachment; filename="export-co-domains-20261127.csv"` {
		t.Fatalf("download: %d %v %q", d.StatusCode, d.Header, d.body)
	}
	if n := s.do(t, "GET", "/v1/exports/"+id, nil).json(t)["downloads"]; n != float64(1) {
		t.Errorf("downloads = %v", n)
	}
	// The customer's export list shows the three accepted requests, newest first.
	list := s.do(t, "GET", "/v1/customers/"+cust+"/exports?limit=2", nil, "X-Consistency-Token", lastToken)
	lj := list.json(t)
	if len(lj["items"].([]any)) != 2 || lj["next_cursor"] == nil {
		t.Fatalf("export list: %s", list.body)
	}
	rest := s.do(t, "GET", "/v1/customers/"+cust+"/exports?limit=2&cursor="+lj["next_cursor"].(string), nil).json(t)
	if n := len(rest["items"].([]any)); n != 1 || rest["next_cursor"] != nil {
		t.Fatalf("second page: %v", rest)
	}

	// Somebody out of reach sees nothing.
	s.create(t, map[string]any{"name": "Other Co", "owner": map[string]any{"name": "O", "email": "other@example.com", "password": "other passphrase 12", "password_confirm": "other passphrase 12"}})
	tok := s.login(t, "other@example.com", "other passphrase 12")
	for _, path := range []string{"/v1/exports/" + id, "/v1/exports/" + id + "/download", "/v1/customers/" + cust + "/exports"} {
		if r := s.doAs(t, tok, "GET", path, nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s by another customer's owner: %d", path, r.StatusCode)
		}
	}
	if r := s.doAs(t, tok, "POST", "/v1/customers/"+cust+"/exports", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("export request out of reach: %d", r.StatusCode)
	}
}

// TestExportsWithUnreachableS3 runs the api with the S3 store pointed at a port nobody listens on:
// the api starts and keeps serving customers and exports, and a download answers 503 with a
// reason and Retry-After instead of an internal error.
func TestExportsWithUnreachableS3(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	s3, err := storage.NewS3Store(storage.S3Config{Endpoint: dead, AccessKey: "cm-test", SecretKey: "cm-test-secret", MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := newStack(t, stackOptions{exportStore: s3})
	cust := s.create(t, map[string]any{"name": "Dead Store Co"}).json(t)["id"].(string)
	r := s.do(t, "POST", "/v1/customers/"+cust+"/exports", nil)
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("export request: %d %s", r.StatusCode, r.body)
	}
	id := r.json(t)["id"].(string)
	// The exporter could not have stored a file; record one as if it had.
	s.succeedExport(t, id, "\ufeffHost\r\n", "dead-store-co-domains-20261127.csv", false)
	d := s.do(t, "GET", "/v1/exports/"+id+"/download", nil)
	if d.StatusCode != http.StatusServiceUnavailable || d.Header.Get("Retry-After") == "" || !strings.Contains(d.json(t)["detail"].(string), "export storage is not reachable") {
		t.Fatalf("download with the store down: %d %v %s", d.StatusCode, d.Header, d.body)
	}
	for _, path := range []string{"/v1/customers/" + cust, "/v1/customers?limit=5", "/v1/exports/" + id, "/v1/customers/" + cust + "/exports"} {
		if r := s.do(t, "GET", path, nil); r.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the store down: %d %s", path, r.StatusCode, r.body)
		}
	}
	if st := s.do(t, "GET", "/v1/exports/"+id, nil).json(t)["status"]; st != "succeeded" {
		t.Errorf("status after a failed download = %v, want succeeded (the export is kept)", st)
	}
	if r := s.do(t, "POST", "/v1/customers/"+cust+"/exports", nil); r.StatusCode != http.StatusAccepted {
		t.Errorf("a new export request with the store down: %d %s", r.StatusCode, r.body)
	}
}

// TestExportDownloadRedirectsToS3 runs the api with S3 storage on a real versitygw: a download is
// a redirect to a presigned URL valid for at most 5 minutes, which serves the file as an
// attachment with its name.
func TestExportDownloadRedirectsToS3(t *testing.T) {
	gw := testenv.StartVersityGW(t)
	s3, err := storage.NewS3Store(storage.S3Config{Endpoint: gw.Endpoint, Bucket: "cm-exports", AccessKey: gw.AccessKey, SecretKey: gw.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	s := newStack(t, stackOptions{exportStore: s3})
	cust := s.create(t, map[string]any{"name": "S3 Co"}).json(t)["id"].(string)
	r := s.do(t, "POST", "/v1/customers/"+cust+"/exports", nil)
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("export request: %d %s", r.StatusCode, r.body)
	}
	id := r.json(t)["id"].(string)
	const csv = "\ufeffHost,HTTP Ports\r\nwww.example.com,80\r\n"
	const filename = "s3-co-domains-20261127.csv"
	s.succeedExport(t, id, csv, filename, true)
	d := s.do(t, "GET", "/v1/exports/"+id+"/download", nil)
	if d.StatusCode != http.StatusFound || d.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("download: %d %v %s", d.StatusCode, d.Header, d.body)
	}
	loc, err := url.Parse(d.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Host != gw.Endpoint || loc.Query().Get("X-Amz-Signature") == "" {
		t.Fatalf("presigned URL %s", loc)
	}
	if exp, err := strconv.Atoi(loc.Query().Get("X-Amz-Expires")); err != nil || exp < 1 || exp > 300 {
		t.Errorf("presigned URL valid for %q seconds, want at most 300", loc.Query().Get("X-Amz-Expires"))
	}
	// The URL itself serves the file, with no api token.
	resp, err := http.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || string(body) != csv || !strings.Contains(resp.Header.Get("Content-Disposition"), filename) {
		t.Fatalf("presigned GET: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	if n := s.do(t, "GET", "/v1/exports/"+id, nil).json(t)["downloads"]; n != float64(1) {
		t.Errorf("downloads = %v", n)
	}
}

// succeedExport does the exporter's part of export id by hand, through the same command handlers
// and store the exporter uses: it records the start, stores csv as the attempt's file (unless
// store is false: the store is down) and records the success. It returns the file's info.
func (s *stack) succeedExport(t *testing.T, id, csv, filename string, store bool) storage.Info {
	t.Helper()
	ctx := context.Background()
	x, err := s.exports.Export(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sys := command.SystemMeta("test-exporter")
	if err := s.exports.Start(ctx, sys, x, 1); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(csv))
	info := storage.Info{Key: "exports/" + id + "/1.csv", Size: int64(len(csv)), SHA256: hex.EncodeToString(sum[:])}
	if store {
		if info, err = s.exportStore.Put(ctx, info.Key, strings.NewReader(csv), storage.Meta{Filename: filename}); err != nil {
			t.Fatal(err)
		}
	}
	if x, err = s.exports.Export(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.exports.Finish(ctx, sys, x, events.ExportSucceededV1{ObjectKey: info.Key, Filename: filename, Rows: strings.Count(csv, "\r\n") - 1,
		Bytes: info.Size, SHA256: info.SHA256, ExpiresAt: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	return info
}
