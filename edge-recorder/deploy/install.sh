#!/usr/bin/env bash
# Installs (or upgrades) the CCTV edge recorder as the systemd service cctv-edge, then runs
# `Cctv.EdgeRecorder validate` against the installed configuration and starts the service when
# it passes. See README.md beside this script.
#
#   sudo ./install.sh --config site-a.json --key site-a-key.json            # build from this checkout
#   sudo ./install.sh --from ./publish --config site-a.json --key key.json  # a published agent
#
# Options:
#   --from DIR        published agent (dotnet publish output holding Cctv.EdgeRecorder);
#                     without it the agent is published from this checkout (needs the .NET 10 SDK)
#   --rid RID         runtime of the published agent when building: linux-x64, linux-arm64
#                     (default: this machine's)
#   --config FILE     configuration to install as /etc/cctv-edge/config.json (an existing one is
#                     kept unless --replace-config)
#   --replace-config  overwrite an existing /etc/cctv-edge/config.json (the old one is kept as
#                     config.json.bak)
#   --key FILE        the site's service-account key, installed as /etc/cctv-edge/key.json
#   --start-anyway    enable and start the service even when validate fails (e.g. installing
#                     offline: the agent records and queues until the network is back)
#   --no-start        install and validate only
set -euo pipefail

readonly SERVICE=cctv-edge
readonly SERVICE_USER=cctv-edge
readonly PREFIX=/opt/cctv-edge
readonly CONFIG_DIR=/etc/cctv-edge
readonly DATA_DIR=/var/lib/cctv-edge
readonly UNIT_PATH=/etc/systemd/system/${SERVICE}.service
readonly BINARY=${PREFIX}/Cctv.EdgeRecorder

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "${here}/../.." && pwd)

from="" rid="" config="" key="" replace_config=false start_anyway=false start=true

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

while (($#)); do
  case "$1" in
    --from) from=${2:?--from needs a directory}; shift 2 ;;
    --rid) rid=${2:?--rid needs a runtime identifier}; shift 2 ;;
    --config) config=${2:?--config needs a file}; shift 2 ;;
    --key) key=${2:?--key needs a file}; shift 2 ;;
    --replace-config) replace_config=true; shift ;;
    --start-anyway) start_anyway=true; shift ;;
    --no-start) start=false; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

((EUID == 0)) || die "run as root (sudo $0 ...)"
[[ -d /run/systemd/system ]] || die "systemd is not running on this machine; the agent is installed as a systemd service"
command -v runuser >/dev/null || die "runuser (util-linux) is missing"
command -v ffmpeg >/dev/null || die "ffmpeg is missing: apt-get install ffmpeg (or your distribution's package)"
[[ -z "${config}" || -f "${config}" ]] || die "--config ${config}: no such file"
[[ -z "${key}" || -f "${key}" ]] || die "--key ${key}: no such file"
[[ -n "${config}" || -f "${CONFIG_DIR}/config.json" ]] ||
  die "no configuration: pass --config FILE (start from ${here}/config.example.json)"

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT

# 1. The agent's files.
if [[ -z "${from}" ]]; then
  command -v dotnet >/dev/null || die "no --from and no dotnet SDK to build with"
  if [[ -z "${rid}" ]]; then
    case "$(uname -m)" in
      x86_64) rid=linux-x64 ;;
      aarch64|arm64) rid=linux-arm64 ;;
      *) die "unknown machine $(uname -m); pass --rid" ;;
    esac
  fi
  say "Publishing the agent for ${rid} (self-contained)"
  dotnet publish "${repo}/edge-recorder/Cctv.EdgeRecorder.csproj" \
    --configuration Release --runtime "${rid}" --self-contained true \
    --output "${work}/publish" -nologo
  from="${work}/publish"
fi
[[ -x "${from}/Cctv.EdgeRecorder" ]] || die "${from}/Cctv.EdgeRecorder is missing or not executable"

# 2. The service user: no login, no home of its own but the data directory.
if ! id -u "${SERVICE_USER}" >/dev/null 2>&1; then
  say "Creating system user ${SERVICE_USER}"
  useradd --system --user-group --home-dir "${DATA_DIR}" --no-create-home \
    --shell /usr/sbin/nologin --comment "CCTV edge recorder" "${SERVICE_USER}"
fi

# 3. Binaries: staged beside the old ones, swapped in one rename; the previous version stays in
#    ${PREFIX}.previous for a rollback. The running service keeps its files until restarted.
say "Installing the agent in ${PREFIX}"
rm -rf "${PREFIX}.new"
mkdir -p "${PREFIX}.new"
cp -a "${from}/." "${PREFIX}.new/"
install -m 0644 "${here}/README.md" "${PREFIX}.new/README.md"
chown -R root:root "${PREFIX}.new"
chmod -R u=rwX,go=rX "${PREFIX}.new"
chmod 0755 "${PREFIX}.new/Cctv.EdgeRecorder"
if [[ -d "${PREFIX}" ]]; then
  rm -rf "${PREFIX}.previous"
  mv "${PREFIX}" "${PREFIX}.previous"
fi
mv "${PREFIX}.new" "${PREFIX}"

# 4. Configuration: root-owned, readable by the service's group only (it holds camera
#    passwords and the key).
install -d -m 0750 -o root -g "${SERVICE_USER}" "${CONFIG_DIR}"
if [[ -n "${config}" ]]; then
  if [[ -f "${CONFIG_DIR}/config.json" && "${replace_config}" != true ]]; then
    say "Keeping the existing ${CONFIG_DIR}/config.json (--replace-config to overwrite)"
  else
    [[ -f "${CONFIG_DIR}/config.json" ]] && cp -p "${CONFIG_DIR}/config.json" "${CONFIG_DIR}/config.json.bak"
    install -m 0640 -o root -g "${SERVICE_USER}" "${config}" "${CONFIG_DIR}/config.json"
  fi
fi
if [[ -n "${key}" ]]; then
  install -m 0640 -o root -g "${SERVICE_USER}" "${key}" "${CONFIG_DIR}/key.json"
fi
install -m 0644 "${here}/environment.example" "${CONFIG_DIR}/environment.example"
install -m 0644 "${here}/config.example.json" "${CONFIG_DIR}/config.example.json"

# 5. Data directory (systemd's StateDirectory= would create it too; validate needs it now).
install -d -m 0750 -o "${SERVICE_USER}" -g "${SERVICE_USER}" "${DATA_DIR}"

# 6. The unit.
say "Installing ${UNIT_PATH}"
install -m 0644 "${here}/${SERVICE}.service" "${UNIT_PATH}"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "${UNIT_PATH}" || die "systemd-analyze verify ${UNIT_PATH} failed"
fi
systemctl daemon-reload

# 7. Validate what was installed, as the service user, with the service's environment file:
#    configuration, credentials, bucket permissions, connectivity.
say "Validating ${CONFIG_DIR}/config.json"
env_vars=("HOME=${DATA_DIR}")
if [[ -f "${CONFIG_DIR}/environment" ]]; then
  while IFS= read -r line || [[ -n "${line}" ]]; do
    line="${line#"${line%%[![:space:]]*}"}"
    [[ -z "${line}" || "${line}" == \#* || "${line}" == \;* ]] && continue
    env_vars+=("${line}")
  done <"${CONFIG_DIR}/environment"
fi
# And the unit's own Environment= settings, so validate starts the runtime as the service will: one it
# cannot honour (a GC library the runtime lacks) fails here, not at every restart of the service.
while IFS= read -r line; do
  read -r -a assignments <<<"${line#Environment=}"
  env_vars+=("${assignments[@]}")
done < <(grep '^Environment=' "${UNIT_PATH}")
validated=true
(cd "${DATA_DIR}" && runuser -u "${SERVICE_USER}" -- env "${env_vars[@]}" \
  "${BINARY}" validate --config "${CONFIG_DIR}/config.json") || validated=false

if [[ "${start}" != true ]]; then
  [[ "${validated}" == true ]] || die "validate failed; the service was installed but not started"
  say "Installed and validated; start with: systemctl enable --now ${SERVICE}"
  exit 0
fi
if [[ "${validated}" != true && "${start_anyway}" != true ]]; then
  die "validate failed (above); fix ${CONFIG_DIR}/config.json, then: systemctl enable --now ${SERVICE}
(or rerun with --start-anyway to record now and upload once the problem is fixed)"
fi

systemctl enable "${SERVICE}" >/dev/null
systemctl restart "${SERVICE}"
say "${SERVICE} is $(systemctl is-active "${SERVICE}"); logs: journalctl -u ${SERVICE} -f; state: ${BINARY} status --data-dir ${DATA_DIR}"
[[ "${validated}" == true ]] || { echo "install.sh: started although validate failed (--start-anyway)" >&2; exit 2; }
