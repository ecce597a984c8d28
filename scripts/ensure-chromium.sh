#!/usr/bin/env bash
# ensure-chromium.sh installs Chromium (headless-capable, from Debian's packages) when
# /usr/bin/chromium is missing: the browser tests of the console drive it through chromedp.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [[ -x "$CHROMIUM" ]]; then
	echo "ensure-chromium: $CHROMIUM present ($("$CHROMIUM" --version 2>/dev/null | head -n 1))"
	exit 0
fi
as_root() {
	if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}
echo "ensure-chromium: installing chromium"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[[ -x "$CHROMIUM" ]]
echo "ensure-chromium: installed $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null | head -n 1))"
