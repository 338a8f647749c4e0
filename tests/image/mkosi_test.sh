#!/usr/bin/env bash
# The disk image recipe (issue 27, image/mkosi), quickly and without building it (image-build
# builds it): mkosi 14 reads it as a Debian 12 OS tree with the kernel and its initramfs,
# systemd-boot, cryptsetup, the TPM2 libraries and the vigil package (mkosi.postinst), and first
# boot pending: vigild's drop-in waits for /var/lib/vigil/.setup-done and vigil-firstboot.service
# tells the installer to run `vigild setup`, then goes quiet once the marker is there.
#   mkosi_test.sh SOURCE_DIR
# Skips (77) without mkosi unless VIGIL_APPLIANCE_REQUIRED=1.
set -euo pipefail
src=$(cd "$1" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; [[ ${VIGIL_APPLIANCE_REQUIRED:-0} == 1 ]] && exit 1; exit 77; }
command -v mkosi >/dev/null || skip "mkosi missing (scripts/install-deps.sh)"
command -v systemd-analyze >/dev/null || skip "systemd-analyze missing"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[[ $(mkosi --version) == "mkosi 14" ]] || echo "note: $(mkosi --version), the recipe is for mkosi 14 (Debian 12)"

# 1. What mkosi makes of the recipe (as scripts/image.sh stages it).
cp -a "$src/image/mkosi" "$tmp/work"
mkdir -p "$tmp/work/mkosi.extra/usr/local/share/vigil-image"
touch "$tmp/work/mkosi.extra/usr/local/share/vigil-image/vigil_0_amd64.deb"
(cd "$tmp/work" && mkosi summary) > "$tmp/summary" 2>&1 || { cat "$tmp/summary"; fail "mkosi summary"; }
field() { awk -v k="$1" '{ line = $0; sub(/^ +/, "", line) } index(line, k ": ") == 1 {
                             v = substr(line, length(k) + 3); sub(/^ +/, "", v); print v; exit }' "$tmp/summary"; }
for pair in "Distribution=debian" "Release=bookworm" "Architecture=x86_64" "Output Format=directory" \
            "Hostname=vigil" "Scripts with network=yes" "Repo Signature/Key check=yes" \
            "Postinstall Script=$tmp/work/mkosi.postinst" "Extra Trees=$tmp/work/mkosi.extra"; do
  k=${pair%%=*} want=${pair#*=}
  [[ $(field "$k") == "$want" ]] || { cat "$tmp/summary"; fail "$k: '$(field "$k")', expected '$want'"; }
done
# The packages: the list mkosi prints, one per line, after "Packages:".
awk '/^ *Packages:/ { on = 1; print $2; next } on && NF == 1 && !/:/ { print $1; next } { on = 0 }' \
  "$tmp/summary" > "$tmp/packages"
for p in linux-image-amd64 initramfs-tools systemd-sysv systemd-boot cryptsetup libtss2-esys-3.0.2-0 libtss2-rc0 \
         libtss2-tcti-device0 nftables openssh-server; do
  grep -qx "$p" "$tmp/packages" || { cat "$tmp/packages"; fail "package $p is not in the image"; }
done

# 2. mkosi.postinst installs the vigil package and enables vigild and the notice.
sh -n "$src/image/mkosi/mkosi.postinst" || fail "mkosi.postinst: syntax"
# shellcheck disable=SC2016
grep -qF 'apt-get install -y -q --no-install-recommends "$deb"' "$src/image/mkosi/mkosi.postinst" || fail "postinst does not install the package"
grep -qx 'systemctl enable vigild.service vigil-firstboot.service' "$src/image/mkosi/mkosi.postinst" || fail "postinst does not enable vigild and the notice"
grep -qx 'echo uninitialized > /etc/machine-id' "$src/image/mkosi/mkosi.postinst" || fail "first boot (machine id) not pending"

# 3. First boot pending: the drop-in's condition, and the units with it verify.
extra=$src/image/mkosi/mkosi.extra
[[ $(grep -v '^#' "$extra/etc/systemd/system/vigild.service.d/first-boot.conf") == \
   $'[Unit]\nConditionPathExists=/var/lib/vigil/.setup-done' ]] || fail "vigild's first-boot condition"
mkdir -p "$tmp/units/vigild.service.d"
sed "s|/usr/libexec/vigil/firstboot-notice|$extra/usr/libexec/vigil/firstboot-notice|" \
  "$extra/usr/lib/systemd/system/vigil-firstboot.service" > "$tmp/units/vigil-firstboot.service"
out=$(cd "$tmp/units" && systemd-analyze verify --man=no ./vigil-firstboot.service 2>&1) || { echo "$out"; fail "verify"; }
[[ -z $out ]] || { echo "$out"; fail "systemd-analyze verify vigil-firstboot.service"; }

# 4. The notice: shown and written to the login prompt without the marker, removed with it.
export VIGIL_SETUP_MARKER=$tmp/data/.setup-done VIGIL_SETUP_ISSUE=$tmp/issue.d/vigil-setup.issue
"$extra/usr/libexec/vigil/firstboot-notice" > "$tmp/notice" || fail "notice"
grep -qF "This Vigil box is not set up yet" "$tmp/notice" || fail "no notice on the console"
grep -qx '      vigild setup' "$VIGIL_SETUP_ISSUE" || fail "the login prompt does not say to run vigild setup"
mkdir -p "$tmp/data"; touch "$VIGIL_SETUP_MARKER"
"$extra/usr/libexec/vigil/firstboot-notice" > "$tmp/notice" || fail "notice after setup"
[[ ! -s $tmp/notice && ! -e $VIGIL_SETUP_ISSUE ]] || fail "the notice stays after setup"
echo "ok: recipe checked"
