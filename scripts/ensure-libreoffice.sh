#!/usr/bin/env bash
# ensure-libreoffice.sh installs LibreOffice Calc (headless, from Debian's packages) when soffice is
# missing: the CSV export test opens an export the way a spreadsheet user does.
set -euo pipefail
if command -v soffice >/dev/null 2>&1; then
	echo "ensure-libreoffice: $(command -v soffice) present"
	exit 0
fi
as_root() {
	if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}
echo "ensure-libreoffice: installing libreoffice-calc-nogui"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui >/dev/null
command -v soffice >/dev/null
echo "ensure-libreoffice: installed $(command -v soffice)"
