//go:build tools

// Package tools pins the versitygw S3 server used by the export storage
// tests. It lives in its own module so versitygw's large dependency tree
// (AWS and Azure SDKs) stays out of the project's go.mod. Build it with
// scripts/ensure-versitygw.sh, which runs "go install" from this directory.
package tools

import (
	_ "github.com/versity/versitygw/cmd/versitygw"
)
