#!/bin/sh
# Installs Debian's chromium for the headless browser tests (playwright-core drives it; no tool
# downloads a browser of its own). Does nothing when /usr/bin/chromium is already there.
set -eu
if [ -x /usr/bin/chromium ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: /usr/bin/chromium is missing and apt-get is not available; install Chromium yourself" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent in a fresh container; refresh them once if the install fails.
# Another process may be installing packages at the same moment: wait for dpkg's lock.
APT="$SUDO apt-get -o DPkg::Lock::Timeout=300 -q"
$APT install -y --no-install-recommends chromium >/dev/null 2>&1 || {
  $APT update >/dev/null
  $APT install -y --no-install-recommends chromium >/dev/null
}
test -x /usr/bin/chromium
