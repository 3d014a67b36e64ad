#!/usr/bin/env bash
# make deb: builds the Debian packages (debian/) and puts them into OUT (default build/):
# herald_<version>_<arch>.deb, herald-sendmail_<version>_all.deb, their .buildinfo and
# .changes. dpkg-buildpackage writes them beside the source tree; nothing is left there.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build}

# debhelper (compat 13) runs its commands with HOME in a temporary directory, where ccache
# would look for an empty cache: name the real one, so that the package build finds every
# object `make build` compiled.
if [ -z "${CCACHE_DIR:-}" ] && command -v ccache >/dev/null; then
  CCACHE_DIR=$(ccache -k cache_dir)
  export CCACHE_DIR
fi

dpkg-buildpackage -b -us -uc

version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
mkdir -p "$out"
# debian/files lists what was built: the .debs and the .buildinfo.
for file in $(cut -d' ' -f1 debian/files) "herald_${version}_${arch}.changes"; do
  mv -f "../$file" "$out/"
done
echo "deb: $out/herald_${version}_${arch}.deb"
