#!/usr/bin/env bash
# The disk image built (issue 27): scripts/image.sh with the package of this build tree (cpack, as
# package-install packs it), then the disk read without booting or mounting it: a GPT table with
# an EFI System Partition and an x86-64 root partition; the ESP holds systemd-boot as
# \EFI\BOOT\BOOTX64.EFI, the kernel, the initramfs and a boot entry naming the root partition;
# the root (read with debugfs) holds /usr/sbin/vigild installed by dpkg, vigild enabled with its
# first-boot condition on /var/lib/vigil/.setup-done, the notice unit, an uninitialized machine id.
#   image_build_test.sh SOURCE_DIR BUILD_DIR
# Needs root, mkosi and the Debian mirror; downloads are kept in $VIGIL_CI_CACHE/mkosi (default
# /var/cache/vigil-ci). Skips (77) without root or mkosi unless VIGIL_APPLIANCE_REQUIRED=1.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
started=$(date +%s)
log() { printf '[%3ds] %s\n' $(($(date +%s) - started)) "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; [[ ${VIGIL_APPLIANCE_REQUIRED:-0} == 1 ]] && exit 1; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root (mkosi)"
for t in mkosi mcopy debugfs sfdisk; do command -v "$t" >/dev/null || skip "$t missing (scripts/install-deps.sh)"; done

tmp=$(mktemp -d /var/tmp/vigil-image-test.XXXXXX)
cleanup() {
  if grep -qF " $tmp/" /proc/self/mounts; then echo "image_build_test: $tmp still has mounts; not deleted" >&2
  else rm -rf --one-file-system "$tmp"; fi
}
trap cleanup EXIT

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[[ -n $version ]] || fail "no CPACK_PACKAGE_VERSION in $build/CPackConfig.cmake"
log "packing vigil $version"
(cd "$build" && cpack -G DEB -B "$tmp/pkg" >/dev/null)
deb=$tmp/pkg/vigil_${version}_amd64.deb
[[ -f $deb ]] || fail "cpack wrote no $deb"

log "scripts/image.sh (mkosi, then the disk)"
VIGIL_IMAGE_OUT=$tmp/out "$src/scripts/image.sh" "$deb" > "$tmp/image.log" 2>&1 ||
  { tail -n 40 "$tmp/image.log"; fail "scripts/image.sh failed (log: above)"; }
img=$tmp/out/vigil.raw
[[ -s $img ]] || fail "no $img"
log "built: $(du -h --apparent-size "$img" | cut -f1) ($(du -h "$img" | cut -f1) on disk)"

# --- the partition table: ESP then root, by their GPT type GUIDs.
sfdisk --json "$img" > "$tmp/table.json"
python3 - "$tmp/table.json" > "$tmp/parts" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["partitiontable"]
assert t["label"] == "gpt", t["label"]
for p in t["partitions"]:
    print(p["type"].upper(), p["start"], p["size"], p["uuid"].lower())
EOF
[[ $(wc -l < "$tmp/parts") == 2 ]] || { cat "$tmp/parts"; fail "not two partitions"; }
read -r esp_type esp_start _ _ < <(sed -n 1p "$tmp/parts")
read -r root_type root_start root_size root_uuid < <(sed -n 2p "$tmp/parts")
[[ $esp_type == C12A7328-F81F-11D2-BA4B-00A0C93EC93B ]] || fail "partition 1 is not an EFI System Partition: $esp_type"
[[ $root_type == 4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 ]] || fail "partition 2 is not an x86-64 root: $root_type"

# --- the ESP (FAT, read with mtools at its offset).
esp="$img@@$((esp_start * 512))"
mdir -b -i "$esp" ::/EFI/BOOT > "$tmp/efiboot" || fail "the ESP is not a FAT file system"
grep -q 'BOOTX64.EFI$' "$tmp/efiboot" || { cat "$tmp/efiboot"; fail "no \\EFI\\BOOT\\BOOTX64.EFI"; }
# (Read whole before grep: with pipefail an early grep -q exit would fail the reader.)
mtype -i "$esp" ::/EFI/BOOT/BOOTX64.EFI > "$tmp/bootx64.efi"
grep -aq 'LoaderInfo: systemd-boot 252' "$tmp/bootx64.efi" || fail "BOOTX64.EFI is not Debian 12's systemd-boot"
mtype -i "$esp" ::/loader/entries/vigil.conf > "$tmp/entry"
grep -qx 'linux /vigil/vmlinuz' "$tmp/entry" || { cat "$tmp/entry"; fail "boot entry: no linux line"; }
grep -qx 'initrd /vigil/initrd.img' "$tmp/entry" || { cat "$tmp/entry"; fail "boot entry: no initrd line"; }
grep -q "^options root=PARTUUID=$root_uuid rw " "$tmp/entry" || { cat "$tmp/entry"; fail "the boot entry does not name the root partition ($root_uuid)"; }
mdir -b -i "$esp" ::/vigil > "$tmp/espvigil"
grep -q 'vmlinuz$' "$tmp/espvigil" || fail "no kernel on the ESP"
grep -q 'initrd.img$' "$tmp/espvigil" || fail "no initramfs on the ESP"

# --- the root (ext4, read with debugfs straight from the image file at the partition's offset:
# e2fsprogs' unix I/O takes `FILE?offset=BYTES`; no loop device, nothing mounted). A loop device
# here once read as empty in CI (a stale device or its cache), so the file is read directly.
root="$img?offset=$((root_start * 512))"
debugfs -R 'stats' "$root" > "$tmp/root-stats" 2> "$tmp/debugfs.err" ||
  { cat "$tmp/debugfs.err"; fail "debugfs cannot open the root partition"; }
grep -q '^Filesystem magic number:  *0xEF53' "$tmp/root-stats" || { head -n 5 "$tmp/root-stats"; fail "the root partition is not ext4"; }
[[ $(sed -n 's/^Block count: *//p' "$tmp/root-stats") -gt 0 ]] || fail "the root file system has no blocks"
# dfs REQUEST: debugfs's whole answer (captured before anything greps it: see above); its errors
# go to $tmp/debugfs.err and are shown when a check fails.
dfs() { local a; a=$(debugfs -R "$1" "$root" 2>> "$tmp/debugfs.err"); printf '%s\n' "$a"; }
fail() { [[ -s $tmp/debugfs.err ]] && { echo "debugfs said:"; tail -n 20 "$tmp/debugfs.err"; } >&2; echo "FAIL: $*" >&2; exit 1; }
dfs 'stat /usr/sbin/vigild' | grep -q 'Type: regular' || fail "no /usr/sbin/vigild in the root"
dfs 'cat /var/lib/dpkg/status' > "$tmp/dpkg-status"
awk '/^Package: vigil$/ { p = 1 } p && /^Status:/ { print; exit }' "$tmp/dpkg-status" > "$tmp/status"
[[ $(cat "$tmp/status") == "Status: install ok installed" ]] || fail "dpkg: vigil is not installed ($(cat "$tmp/status"))"
dfs 'cat /etc/systemd/system/vigild.service.d/first-boot.conf' | grep -qx 'ConditionPathExists=/var/lib/vigil/.setup-done' ||
  fail "vigild's first-boot condition is not in the root"
dfs 'stat /etc/systemd/system/multi-user.target.wants/vigild.service' | grep -q 'Type: symlink' || fail "vigild is not enabled"
dfs 'stat /etc/systemd/system/multi-user.target.wants/vigil-firstboot.service' | grep -q 'Type: symlink' || fail "the notice is not enabled"
dfs 'stat /usr/lib/systemd/system/vigil-firstboot.service' | grep -q 'Type: regular' || fail "no notice unit"
[[ $(dfs 'cat /etc/machine-id') == uninitialized ]] || fail "the machine id is not left for the first boot"
dfs 'stat /usr/sbin/vigil-volume' | grep -q 'Type: regular' || fail "no /usr/sbin/vigil-volume"
dfs 'cat /etc/fstab' | grep -qx "PARTUUID=$root_uuid / ext4 errors=remount-ro 0 1" || fail "fstab does not mount the root partition"
! dfs 'stat /usr/local/share/vigil-image' | grep -q 'Type: directory' || fail "the package file was left in the image"
log "ok: $(sed -n 's/^image.sh: done in \(.*\)$/\1/p' "$tmp/image.log")"
