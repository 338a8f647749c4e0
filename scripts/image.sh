#!/usr/bin/env bash
# Builds the appliance disk image (docs/operations.md, "The disk image"): build/image/vigil.raw,
# a GPT disk (EFI System Partition with systemd-boot and a unified kernel image, ext4 root) with
# Debian 12, the vigil package installed and first boot pending, from image/mkosi (mkosi 14).
#   scripts/image.sh [DEB]     DEB: the vigil package to put in (default: scripts/package.sh makes it)
#   scripts/image.sh --check   only check the recipe (mkosi summary), build nothing
# Needs root, mkosi (Debian 12's, 14), loop devices, a kernel that mounts vfat and ext4, and the
# Debian mirror. Downloaded packages are kept in $VIGIL_CI_CACHE/mkosi (default /var/cache/vigil-ci).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
out=$src/build/image
work=$out/work
cache=${VIGIL_CI_CACHE:-/var/cache/vigil-ci}/mkosi
command -v mkosi >/dev/null || { echo "image.sh: mkosi missing (scripts/install-deps.sh)" >&2; exit 1; }

stage() {
  rm -rf "$work"; mkdir -p "$work"
  cp -a "$src/image/mkosi/." "$work/"
  mkdir -p "$work/mkosi.extra/usr/local/share/vigil-image"
}
if [[ ${1:-} == --check ]]; then
  stage
  # A stand-in package: the summary does not read it.
  touch "$work/mkosi.extra/usr/local/share/vigil-image/vigil_0_amd64.deb"
  (cd "$work" && mkosi summary)
  exit 0
fi
[[ $(id -u) -eq 0 ]] || { echo "image.sh: needs root (loop devices, mounts, systemd-nspawn)" >&2; exit 1; }
deb=${1:-}
if [[ -z $deb ]]; then
  deb=$(./scripts/package.sh | tail -n 1)
fi
[[ -f $deb ]] || { echo "image.sh: no package at $deb" >&2; exit 1; }
stage
cp "$deb" "$work/mkosi.extra/usr/local/share/vigil-image/"
mkdir -p "$cache"
# systemd-nspawn (mkosi runs the image's scripts in it) keeps state under /run/systemd/nspawn and
# refuses to clean it up unless it is on tmpfs: give it one in a mount namespace of our own.
# shellcheck disable=SC2016
exec unshare --mount --propagation private -- sh -c '
  mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn &&
  cd "$1" && mkosi --cache "$2" --output-dir "$3" --force build' sh "$work" "$cache" "$out"
