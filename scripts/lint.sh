#!/usr/bin/env bash
# lint.sh fails when any Go file is not gofmt-formatted, when go vet reports a
# problem, or when staticcheck does. staticcheck runs pinned through
# "go run pkg@version", which keeps it out of go.mod.
set -euo pipefail

STATICCHECK_VERSION="v0.8.2" # staticcheck 2026.2.2; builds with Go 1.26

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Tracked and untracked (but not ignored) Go files, outside vendor/.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.go' | grep -v -E '(^|/)vendor/' | sort -u)
else
	mapfile -t files < <(find . -name '*.go' -not -path '*/vendor/*' -not -path './var/*' | sort)
fi
existing=()
for f in "${files[@]}"; do
	[[ -f "$f" ]] && existing+=("$f")
done

if ((${#existing[@]} > 0)); then
	unformatted="$(gofmt -l "${existing[@]}")"
	if [[ -n "$unformatted" ]]; then
		echo "lint: these files are not gofmt-formatted (run gofmt -w):" >&2
		echo "$unformatted" >&2
		exit 1
	fi
fi
echo "lint: gofmt ok (${#existing[@]} files)"

go vet ./...
echo "lint: go vet ok"

go run "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}" ./...
echo "lint: staticcheck ${STATICCHECK_VERSION} ok"
