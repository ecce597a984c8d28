// Command verify proves that the event log was not altered: it reads stream CM from the first event
// to the last, recomputes the hash chain of every aggregate (each event names the SHA-256 of the
// previous event of its aggregate) and reports the first break, with its stream sequence.
//
//	go run ./cmd/verify [-until SEQ] [-json]
//
// It prints how many events and aggregates it checked, the last sequence and the log digest up to
// it (keep the pair: a later `-until SEQ` run must print the same digest, or something at or before
// SEQ changed). With -json it prints the report as JSON.
//
// Configuration, from the environment:
//
//	NATS_URL  NATS server (default nats://127.0.0.1:4250)
//
// Exit status: 0 when every chain holds, 1 when one is broken, 2 when the log cannot be read.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/chain"
	"github.com/toffstech/customer-management/internal/events"
)

// defaultNATSURL is where `make run` serves NATS.
const defaultNATSURL = "nats://127.0.0.1:4250"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run verifies the log and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	until := fs.Uint64("until", 0, "verify up to this stream sequence (0: the last event)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	stream := fs.String("stream", events.StreamName, "the stream to verify")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	url := getenv("NATS_URL")
	if url == "" {
		url = defaultNATSURL
	}
	nc, err := nats.Connect(url, nats.Name("cm-verify"), nats.Timeout(5*time.Second))
	if err != nil {
		fmt.Fprintf(stderr, "verify: connect to NATS at %s: %v\n", url, err)
		return 2
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 2
	}
	start := time.Now()
	rep, err := chain.VerifyStream(ctx, js, *stream, *until)
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 2
	}
	took := time.Since(start)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		fmt.Fprintf(stdout, "verified %d events of %d aggregates in %s, up to sequence %d\n", rep.Events, rep.Aggregates, took.Round(time.Millisecond), rep.LastSeq)
		fmt.Fprintf(stdout, "log digest at sequence %d: %s\n", rep.LastSeq, rep.Digest)
		if rep.OK {
			fmt.Fprintln(stdout, "every chain holds")
		} else {
			b := rep.FirstBreak
			fmt.Fprintf(stdout, "BROKEN at sequence %d, subject %s, event %s (%s): %s\n", b.Seq, b.Subject, b.EventID, b.Type, b.Reason)
		}
	}
	if !rep.OK {
		return 1
	}
	return 0
}
