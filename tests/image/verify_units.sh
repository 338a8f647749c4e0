#!/usr/bin/env bash
# The appliance's systemd units pass `systemd-analyze verify` (syntax, directives, the commands
# they run exist). vigild's ExecStart points at the built binary instead of /usr/sbin/vigild,
# vigil-firewall's at image/nftables/vigil-firewall.
#   verify_units.sh SOURCE_DIR VIGILD
set -euo pipefail
src=$1/image/systemd
vigild=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in "$src"/*.service "$src"/*.path; do
  sed -e "s|/usr/sbin/vigild |$vigild |" -e "s|/usr/sbin/vigil-firewall|$1/image/nftables/vigil-firewall|" "$unit" > "$tmp/$(basename "$unit")"
done
cd "$tmp"
# An unknown directive is only a warning to systemd (exit 0): any message fails the test.
out=$(systemd-analyze verify --man=no ./*.service ./*.path 2>&1) || { echo "$out"; exit 1; }
if [[ -n $out ]]; then echo "$out"; exit 1; fi
# Each service's sandbox stays where it is (`systemd-analyze security`, exposure 0-10 shown, the
# threshold in tenths): vigild 1.5, the broker 2.5 (it starts as root to drop to mosquitto), the
# firewall 4.0 (root with CAP_NET_ADMIN: loading a ruleset is what it is for).
for pair in vigild.service:15 vigil-mosquitto.service:25 vigil-broker-reload.service:100 \
            vigil-firewall.service:40; do
  unit=${pair%%:*} limit=${pair##*:}
  if ! systemd-analyze security --offline=true --threshold="$limit" "./$unit" > "$tmp.sec" 2>&1; then
    echo "$unit: exposure above $limit/10:"; grep -E "^✗|Overall" "$tmp.sec"; rm -f "$tmp.sec"; exit 1
  fi
done
rm -f "$tmp.sec"
echo "units ok: $(ls | tr '\n' ' ')"
