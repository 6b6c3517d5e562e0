#!/usr/bin/env bash
# README's test command: installs what the tests need when it is missing, runs every test project one after another,
# and ends with one plain line over all of them. Extra arguments go to `dotnet test` (e.g. --filter "Category!=Slow").
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v rtsp-server-perl >/dev/null 2>&1 || missing+=(rtsp-server-perl)
command -v rclone >/dev/null 2>&1 || missing+=(rclone)
# npm fetches hls.js (functions/Player) and HashiCorp's HCL parser for the terraform tests (tests/Cctv.Deploy.Tests)
# at build time; the player page's browser test drives Debian's chromium.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing from Debian: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "The tests need Debian's ${missing[*]}: run  sudo apt-get install -y ${missing[*]}  and then this again." >&2
    exit 2
  fi
fi
command -v terraform >/dev/null 2>&1 || echo "warning: terraform is not on PATH; the terraform fmt test fails under CI=true"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test CctvServerless.sln -m:1 "$@" 2>&1 | tee "$log" || status=$?

# One plain closing line over every test assembly.
awk '/^(Passed|Failed)! +- Failed: / {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
