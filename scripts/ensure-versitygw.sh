#!/usr/bin/env bash
# ensure-versitygw.sh builds the versitygw S3 server that the export storage
# tests (internal/export/storage) run against, into bin/tools/versitygw.
#
# The version is pinned by tools/versitygw/go.mod, a separate module so that
# versitygw's large dependency tree stays out of the project's go.mod. The
# binary is only rebuilt when it is missing or was built from another
# versitygw version than the one go.mod pins. A build from cold Go caches takes
# about two minutes; afterwards this script returns in well under a second.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_MOD="$REPO_ROOT/tools/versitygw"
BIN_DIR="$REPO_ROOT/bin/tools"
BIN="$BIN_DIR/versitygw"
PKG="github.com/versity/versitygw/cmd/versitygw"
MOD="github.com/versity/versitygw"

die() {
	echo "ensure-versitygw: $*" >&2
	exit 1
}

command -v go >/dev/null 2>&1 || die "'go' was not found in PATH"
[[ -f "$TOOLS_MOD/go.mod" ]] || die "$TOOLS_MOD/go.mod is missing"

cd "$TOOLS_MOD"
# The pinned version, as go.mod (and go.sum) say; -mod=readonly refuses to
# change them silently.
want="$(go list -mod=readonly -m -f '{{.Version}}' "$MOD")" ||
	die "cannot read the pinned $MOD version from $TOOLS_MOD/go.mod"

# The versitygw version a binary was built from, from its embedded build info:
# the line "mod github.com/versity/versitygw <version> <sum>" (go install of a
# dependency's command records that module as the main one), or a "dep" line.
built_version() {
	go version -m "$1" 2>/dev/null | awk -v m="$MOD" '($1 == "mod" || $1 == "dep") && $2 == m { print $3; exit }'
}

if [[ -x "$BIN" ]]; then
	have="$(built_version "$BIN" || true)"
	if [[ "$have" == "$want" ]]; then
		echo "ensure-versitygw: $BIN is versitygw $want (up to date)"
		exit 0
	fi
	echo "ensure-versitygw: $BIN is versitygw '${have:-unknown}', want $want; rebuilding"
fi

echo "ensure-versitygw: building versitygw $want into $BIN_DIR (about 2 minutes from cold Go caches)"
mkdir -p "$BIN_DIR"
start=$SECONDS
GOBIN="$BIN_DIR" go install -mod=readonly -buildvcs=false "$PKG"
have="$(built_version "$BIN" || true)"
[[ "$have" == "$want" ]] || die "built $BIN but it reports versitygw '${have:-unknown}', want $want"
echo "ensure-versitygw: built versitygw $want in $((SECONDS - start))s"
