#!/usr/bin/env bash
# Installs the Debian 12 packages Herald builds and tests with; installs only what is missing.
# The last line builds and checks the Debian package (make deb, tests/package).
# `deps.sh bench` adds what only the benchmark needs (OpenDKIM, Postfix's signing peer).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev lld
  libboost1.81-dev libssl-dev libunbound-dev libtomlplusplus-dev libyaml-cpp-dev
  libcli11-dev libfmt-dev libcrypt-dev libpsl-dev libidn2-dev libgmime-3.0-dev libsqlite3-dev libsystemd-dev libhiredis-dev libgtest-dev libevent-dev zlib1g-dev
  openssl swaks libnet-ssleay-perl libauthen-sasl-perl curl iproute2
  python3 python3-pytest python3-pytest-xdist python3-requests python3-aiosmtpd python3-dkim python3-prometheus-client
  chromium chromium-driver python3-selenium
  unbound nsd ldnsutils postfix mailutils testssl.sh redis-server python3-redis
  debhelper dpkg-dev lintian systemd man-db
)
if [ "${1:-}" = bench ]; then
  packages+=(opendkim opendkim-tools)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Postfix is only wanted for smtp-sink/smtp-source: no configuration, nothing on port 25.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
