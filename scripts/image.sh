#!/usr/bin/env bash
# Builds the appliance disk image (docs/operations.md, "The disk image"): build/image/vigil.raw,
# a GPT disk (an EFI System Partition with systemd-boot, the kernel and its initramfs; an ext4
# root) with Debian 12, the vigil package installed and first boot pending.
#   scripts/image.sh [DEB]       DEB: the vigil package to put in (default: scripts/package.sh makes it)
#   scripts/image.sh --check     only print mkosi's summary of the recipe, build nothing
#   scripts/image.sh --disk TREE OUT
#                                only make the disk OUT from an OS tree (the second half)
# 1. mkosi 14 (Debian 12's) builds the OS tree from image/mkosi (Format=directory); its packages
#    and the tree after the package installation (incremental) are kept in $VIGIL_CI_CACHE/mkosi
#    (default /var/cache/vigil-ci; VIGIL_IMAGE_FRESH=1 starts the tree afresh).
# 2. The disk is assembled without mounting anything: the ESP with mkfs.vfat and mtools, the root
#    with `mkfs.ext4 -d`, the partition table with sfdisk, the two copied in with dd. (mkosi 14's
#    own gpt_ext4 format mounts the partitions; a kernel without vfat cannot mount the ESP.)
# Needs root (mkosi: chroot, systemd-nspawn, mounts) and the Debian mirror.
# Environment: VIGIL_IMAGE_OUT (instead of build/image), VIGIL_IMAGE_ROOT_MB (root partition,
# default 3072), VIGIL_IMAGE_ESP_MB (256).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
out=${VIGIL_IMAGE_OUT:-$src/build/image}
work=$out/work
cache=${VIGIL_CI_CACHE:-/var/cache/vigil-ci}/mkosi
esp_mb=${VIGIL_IMAGE_ESP_MB:-256}
root_mb=${VIGIL_IMAGE_ROOT_MB:-3072}
die() { echo "image.sh: $*" >&2; exit 1; }
say() { echo "image.sh: $*"; }
# The GPT partition types (Discoverable Partitions Specification).
esp_type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
root_type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 # root, x86-64

# disk TREE OUT: the bootable GPT disk OUT from the OS tree TREE.
disk() {
  local tree=$1 img=$2 tmpd kver kernel initrd efi root_uuid esp_uuid sectors
  for t in mkfs.vfat mcopy mmd mkfs.ext4 sfdisk; do command -v "$t" >/dev/null || die "$t missing (scripts/install-deps.sh)"; done
  kernel=$(find "$tree/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
  [[ -n $kernel ]] || die "no kernel in $tree/boot (linux-image-amd64)"
  kver=${kernel##*/vmlinuz-}
  initrd=$tree/boot/initrd.img-$kver
  [[ -s $initrd ]] || die "no initramfs $initrd (initramfs-tools)"
  efi=$tree/usr/lib/systemd/boot/efi/systemd-bootx64.efi
  [[ -s $efi ]] || die "no $efi (systemd-boot)"
  tmpd=$(mktemp -d "$(dirname "$img")/.disk.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$tmpd'" RETURN
  root_uuid=$(cat /proc/sys/kernel/random/uuid) esp_uuid=$(cat /proc/sys/kernel/random/uuid)
  say "kernel $kver; ESP ${esp_mb} MiB, root ${root_mb} MiB (PARTUUID $root_uuid)"
  # The root mounts itself from the kernel command line; the ESP at /efi.
  printf '%s\n' "# <file system> <mount point> <type> <options> <dump> <pass>" \
    "PARTUUID=$root_uuid / ext4 errors=remount-ro 0 1" \
    "PARTUUID=$esp_uuid /efi vfat umask=0077,nofail 0 2" > "$tree/etc/fstab"
  mkdir -p "$tree/efi"
  # The ESP: systemd-boot as the removable-media loader, one boot entry.
  mkfs.vfat -F 32 -n ESP -C "$tmpd/esp.img" $((esp_mb * 1024)) >/dev/null
  mmd -i "$tmpd/esp.img" ::/EFI ::/EFI/BOOT ::/EFI/systemd ::/loader ::/loader/entries ::/vigil
  mcopy -i "$tmpd/esp.img" "$efi" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$tmpd/esp.img" "$efi" ::/EFI/systemd/systemd-bootx64.efi
  mcopy -i "$tmpd/esp.img" "$kernel" ::/vigil/vmlinuz
  mcopy -i "$tmpd/esp.img" "$initrd" ::/vigil/initrd.img
  printf 'default vigil.conf\ntimeout 3\n' > "$tmpd/loader.conf"
  printf '%s\n' "title Vigil (Debian 12, $kver)" "linux /vigil/vmlinuz" "initrd /vigil/initrd.img" \
    "options root=PARTUUID=$root_uuid rw console=tty0 console=ttyS0,115200" > "$tmpd/vigil.conf"
  mcopy -i "$tmpd/esp.img" "$tmpd/loader.conf" ::/loader/loader.conf
  mcopy -i "$tmpd/esp.img" "$tmpd/vigil.conf" ::/loader/entries/vigil.conf
  # The root: the tree copied in by mke2fs (owners, modes, links kept).
  mkfs.ext4 -q -L vigil-root -d "$tree" "$tmpd/root.img" "${root_mb}M" || die "mkfs.ext4 -d: the tree does not fit in ${root_mb} MiB?"
  # The disk: 1 MiB for the table, the ESP, the root, 1 MiB for the backup table.
  rm -f "$img"
  truncate -s $(((2 + esp_mb + root_mb) * 1024 * 1024)) "$img"
  sectors=$((1024 * 1024 / 512))
  printf '%s\n' "label: gpt" \
    "start=$sectors, size=$((esp_mb * sectors)), type=$esp_type, uuid=$esp_uuid, name=esp" \
    "start=$(((1 + esp_mb) * sectors)), size=$((root_mb * sectors)), type=$root_type, uuid=$root_uuid, name=root-x86-64" |
    sfdisk -q "$img"
  dd if="$tmpd/esp.img" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none
  dd if="$tmpd/root.img" of="$img" bs=1M seek=$((1 + esp_mb)) conv=notrunc,sparse status=none
  say "wrote $img"
}

stage() {
  rm -rf "$work"; mkdir -p "$work"
  cp -a "$src/image/mkosi/." "$work/"
  mkdir -p "$work/mkosi.extra/usr/local/share/vigil-image"
}
case ${1:-} in
  --check)
    command -v mkosi >/dev/null || die "mkosi missing (scripts/install-deps.sh)"
    stage
    # A stand-in package: the summary does not read it.
    touch "$work/mkosi.extra/usr/local/share/vigil-image/vigil_0_amd64.deb"
    (cd "$work" && mkosi summary)
    exit 0;;
  --disk)
    [[ $# -eq 3 ]] || die "usage: scripts/image.sh --disk TREE OUT"
    [[ $(id -u) -eq 0 ]] || die "needs root (the tree's files belong to root and others)"
    disk "$2" "$3"
    exit 0;;
esac
command -v mkosi >/dev/null || die "mkosi missing (scripts/install-deps.sh)"
[[ $(id -u) -eq 0 ]] || die "needs root (mkosi: chroot, systemd-nspawn, mounts)"
deb=${1:-}
if [[ -z $deb ]]; then
  deb=$(./scripts/package.sh | tail -n 1)
fi
[[ -f $deb ]] || die "no package at $deb"
started=$(date +%s)
stage
cp "$deb" "$work/mkosi.extra/usr/local/share/vigil-image/"
mkdir -p "$cache"
# Incremental: mkosi keeps the tree as it is after the package installation (before the extra
# files and mkosi.postinst) as $tree_dir/vigil.cache-pre-inst and starts from it next time. The
# directory is named by the recipe's hash (a changed package list starts afresh, old ones are
# removed); mkosi.postinst upgrades the tree from the mirror, so a reused one gets its updates.
hash=$(sha256sum < "$src/image/mkosi/mkosi.conf" | cut -c1-16)
tree_dir=$cache/tree-$hash
find "$cache" -maxdepth 1 -name 'tree-*' ! -name "tree-$hash" -exec rm -rf {} + 2>/dev/null || true
mkdir -p "$tree_dir"
[[ ${VIGIL_IMAGE_FRESH:-0} != 1 ]] || rm -rf "$tree_dir"/*/vigil.cache-pre-*
# mkosi 14 reuses its cache only when the pre-dev cache exists too, which it makes only for a
# build script (there is none): an empty stand-in once the pre-inst tree is there.
for d in "$tree_dir"/*/vigil.cache-pre-inst; do
  [[ ! -d $d ]] || mkdir -p "${d%-inst}-dev"
done
say "mkosi: the OS tree under $tree_dir (packages cached in $cache)"
# systemd-nspawn (mkosi runs mkosi.postinst in it) keeps state under /run/systemd/nspawn and
# refuses to remove it unless it is on tmpfs, and without --keep-unit it asks a system bus for a
# scope: a private tmpfs there, in a mount namespace of our own, and --nspawn-keep-unit.
# shellcheck disable=SC2016
unshare --mount --propagation private -- sh -c '
  mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn &&
  cd "$1" && mkosi --cache "$2" --output-dir "$3" --image-id vigil --incremental --nspawn-keep-unit --force build' \
  sh "$work" "$cache" "$tree_dir"
# mkosi puts its outputs in a subdirectory per distribution and release (debian~bookworm).
tree=$(find "$tree_dir" -mindepth 1 -maxdepth 2 -name vigil.tree -type d | head -n 1)
[[ -n $tree ]] || die "mkosi wrote no vigil.tree under $tree_dir"
[[ -x $tree/usr/sbin/vigild ]] || die "the tree has no /usr/sbin/vigild"
mkdir -p "$out"
disk "$tree" "$out/vigil.raw"
rm -rf "$tree"
say "done in $(($(date +%s) - started)) s: $out/vigil.raw"
