#!/usr/bin/env bash
# The appliance's systemd units pass `systemd-analyze verify` (syntax, directives, the commands
# they run exist). vigild's ExecStart points at the built binary instead of /usr/sbin/vigild.
#   verify_units.sh SOURCE_DIR VIGILD
set -euo pipefail
src=$1/image/systemd
vigild=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in "$src"/*.service "$src"/*.path; do
  sed "s|/usr/sbin/vigild|$vigild|" "$unit" > "$tmp/$(basename "$unit")"
done
cd "$tmp"
# An unknown directive is only a warning to systemd (exit 0): any message fails the test.
out=$(systemd-analyze verify --man=no ./*.service ./*.path 2>&1) || { echo "$out"; exit 1; }
if [[ -n $out ]]; then echo "$out"; exit 1; fi
echo "units ok: $(ls | tr '\n' ' ')"
