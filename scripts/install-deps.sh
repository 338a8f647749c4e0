#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/deps/*.txt that are not installed yet.
# Safe to run again: it asks apt only when something is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t wanted < <(cat "$here"/deps/*.txt | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
missing=()
for p in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#wanted[@]} packages present"
fi
# Browser-side packages (charts for the portal, playwright-core for browser tests) come from npm.
if [[ -f "$here/../package.json" ]]; then
  # `npm ls` fails when a package is missing or does not match the lock file (an empty or
  # half-deleted node_modules included), not only when package.json changed.
  (cd "$here/.." && if ! npm ls --depth=0 >/dev/null 2>&1 || [[ package.json -nt node_modules ]]; then
     npm ci --no-audit --no-fund 2>/dev/null || npm install --no-audit --no-fund; fi)
fi
