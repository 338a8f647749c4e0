#!/usr/bin/env bash
# A development Mosquitto configured like the appliance's: on first run it creates, under the data
# directory (default ./var), a dev CA, the broker's server certificate, the vigild client
# certificate, an empty password file and the ACL (all through vigil::pki, see
# docs/provisioning.md), renders mosquitto.conf from image/mosquitto/ and starts mosquitto with a
# pid file. Running it again while the broker runs changes nothing and prints the ports again.
#
#   scripts/dev-broker.sh [start|stop|status]
#   env: VIGIL_DATA_DIR (./var)  VIGIL_MQTT_BIND (127.0.0.1)  VIGIL_MQTT_PORT (8883, certificates)
#        VIGIL_MQTT_PASSWORD_PORT (8884)  VIGIL_MQTT_USER (user mosquitto drops to when started
#        as root; default: the invoking user)  VIGIL_PROVISION (path to vigil-provision or
#        "vigil-devtool provision"; default: built with the release preset)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${VIGIL_DATA_DIR:-$root/var}
bind=${VIGIL_MQTT_BIND:-127.0.0.1}
port=${VIGIL_MQTT_PORT:-8883}
pwport=${VIGIL_MQTT_PASSWORD_PORT:-8884}
broker_dir=$data/mosquitto
pidfile=$broker_dir/run/mosquitto.pid
log=$data/log/mosquitto.log

running() {
  [[ -s "$pidfile" ]] || return 1
  local pid
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == mosquitto ]]
}

ports_from_config() {
  awk '$1 == "listener" {print $3 ":" $2}' "$broker_dir/mosquitto.conf" | paste -sd ' '
}

case "${1:-start}" in
  stop)
    if running; then
      kill "$(cat "$pidfile")"
      for _ in $(seq 1 50); do running || break; sleep 0.1; done
      echo "mosquitto stopped"
    else
      echo "mosquitto not running"
    fi
    exit 0
    ;;
  status)
    if running; then echo "mosquitto running (pid $(cat "$pidfile")): $(ports_from_config)"; exit 0; fi
    echo "mosquitto not running"
    exit 1
    ;;
  start) ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac

if running; then
  echo "mosquitto already running (pid $(cat "$pidfile")): $(ports_from_config)"
  exit 0
fi

if [[ -n "${VIGIL_PROVISION:-}" ]]; then
  read -r -a provision <<<"$VIGIL_PROVISION"
else
  if [[ ! -f build/release/CMakeCache.txt ]]; then cmake --preset release >/dev/null; fi
  cmake --build --preset release -j "${VIGIL_JOBS:-2}" --target vigil-provision >/dev/null
  provision=("$root/build/release/firmware-tools/vigil-provision")
fi

mkdir -p "$data/log"
if [[ -n "${VIGIL_MQTT_USER:-}" ]]; then chown "$VIGIL_MQTT_USER" "$data/log"; fi
"${provision[@]}" broker --data "$data" --bind "$bind" --cert-port "$port" \
  --password-port "$pwport" --log-dest "file $log" ${VIGIL_MQTT_USER:+--user "$VIGIL_MQTT_USER"} \
  >/dev/null
rm -f "$pidfile"
# What mosquitto says before it detaches (among it, started as root with "user root" in the
# development configuration, "should not be run as root": the appliance runs it as "mosquitto",
# see VIGIL_MQTT_USER) goes to its log with the rest.
/usr/sbin/mosquitto -c "$broker_dir/mosquitto.conf" -d 2>>"$log"

for _ in $(seq 1 100); do
  if running && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "mosquitto running (pid $(cat "$pidfile")): $bind:$port (device certificates)," \
         "$bind:$pwport (device passwords); CA $data/pki/ca.pem"
    exit 0
  fi
  sleep 0.1
done
echo "mosquitto did not start; last log lines:" >&2
tail -20 "$log" >&2 || true
exit 1
