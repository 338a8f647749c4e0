#!/usr/bin/env bash
# The firewall (issue 27): vigil-firewall renders image/nftables/vigil.nft from a vigild.conf and a
# firewall.conf into the ruleset the docs describe, `nft -c -f` accepts it, and loaded into a
# network namespace of its own the table holds the expected rules; bad values are refused.
#   firewall_test.sh SOURCE_DIR
# `nft -c` needs CAP_NET_ADMIN (it reads the kernel's ruleset): as root it runs here, else in an
# unprivileged user + network namespace (unshare -rn); without either it skips (77).
set -euo pipefail
src=$1
fw=$src/image/nftables/vigil-firewall
# A skip is a failure where the test must run (scripts/test.sh sets VIGIL_APPLIANCE_REQUIRED=1).
skip() { echo "SKIP: $*"; [[ ${VIGIL_APPLIANCE_REQUIRED:-0} == 1 ]] && exit 1; exit 77; }
command -v nft >/dev/null || skip "nft missing (nftables: scripts/install-deps.sh)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# Where nft can talk to a kernel: a network namespace of our own (nothing touches this host's rules).
if unshare -rn nft -c -f "$src/image/nftables/vigil.nft" 2>/dev/null; then ns=(unshare -rn)
elif [[ $(id -u) -eq 0 ]] && unshare -n true 2>/dev/null; then ns=(unshare -n)
else skip "neither an unprivileged user namespace nor root: nft -c needs CAP_NET_ADMIN"; fi

export VIGIL_NFT_TEMPLATE=$src/image/nftables/vigil.nft
export VIGIL_CONF=$tmp/vigild.conf VIGIL_FIREWALL_CONF=$tmp/firewall.conf
render() { "$fw" render "$tmp/vigil.nft" 2>"$tmp/stderr"; }

# 1. The shipped defaults: portal 8443, the broker's default ports, no media range (warned).
cp "$src/image/vigild.conf" "$VIGIL_CONF"; cp "$src/image/nftables/firewall.conf" "$VIGIL_FIREWALL_CONF"
render || fail "render of the shipped files: $(cat "$tmp/stderr")"
grep -qx 'define portal_tcp = { 8443 }' "$tmp/vigil.nft" || fail "portal port: $(grep portal_tcp "$tmp/vigil.nft")"
grep -qx 'define mqtt_tcp = { 8883, 8884 }' "$tmp/vigil.nft" || fail "mqtt ports"
grep -q 'no media ports are opened' "$tmp/stderr" || fail "no warning about the unset video range"
! grep -q '^ *udp dport \$video_udp' "$tmp/vigil.nft" || fail "a media rule without a range"
"${ns[@]}" nft -c -f "$tmp/vigil.nft" || fail "nft -c refuses the default ruleset"

# 2. A clinic's values: HTTPS on 443 with the redirect on 80, a media range, the broker's listeners
#    from its rendered configuration, SSH from one network and an IPv6 prefix on port 2222.
sed -i -e 's/^web.port = 8443$/web.port = 443/' -e 's/^web.redirect_port = 0$/web.redirect_port = 80/' \
       -e 's/^video.udp_port_min = 0$/video.udp_port_min = 40000/' \
       -e 's/^video.udp_port_max = 0$/video.udp_port_max = 40999/' \
       -e "s|^data.dir = .*|data.dir = $tmp/data|" "$VIGIL_CONF"
mkdir -p "$tmp/data/mosquitto"
printf 'listener 18883 0.0.0.0\nprotocol mqtt\nlistener 18884 0.0.0.0\n' > "$tmp/data/mosquitto/mosquitto.conf"
cat > "$VIGIL_FIREWALL_CONF" <<'CONF'
clinic_net4 = 192.168.10.0/24
clinic_net6 = fd12:3456:789a::/48
ssh_ports = 2222
CONF
render || fail "render of the clinic's values: $(cat "$tmp/stderr")"
for want in 'define portal_tcp = { 443, 80 }' 'define mqtt_tcp = { 18883, 18884 }' \
            'define video_udp = { 40000-40999 }' 'define ssh_tcp = { 2222 }' \
            'define clinic_net4 = { 192.168.10.0/24 }' 'define clinic_net6 = { fd12:3456:789a::/48 }'; do
  grep -qxF "$want" "$tmp/vigil.nft" || fail "missing '$want'"
done
# Loaded (in the namespace), the table says what is open, as nft lists it.
"${ns[@]}" sh -c "nft -f '$tmp/vigil.nft' && nft list table inet vigil" > "$tmp/listed" || fail "nft -f"
for want in 'type filter hook input priority filter; policy drop;' 'ct state established,related accept' \
            'iif "lo" accept' 'tcp dport { 80, 443 } accept' 'tcp dport { 18883, 18884 } accept' \
            'udp dport 40000-40999 accept' 'ip saddr 192.168.10.0/24 tcp dport 2222 accept' \
            'ip6 saddr fd12:3456:789a::/48 tcp dport 2222 accept' 'ct state invalid drop'; do
  grep -qF "$want" "$tmp/listed" || { cat "$tmp/listed"; fail "the loaded table lacks '$want'"; }
done
# No other port is opened: every accept rule is one of the above, the ICMP/ICMPv6 and DHCP ones.
others=$(grep -E 'dport' "$tmp/listed" | grep -vE 'dport (\{ 80, 443 \}|\{ 18883, 18884 \}|40000-40999|2222|68|546) ' || true)
[[ -z $others ]] || fail "unexpected open ports: $others"
# Loading twice replaces the table (one transaction), it does not add a second copy of the rules.
"${ns[@]}" sh -c "nft -f '$tmp/vigil.nft' && nft -f '$tmp/vigil.nft' && nft list table inet vigil" \
  | grep -c 'tcp dport { 80, 443 } accept' | grep -qx 1 || fail "loading twice duplicates the rules"

# 3. Refused: a port that is not one, a network with nft syntax in it, no clinic network.
cp "$VIGIL_FIREWALL_CONF" "$tmp/good.conf"
echo 'ssh_ports = 22; flush ruleset' >> "$VIGIL_FIREWALL_CONF"
! render || fail "a bad ssh_ports was rendered"
cp "$tmp/good.conf" "$VIGIL_FIREWALL_CONF"; echo 'clinic_net4 = 10.0.0.0/8 } ; flush ruleset ; {' >> "$VIGIL_FIREWALL_CONF"
! render || fail "a clinic_net4 with nft syntax was rendered"
printf 'clinic_net4 =\nclinic_net6 =\n' > "$VIGIL_FIREWALL_CONF"
! render || fail "rendered without a clinic network"
grep -q 'set clinic_net4' "$tmp/stderr" || fail "no message naming clinic_net4: $(cat "$tmp/stderr")"
sed -i 's/^web.port = 443$/web.port = 0/' "$VIGIL_CONF"; cp "$tmp/good.conf" "$VIGIL_FIREWALL_CONF"
! render || fail "web.port = 0 (a free port) rendered: the firewall cannot know it"
echo "firewall ok"
