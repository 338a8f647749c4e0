#!/usr/bin/env bash
# The Debian package on a clean Debian 12 (issue 27): install, first boot (`vigild setup` with the
# encrypted data volume on a loop device, stopping where the kernel has no device-mapper; then
# from an answer file), start the broker and vigild as set up, /readyz over TLS; upgrade to a newer version
# (data, key and edited configuration kept, vigild restarted by postinst, migrations at start);
# purge (only what the package made goes; data stays unless VIGIL_PURGE_DATA=1).
#   install_test.sh BUILD_DIR
# Needs root (chroot, mounts; it runs in a mount namespace of its own so nothing stays mounted),
# mmdebstrap and network access to the Debian mirror apt uses here. The clean root comes from
# $VIGIL_CI_CACHE/debian12-base.tar (default /var/cache/vigil-ci), made when missing;
# downloaded .debs are kept in $VIGIL_CI_CACHE/apt-archives. Skips (77) without root or mmdebstrap.
set -euo pipefail
build=$(cd "$1" && pwd)
cache=${VIGIL_CI_CACHE:-/var/cache/vigil-ci}
started=$(date +%s)
log() { printf '[%3ds] %s\n' $(($(date +%s) - started)) "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# A skip is a failure where the test must run (scripts/test.sh sets VIGIL_APPLIANCE_REQUIRED=1).
skip() { echo "SKIP: $*"; [[ ${VIGIL_APPLIANCE_REQUIRED:-0} == 1 ]] && exit 1; exit 77; }
if [[ $(id -u) -ne 0 ]]; then skip "needs root (chroot, mounts)"; fi
command -v mmdebstrap >/dev/null || skip "mmdebstrap missing (scripts/install-deps.sh)"
if [[ -z "${VIGIL_IN_NS:-}" ]]; then
  # Private mounts: whatever the test mounts disappears with it, even when it is killed.
  exec env VIGIL_IN_NS=1 unshare --mount --propagation private -- "$0" "$@"
fi

# --- the packages: the project version, and the same build as an older version to upgrade from.
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[[ -n $version ]] || fail "no CPACK_PACKAGE_VERSION in $build/CPackConfig.cmake"
prev="$version~prev"   # '~' sorts before: dpkg sees $version as the upgrade
tmp=$(mktemp -d /var/tmp/vigil-install-test.XXXXXX)
vigild_pid=
broker_pid=
disk=
cleanup() {
  [[ -z $disk ]] || losetup -d "$disk" 2>/dev/null || true
  [[ -z $vigild_pid ]] || kill "$vigild_pid" 2>/dev/null || true
  [[ -z $broker_pid ]] || kill "$broker_pid" 2>/dev/null || true
  for m in "$tmp/root/var/cache/apt/archives" "$tmp/root/dev" "$tmp/root/proc"; do
    umount -l "$m" 2>/dev/null || true
  done
  # Never delete through a mount (the root's /dev is the host's): leave the directory instead.
  if grep -qF " $tmp/" /proc/self/mounts; then
    echo "install_test: $tmp still has mounts; not deleted" >&2
  else
    rm -rf --one-file-system "$tmp"
  fi
}
trap cleanup EXIT
log "packing $version, and the same as $prev"
(cd "$build" && cpack -G DEB -R "$version" -B "$tmp/pkg-new" >/dev/null)
deb_new=$tmp/pkg-new/vigil_${version}_amd64.deb
# The older version: the same package with its version lowered (cpack a second time would only
# strip and scan the same binaries again).
deb_prev=$tmp/pkg-prev/vigil_${prev}_amd64.deb
mkdir -p "$tmp/pkg-prev/tree"
dpkg-deb -R "$deb_new" "$tmp/pkg-prev/tree"
sed -i "s/^Version: .*/Version: $prev/" "$tmp/pkg-prev/tree/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz -z1 -b "$tmp/pkg-prev/tree" "$deb_prev" >/dev/null
[[ -f $deb_prev && -f $deb_new ]] || fail "cpack did not write $deb_prev and $deb_new"

# --- a clean Debian 12 root (cached as a tarball: the packages' own installation is what is tested).
mkdir -p "$cache/apt-archives/partial"
base=$cache/debian12-base.tar
if [[ ! -s $base ]]; then
  mirror=$( (grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null || true) |
           head -n 1 | tr -d ' ')
  mirror=${mirror:-http://deb.debian.org/debian}; mirror=${mirror%/}
  log "making $base from $mirror (once)"
  mmdebstrap --variant=apt --include=ca-certificates bookworm "$cache/debian12-base.tmp.tar" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb ${mirror}-security bookworm-security main" >"$tmp/mmdebstrap.log" 2>&1 ||
    { tail -n 20 "$tmp/mmdebstrap.log"; fail "mmdebstrap failed"; }
  mv "$cache/debian12-base.tmp.tar" "$base"
fi
root=$tmp/root
mkdir -p "$root"
tar -C "$root" -xf "$base"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# dpkg without an fsync per file: the root is thrown away (halves the install time).
echo force-unsafe-io > "$root/etc/dpkg/dpkg.cfg.d/unsafe-io"
# No service starts inside the root (mosquitto's postinst would otherwise start a broker).
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod 0755 "$root/usr/sbin/policy-rc.d"
cp "$deb_prev" "$deb_new" "$root/tmp/"
in_root() { chroot "$root" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                       DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
apt_q() { in_root apt-get -q -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; }

# --- install the previous version from apt, dependencies from Debian 12.
log "apt-get install vigil $prev (dependencies from the mirror)"
apt_q update >"$tmp/apt.log" 2>&1 || { tail -n 20 "$tmp/apt.log"; fail "apt-get update"; }
apt_q install --no-install-recommends "/tmp/$(basename "$deb_prev")" >>"$tmp/apt.log" 2>&1 ||
  { tail -n 30 "$tmp/apt.log"; fail "apt-get install of $prev"; }
[[ $(in_root dpkg-query -W -f='${Status} ${Version}' vigil) == "install ok installed $prev" ]] ||
  fail "vigil $prev is not installed"
grep -q "Set the box up before starting it" "$tmp/apt.log" || fail "postinst did not say to set the box up"
in_root getent passwd vigil >/dev/null || fail "postinst made no vigil user"
in_root id -nG vigil | grep -qw mosquitto || fail "vigil is not in the mosquitto group"
grep -qx 'web.assets_dir = /usr/share/vigil/portal' "$root/etc/vigil/vigild.conf" ||
  fail "installed vigild.conf does not point web.assets_dir at the installed portal"
for f in /usr/sbin/vigild /usr/bin/vigil-devtool /usr/bin/vigil-provision /usr/sbin/vigil-firewall \
         /usr/share/vigil/portal/index.html /usr/lib/systemd/system/vigild.service \
         /usr/lib/systemd/system/vigil-firewall.service /usr/lib/sysusers.d/vigil.conf \
         /usr/share/vigil/mosquitto/mosquitto.conf.in /usr/share/vigil/nftables/vigil.nft \
         /usr/share/doc/vigil/operations.md /usr/share/doc/vigil/README.md; do
  [[ -e $root$f ]] || fail "$f is not installed"
done
# The postinst of a fresh install, with systemd pretended: daemon-reload only, nothing started or enabled.
mkdir -p "$root/run/systemd/system"
cat > "$root/usr/local/sbin/systemctl" <<'RECORDER'
#!/bin/sh
echo "$*" >> /tmp/systemctl.log
case "$*" in "is-active --quiet vigild.service") exit 0;; is-active*) exit 3;; esac
exit 0
RECORDER
chmod 0755 "$root/usr/local/sbin/systemctl"
in_root /var/lib/dpkg/info/vigil.postinst configure "" >/dev/null
[[ "$(cat "$root/tmp/systemctl.log")" == "daemon-reload" ]] ||
  fail "fresh-install postinst ran: $(tr '\n' ';' < "$root/tmp/systemctl.log") (expected daemon-reload only)"
rm -f "$root/tmp/systemctl.log"
# A box that is not set up is not running (other vigild processes on this machine are not ours).
for p in $(pgrep -x vigild || true); do
  [[ $(readlink "/proc/$p/root" 2>/dev/null) != "$root" ]] || fail "a vigild runs in the root after the install"
done

# --- first boot: `vigild setup` from an answer file, as root in the root (docs/operations.md).
log "vigild setup $prev"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
portal_port=$(free_port) mqtt_port=$(free_port) mqtt_pw_port=$(free_port)
cat > "$root/root/answers.conf" <<ANSWERS
host_names = vigil-install-test.example
host_addresses = 127.0.0.1
admin_email = it@install-test.example
admin_name = Install Test
time_zone = America/Chicago
portal_bind = 127.0.0.1
portal_port = $portal_port
mqtt_bind = 127.0.0.1
mqtt_port = $mqtt_port
mqtt_password_port = $mqtt_pw_port
ANSWERS
# First with the encrypted data volume asked for, on a loop device: setup runs vigil-volume,
# which formats and enrols it; this kernel has no device-mapper, so it cannot open it (exit 3)
# and setup must stop there with nothing else set up. (On a kernel with device-mapper the volume
# would be mounted: that run is not what this test is for.)
if ! grep -qw device-mapper /proc/misc; then
  log "vigild setup with data_volume on a loop device (stops at the open: no device-mapper)"
  apt_q install --no-install-recommends cryptsetup-bin e2fsprogs >>"$tmp/apt.log" 2>&1 ||
    { tail -n 20 "$tmp/apt.log"; fail "apt-get install cryptsetup-bin e2fsprogs"; }
  truncate -s 64M "$tmp/disk.img"
  disk=$(losetup --find --show "$tmp/disk.img") || fail "no free loop device"
  echo 'volume passphrase of the install test' > "$root/root/volume-pass"
  { cat "$root/root/answers.conf"; echo "data_volume = $disk"; echo "volume_unlock = passphrase:/root/volume-pass"; } \
    > "$root/root/answers-volume.conf"
  conf_before=$(sha256sum < "$root/etc/vigil/vigild.conf")
  rc=0
  chroot "$root" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
    VIGIL_VOLUME_ITER_TIME=100 VIGIL_VOLUME_PBKDF_MEMORY=32768 \
    /usr/sbin/vigild --config /etc/vigil/vigild.conf setup --answers /root/answers-volume.conf \
    >"$tmp/setup-volume.log" 2>&1 || rc=$?
  [[ $rc == 73 ]] || { cat "$tmp/setup-volume.log"; fail "setup with the data volume: exit $rc (expected 73)"; }
  grep -q "cannot open it (no device-mapper); nothing else was set up" "$tmp/setup-volume.log" ||
    { cat "$tmp/setup-volume.log"; fail "setup did not say why it stopped"; }
  cryptsetup isLuks --type luks2 "$disk" || fail "setup's vigil-volume wrote no LUKS2 header"
  echo 'volume passphrase of the install test' |
    cryptsetup open --test-passphrase --key-slot 1 "$disk" || fail "the answered passphrase does not unlock the volume"
  grep -q "^vigil-data UUID=$(cryptsetup luksUUID "$disk") " "$root/etc/crypttab" ||
    fail "no crypttab line for the volume in the installed root"
  [[ ! -e $root/var/lib/vigil/vigil.db && ! -e $root/var/lib/vigil-keys/master.key ]] ||
    fail "setup went on past the volume it could not open"
  [[ $(sha256sum < "$root/etc/vigil/vigild.conf") == "$conf_before" ]] || fail "setup changed vigild.conf before stopping"
  losetup -d "$disk"; disk=
fi
in_root /usr/sbin/vigild --config /etc/vigil/vigild.conf setup --answers /root/answers.conf \
  >"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log"; fail "vigild setup"; }
grep -qE '^      one-time password: [A-Z2-9]{5}(-[A-Z2-9]{5}){3}$' "$tmp/setup.log" ||
  { cat "$tmp/setup.log"; fail "setup printed no one-time password"; }
# Under (pretended) systemd, setup enables and starts the box's services, in this order.
[[ "$(cat "$root/tmp/systemctl.log")" == \
   "enable --now vigil-mosquitto.service vigil-broker-reload.path vigild.service" ]] ||
  fail "setup ran: $(tr '\n' ';' < "$root/tmp/systemctl.log")"
rm -f "$root/tmp/systemctl.log"
# What root made is the service's: owner and mode as the unit expects them.
owner_mode() { in_root stat -c '%U:%G %a' "$1"; }
for check in "/var/lib/vigil vigil:vigil 711" "/var/lib/vigil-keys vigil:vigil 700" \
             "/var/lib/vigil-keys/master.key vigil:vigil 600" "/var/lib/vigil/vigil.db vigil:vigil 600" \
             "/var/lib/vigil/pki/ca.key vigil:vigil 600" "/etc/vigil/tls/portal.key vigil:vigil 600" \
             "/var/lib/vigil/mosquitto/mosquitto.conf vigil:mosquitto 640" \
             "/var/lib/vigil/mosquitto/server.key vigil:mosquitto 640" \
             "/var/lib/vigil/mosquitto/persistence mosquitto:mosquitto 750"; do
  read -r path want_owner want_mode <<<"$check"
  got=$(owner_mode "$path") || fail "setup made no $path"
  [[ $got == "$want_owner $want_mode" ]] || fail "$path is $got (expected $want_owner $want_mode)"
done
[[ -s $root/var/lib/vigil/.setup-done ]] || fail "setup wrote no first-boot marker"
grep -qx 'cases.time_zone = America/Chicago' "$root/etc/vigil/vigild.conf" || fail "setup did not set the time zone"
in_root /usr/sbin/vigild --config /etc/vigil/vigild.conf setup --answers /root/answers.conf >/dev/null 2>&1 &&
  fail "a second setup ran"
uid=$(in_root id -u vigil) gid=$(in_root id -g vigil)
vigil() { chroot --userspec="$uid:$gid" "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/vigil \
            /usr/sbin/vigild --config /etc/vigil/vigild.conf "$@"; }
vigil config check >/dev/null || fail "vigild config check refuses the configuration setup wrote"
# The broker setup configured, started as its unit does (root, dropping to mosquitto).
chroot "$root" /usr/sbin/mosquitto -c /var/lib/vigil/mosquitto/mosquitto.conf >"$tmp/mosquitto.log" 2>&1 &
broker_pid=$!
# vigild as the unit runs it, on the portal port setup chose (HTTPS with the box CA's
# certificate), with MQTT ingest through that broker (part of /readyz); no Bluetooth here.
start_vigild() {
  vigil --set ble.enabled=false --set systemd.watchdog=false >"$tmp/vigild-$1.log" 2>&1 &
  vigild_pid=$!
  local code=000
  for _ in $(seq 1 150); do
    kill -0 "$vigild_pid" 2>/dev/null || { cat "$tmp/vigild-$1.log"; fail "vigild $1 exited at start"; }
    code=$(curl -s -o "$tmp/readyz" -w '%{http_code}' --max-time 5 --cacert "$root/var/lib/vigil/pki/ca.pem" \
           "https://127.0.0.1:$portal_port/readyz" || true)
    [[ $code == 200 ]] && break
    sleep 0.2
  done
  [[ $code == 200 ]] || { cat "$tmp/readyz" "$tmp/vigild-$1.log" "$tmp/mosquitto.log"; fail "vigild $1: /readyz $code after 30 s"; }
  curl -sf --max-time 10 --cacert "$root/var/lib/vigil/pki/ca.pem" "https://127.0.0.1:$portal_port/" |
    grep -q '<title>Vigil</title>' || fail "vigild $1 does not serve the portal from the installed assets"
  log "vigild $1: /readyz 200 over TLS trusted through the box CA, broker connected, portal served (port $portal_port)"
}
stop_vigild() {
  kill -TERM "$vigild_pid"
  for _ in $(seq 1 100); do kill -0 "$vigild_pid" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$vigild_pid" 2>/dev/null || fail "vigild did not stop within 10 s of SIGTERM"
  wait "$vigild_pid" || true
  vigild_pid=
}
start_vigild "$prev"
stop_vigild
# Data the upgrade must keep: a new data key (an audited write) and a signed audit checkpoint.
vigil keys rotate >/dev/null || fail "vigild keys rotate"
vigil audit anchor /var/lib/vigil/anchor.txt >/dev/null || fail "audit anchor"
db=$root/var/lib/vigil/vigil.db
key_sum=$(sha256sum < "$root/var/lib/vigil-keys/master.key")
audit_before=$(sqlite3 "$db" 'SELECT count(*) FROM audit_log')
[[ $audit_before -gt 0 ]] || fail "no audit entries after the first start"

# --- upgrade through `vigild update` (docs/operations.md, "Updates"): a release key made here (off
# the box) and trusted in the root; a tampered bundle is refused first (exit 83, nothing
# installed), then the signed one is installed; postinst restarts the running vigild (pretended
# systemd); then start the new binary.
log "upgrade to $version with vigild update"
devtool=$build/firmware-tools/vigil-devtool
"$devtool" sign keygen --out "$tmp/release" >/dev/null || fail "vigil-devtool sign keygen"
[[ -d $root/etc/vigil/trusted-keys ]] || fail "the package ships no /etc/vigil/trusted-keys"
cp "$tmp/release.pub" "$root/etc/vigil/trusted-keys/install-test.pub"
bundle=/tmp/$(basename "$deb_new")
"$devtool" sign --key "$tmp/release.key" --purpose release "$root$bundle" >/dev/null ||
  fail "vigil-devtool sign of the bundle"
cp "$root$bundle" "$root/tmp/tampered.deb"
python3 -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(4096); b=f.read(1); f.seek(4096); f.write(bytes([b[0]^1]))' \
  "$root/tmp/tampered.deb"
# apt runs dpkg with PATH=DPkg::Path: put the recorder's directory first.
install_cmd="apt-get -q -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
install_cmd+=" -o DPkg::Path=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin install --no-install-recommends {deb}"
update() { in_root /usr/sbin/vigild --config /etc/vigil/vigild.conf --set "update.install_command=$install_cmd" \
             update "$@"; }
rc=0; update /tmp/tampered.deb --signature "$bundle.sig" >"$tmp/update-tampered.log" 2>&1 || rc=$?
[[ $rc == 83 ]] || { cat "$tmp/update-tampered.log"; fail "vigild update of a tampered bundle: exit $rc (expected 83)"; }
grep -q "digest_mismatch" "$tmp/update-tampered.log" || fail "the tampered bundle's refusal does not say digest_mismatch"
[[ $(in_root dpkg-query -W -f='${Version}' vigil) == "$prev" ]] || fail "a refused bundle changed the installed version"
update "$bundle" >"$tmp/apt-upgrade.log" 2>&1 ||
  { tail -n 30 "$tmp/apt-upgrade.log"; fail "vigild update of $version over $prev"; }
[[ $(in_root dpkg-query -W -f='${Version}' vigil) == "$version" ]] || fail "vigil $version is not installed"
# The key was the test's: the purge below checks /etc/vigil is gone.
rm -f "$root/etc/vigil/trusted-keys/install-test.pub"
calls=$(tr '\n' ';' < "$root/tmp/systemctl.log")
[[ $calls == *"daemon-reload;"*"restart vigild.service;"* ]] ||
  fail "upgrade postinst did not reload systemd and restart the running vigild: $calls"
[[ $calls != *"restart vigil-mosquitto"* && $calls != *"start vigil-firewall"* ]] ||
  fail "upgrade postinst restarted a service that was not running: $calls"
grep -qx 'cases.time_zone = America/Chicago' "$root/etc/vigil/vigild.conf" || fail "the upgrade lost the admin's edit"
rm -rf "$root/usr/local/sbin/systemctl" "$root/run/systemd" "$root/tmp/systemctl.log"
start_vigild "$version"
stop_vigild
[[ $(sha256sum < "$root/var/lib/vigil-keys/master.key") == "$key_sum" ]] || fail "the master key changed"
audit_after=$(sqlite3 "$db" 'SELECT count(*) FROM audit_log')
[[ $audit_after -ge $audit_before ]] || fail "audit entries lost in the upgrade ($audit_before -> $audit_after)"
vigil audit verify >/dev/null || fail "audit verify after the upgrade"
[[ -s $root/var/lib/vigil/anchor.txt ]] || fail "the data directory lost a file"

# --- purge: only what the package made goes; the data and the key stay.
log "purge"
kill "$broker_pid" && wait "$broker_pid" 2>/dev/null || true
broker_pid=
in_root /usr/sbin/vigil-firewall render >/dev/null 2>&1 || fail "vigil-firewall render in the installed root"
listing() { (cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./tmp -o -path ./var/cache \
            -o -path ./var/lib/apt -o -path ./var/lib/dpkg -o -path ./var/log \) -prune -o -print | sort); }
listing > "$tmp/before"
in_root dpkg-query -L vigil | sed 's|^|.|' | sort > "$tmp/owned"
apt_q purge vigil >"$tmp/apt-purge.log" 2>&1 || { tail -n 20 "$tmp/apt-purge.log"; fail "apt-get purge"; }
listing > "$tmp/after"
comm -13 "$tmp/before" "$tmp/after" > "$tmp/added"
comm -23 "$tmp/before" "$tmp/after" > "$tmp/removed"
[[ ! -s $tmp/added ]] || fail "purge added: $(head -n 5 "$tmp/added")"
# Removed: the package's files, its conffiles, the rendered ruleset and setup's portal
# certificate, nothing else (directories
# the package shares with others, e.g. /usr/sbin, stay).
comm -23 "$tmp/removed" <(sort -u "$tmp/owned" <(printf '%s\n' ./etc/vigil/vigil.nft ./etc/vigil/tls \
  ./etc/vigil/tls/portal.pem ./etc/vigil/tls/portal.key)) > "$tmp/stray"
[[ ! -s $tmp/stray ]] || fail "purge removed files the package did not make: $(head -n 5 "$tmp/stray")"
for f in /usr/sbin/vigild /etc/vigil/vigild.conf /etc/vigil/firewall.conf /etc/vigil/vigil.nft /etc/vigil \
         /usr/share/vigil /usr/lib/systemd/system/vigild.service; do
  [[ ! -e $root$f ]] || fail "$f is still there after purge"
done
[[ -s $db && -s $root/var/lib/vigil-keys/master.key ]] || fail "purge without VIGIL_PURGE_DATA=1 removed the data"
grep -q "are kept" "$tmp/apt-purge.log" || fail "purge did not say the data is kept"
in_root dpkg-query -W -f='${Status}' mosquitto | grep -q "install ok installed" || fail "purge took mosquitto too"

# --- purge with VIGIL_PURGE_DATA=1: the data and the key go too.
apt_q install --no-install-recommends "/tmp/$(basename "$deb_new")" >"$tmp/apt.log" 2>&1 || fail "reinstall"
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin VIGIL_PURGE_DATA=1 DEBIAN_FRONTEND=noninteractive \
  apt-get -q -y purge vigil >"$tmp/apt-purge.log" 2>&1 || fail "apt-get purge with VIGIL_PURGE_DATA=1"
[[ ! -e $root/var/lib/vigil && ! -e $root/var/lib/vigil-keys ]] || fail "VIGIL_PURGE_DATA=1 left the data"

log "ok: install, /readyz, upgrade $prev -> $version, purge (disk: $(du -sxh "$tmp" 2>/dev/null | cut -f1) in $tmp, base $(du -h "$base" | cut -f1), apt cache $(du -sh "$cache/apt-archives" | cut -f1))"
