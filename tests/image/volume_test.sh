#!/usr/bin/env bash
# The encrypted data volume (issue 27): `vigil-volume create` on a loop device with a key file on
# a "USB stick" (a second loop device with an ext4 file system of a known UUID), then a second
# create with a passphrase file: the LUKS2 header is what docs/operations.md says (LUKS2,
# aes-xts-plain64, 512-bit key, argon2id, two key slots), the key file, the passphrase and the
# recovery passphrase each unlock it and a wrong key does not, the crypttab / fstab lines and the
# drop-ins are exactly the ones written here by hand; --dry-run changes nothing; a device holding
# a LUKS header, a non-empty mount point and tpm2 on a box without a TPM are refused and change
# nothing.
#   volume_test.sh SOURCE_DIR
# Where the kernel has no device-mapper (this CI machine) `create` stops at the open step with exit
# status 3 and its message, after the header, the key slots and the configuration are written;
# with device-mapper it goes on to make and mount the file system, which is checked then.
# Needs root (losetup, mount: it runs in a mount namespace of its own), cryptsetup, losetup and
# mkfs.ext4; skips (77) without them unless VIGIL_APPLIANCE_REQUIRED=1.
set -euo pipefail
src=$(cd "$1" && pwd)
vv=$src/image/volume/vigil-volume
started=$(date +%s)
log() { printf '[%3ds] %s\n' $(($(date +%s) - started)) "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; [[ ${VIGIL_APPLIANCE_REQUIRED:-0} == 1 ]] && exit 1; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root (losetup, mount)"
for t in cryptsetup losetup mkfs.ext4 blkid findmnt; do
  command -v "$t" >/dev/null || skip "$t missing (scripts/install-deps.sh)"
done
if [[ -z "${VIGIL_IN_NS:-}" ]]; then
  exec env VIGIL_IN_NS=1 unshare --mount --propagation private -- "$0" "$@"
fi
# Low argon2id costs: the test is about the header's shape, not the key stretching.
export VIGIL_VOLUME_ITER_TIME=100 VIGIL_VOLUME_PBKDF_MEMORY=32768

tmp=$(mktemp -d /var/tmp/vigil-volume-test.XXXXXX)
disk='' usb=''
cleanup() {
  umount "$tmp/usb" 2>/dev/null || true
  [[ ! -e /dev/mapper/vigil-data ]] || { umount "$tmp/root/var/lib/vigil" 2>/dev/null || true; cryptsetup close vigil-data || true; }
  [[ -z $usb ]] || losetup -d "$usb" 2>/dev/null || true
  [[ -z $disk ]] || losetup -d "$disk" 2>/dev/null || true
  if grep -qF " $tmp/" /proc/self/mounts; then echo "volume_test: $tmp still has mounts; not deleted" >&2
  else rm -rf --one-file-system "$tmp"; fi
}
trap cleanup EXIT
truncate -s 64M "$tmp/disk.img"
disk=$(losetup --find --show "$tmp/disk.img") || skip "no free loop device"
# The removable medium: ext4 with a UUID chosen here (crypttab names it by that UUID).
usb_uuid=0b6c1f0e-2d43-4c5a-9b1e-5a7d0c3e9f21
truncate -s 16M "$tmp/usb.img"
mkfs.ext4 -q -U "$usb_uuid" "$tmp/usb.img"
usb=$(losetup --find --show "$tmp/usb.img")
mkdir -p "$tmp/usb" "$tmp/root/etc"
mount "$usb" "$tmp/usb"
# What the box's root already has: create keeps it.
printf '# <file system> <mount point> <type> <options> <dump> <pass>\nUUID=1111-2222 / ext4 errors=remount-ro 0 1\n' > "$tmp/root/etc/fstab"
printf '# <target name> <source device> <key file> <options>\n' > "$tmp/root/etc/crypttab"
cp "$tmp/root/etc/fstab" "$tmp/fstab.orig"
key=$tmp/usb/vigil-data.key
is_luks() { cryptsetup isLuks "$disk" 2>/dev/null; }
unlocks() { cryptsetup open --test-passphrase "$@" "$disk" 2>/dev/null; }

# --- --dry-run: every step printed, nothing written.
log "dry run"
"$vv" create --device "$disk" --unlock "keyfile:$key" --root "$tmp/root" --recovery-file "$tmp/recovery" \
  --dry-run > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "--dry-run failed"; }
for want in "formatting $disk as LUKS2 (aes-xts-plain64, 512-bit key, argon2id)" "making the key file $key" \
            "adding the key file $key in key slot 1" "writing $tmp/root/etc/crypttab" "opening $disk"; do
  grep -qF "$want" "$tmp/out" || { cat "$tmp/out"; fail "--dry-run did not print '$want'"; }
done
! is_luks || fail "--dry-run formatted the device"
[[ ! -e $key && ! -e $tmp/recovery && ! -e $tmp/root/etc/systemd ]] || fail "--dry-run wrote files"
cmp -s "$tmp/root/etc/fstab" "$tmp/fstab.orig" || fail "--dry-run changed fstab"

# --- tpm2 where there is no TPM: refused before anything is written.
if [[ ! -e /dev/tpmrm0 ]]; then
  log "tpm2 without a TPM"
  rc=0; "$vv" create --device "$disk" --unlock tpm2 --root "$tmp/root" > "$tmp/out" 2>&1 || rc=$?
  [[ $rc == 2 ]] || { cat "$tmp/out"; fail "tpm2 without a TPM: exit $rc, expected 2"; }
  grep -qF "this box has no TPM2" "$tmp/out" || { cat "$tmp/out"; fail "tpm2 refusal does not say why"; }
  ! is_luks || fail "tpm2 refusal formatted the device"
fi

# --- create with a key file on the removable medium.
log "create --unlock keyfile:$key"
rc=0
"$vv" create --device "$disk" --unlock "keyfile:$key" --root "$tmp/root" --recovery-file "$tmp/recovery" \
  > "$tmp/out" 2>&1 || rc=$?
if grep -qw device-mapper /proc/misc; then dm=1; else dm=0; fi
if [[ $dm == 0 ]]; then
  [[ $rc == 3 ]] || { cat "$tmp/out"; fail "create without device-mapper: exit $rc, expected 3"; }
  grep -qF "cannot open $disk: this kernel has no device-mapper" "$tmp/out" || { cat "$tmp/out"; fail "no clear device-mapper message"; }
  ! grep -qF "making an ext4 file system" "$tmp/out" || fail "went past the open step"
else
  [[ $rc == 0 ]] || { cat "$tmp/out"; fail "create: exit $rc"; }
fi
log "create: exit $rc (device-mapper: $dm)"
is_luks || fail "not a LUKS device after create"
cryptsetup luksDump "$disk" > "$tmp/dump"
# The header, as cryptsetup 2.6 prints it.
grep -qP '^Version:\s+2$' "$tmp/dump" || fail "not LUKS2: $(grep Version "$tmp/dump")"
grep -qP '^Label:\s+vigil-data$' "$tmp/dump" || fail "label is not vigil-data"
awk '/^Data segments:/,/^Keyslots:/' "$tmp/dump" | grep -qP '^\s+cipher: aes-xts-plain64$' || fail "data cipher is not aes-xts-plain64"
awk '/^Keyslots:/,/^Tokens:/' "$tmp/dump" > "$tmp/slots"
[[ $(grep -cP '^  [0-9]+: luks2$' "$tmp/slots") == 2 ]] || { cat "$tmp/slots"; fail "not exactly two key slots"; }
grep -qP '^  0: luks2$' "$tmp/slots" || fail "no key slot 0"
grep -qP '^  1: luks2$' "$tmp/slots" || fail "no key slot 1"
[[ $(grep -cP '^\s+Key:\s+512 bits$' "$tmp/slots") == 2 ]] || fail "key size is not 512 bits in both slots"
[[ $(grep -cP '^\s+PBKDF:\s+argon2id$' "$tmp/slots") == 2 ]] || fail "PBKDF is not argon2id in both slots"
# The key file (made by create: 64 bytes, 0400), the recovery passphrase (as typed: the file's
# first line), and a wrong key.
[[ $(stat -c '%s %a' "$key") == "64 400" ]] || fail "key file: $(stat -c '%s bytes, mode %a' "$key")"
[[ $(stat -c '%a' "$tmp/recovery") == 400 ]] || fail "recovery file mode $(stat -c %a "$tmp/recovery")"
grep -qxE '([0-9a-f]{8}-){7}[0-9a-f]{8}' "$tmp/recovery" || fail "recovery passphrase is not 8 groups of 8 hex digits"
unlocks --key-file "$key" || fail "the key file does not unlock the volume"
unlocks --key-slot 1 --key-file "$key" || fail "the key file is not in key slot 1"
unlocks --key-slot 0 < "$tmp/recovery" || fail "the recovery passphrase does not unlock key slot 0"
head -c 64 /dev/urandom > "$tmp/wrong.key"
! unlocks --key-file "$tmp/wrong.key" || fail "a wrong key file unlocks the volume"
! unlocks <<< "not-the-recovery-passphrase" || fail "a wrong passphrase unlocks the volume"
uuid=$(cryptsetup luksUUID "$disk")
# The configuration, as written by hand.
cat > "$tmp/crypttab.want" <<EOF
# <target name> <source device> <key file> <options>
vigil-data UUID=$uuid /vigil-data.key:UUID=$usb_uuid luks,nofail,keyfile-timeout=30s
EOF
cat > "$tmp/fstab.want" <<'EOF'
# <file system> <mount point> <type> <options> <dump> <pass>
UUID=1111-2222 / ext4 errors=remount-ro 0 1
/dev/mapper/vigil-data /var/lib/vigil ext4 defaults,nodev,nosuid,noexec,nofail,x-systemd.device-timeout=0 0 2
EOF
cat > "$tmp/dropin.want" <<'EOF'
# Written by vigil-volume: nothing of Vigil runs before the encrypted data volume is
# mounted (docs/operations.md, "The encrypted data volume").
[Unit]
RequiresMountsFor=/var/lib/vigil
EOF
diff -u "$tmp/crypttab.want" "$tmp/root/etc/crypttab" || fail "crypttab"
diff -u "$tmp/fstab.want" "$tmp/root/etc/fstab" || fail "fstab"
for u in vigild.service vigil-mosquitto.service; do
  diff -u "$tmp/dropin.want" "$tmp/root/etc/systemd/system/$u.d/vigil-volume.conf" || fail "$u drop-in"
done
ls "$tmp/root/etc/systemd/system" > "$tmp/units"
[[ $(cat "$tmp/units") == $'vigil-mosquitto.service.d\nvigild.service.d' ]] || fail "unexpected units: $(cat "$tmp/units")"
if [[ $dm == 1 ]]; then
  findmnt -rn -S /dev/mapper/vigil-data -o TARGET | grep -qx "$tmp/root/var/lib/vigil" || fail "not mounted"
  [[ $(stat -c %a "$tmp/root/var/lib/vigil") == 711 ]] || fail "mount point mode is not 0711"
  umount "$tmp/root/var/lib/vigil"; cryptsetup close vigil-data
fi

# status: the header in short.
"$vv" status --root "$tmp/root" > "$tmp/status" 2>&1 || { cat "$tmp/status"; fail "status"; }
for want in "device: $disk" "luks version: 2" "uuid: $uuid" "cipher: aes-xts-plain64" \
            "key slot 0: 512 bits, argon2id" "key slot 1: 512 bits, argon2id" "key slots: 2" "open: no" "mounted: no"; do
  grep -qxF "$want" "$tmp/status" || { cat "$tmp/status"; fail "status lacks '$want'"; }
done

# --- a second create on the same device: refused, the header untouched.
log "second create (refused), non-empty mount point (refused)"
rc=0; "$vv" create --device "$disk" --unlock "keyfile:$key" --root "$tmp/root" > "$tmp/out" 2>&1 || rc=$?
[[ $rc == 2 ]] || { cat "$tmp/out"; fail "second create: exit $rc, expected 2"; }
grep -qF "$disk holds a LUKS header: refusing to format it" "$tmp/out" || { cat "$tmp/out"; fail "second create: no reason given"; }
[[ $(cryptsetup luksUUID "$disk") == "$uuid" ]] || fail "the refused create changed the header"
mkdir -p "$tmp/root2/var/lib/vigil"; touch "$tmp/root2/var/lib/vigil/vigil.db"
rc=0; "$vv" create --device "$disk" --unlock "keyfile:$key" --root "$tmp/root2" --force > "$tmp/out" 2>&1 || rc=$?
[[ $rc == 2 ]] || { cat "$tmp/out"; fail "a non-empty mount point: exit $rc, expected 2"; }
grep -qF "$tmp/root2/var/lib/vigil is not empty" "$tmp/out" || { cat "$tmp/out"; fail "a non-empty mount point: no reason given"; }
[[ $(cryptsetup luksUUID "$disk") == "$uuid" ]] || fail "the refused create changed the header"
[[ ! -e $tmp/root2/etc ]] || fail "the refused create wrote configuration"

# --- --force with a passphrase from a file: a new header, the crypttab line replaced, the recovery
#     passphrase printed once.
log "create --force --unlock passphrase:FILE"
printf 'correct horse battery staple\nsecond line ignored\n' > "$tmp/pass"
rc=0; "$vv" create --device "$disk" --unlock "passphrase:$tmp/pass" --root "$tmp/root" --force > "$tmp/out" 2>&1 || rc=$?
[[ $rc == $((dm == 1 ? 0 : 3)) ]] || { cat "$tmp/out"; fail "create --force: exit $rc"; }
uuid2=$(cryptsetup luksUUID "$disk")
[[ $uuid2 != "$uuid" ]] || fail "--force did not format again"
unlocks --key-slot 1 <<< "correct horse battery staple" || fail "the passphrase does not unlock key slot 1"
! unlocks --key-file "$key" || fail "the old key file still unlocks the reformatted volume"
recovery=$(grep -A1 'It is not shown again' "$tmp/out" | tail -n 1 | tr -d ' ')
[[ $recovery =~ ^([0-9a-f]{8}-){7}[0-9a-f]{8}$ ]] || { cat "$tmp/out"; fail "no recovery passphrase printed"; }
unlocks --key-slot 0 <<< "$recovery" || fail "the printed recovery passphrase does not unlock key slot 0"
[[ $(grep -c "$recovery" "$tmp/out") == 1 ]] || fail "the recovery passphrase is printed more than once"
! grep -qF "correct horse" "$tmp/out" || fail "the passphrase was printed"
cat > "$tmp/crypttab.want" <<EOF
# <target name> <source device> <key file> <options>
vigil-data UUID=$uuid2 none luks,nofail
EOF
diff -u "$tmp/crypttab.want" "$tmp/root/etc/crypttab" || fail "crypttab after --force"
diff -u "$tmp/fstab.want" "$tmp/root/etc/fstab" || fail "fstab after --force (one line for /var/lib/vigil)"
log "ok"
