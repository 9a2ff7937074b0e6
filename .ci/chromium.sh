#!/usr/bin/env bash
# Install Debian's Chromium (driven by Playwright with executablePath in the browser tests) and CJK
# fonts for the Chinese labels in screenshots, if missing.
set -euo pipefail
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium fonts-noto-cjk >&2
fi
/usr/bin/chromium --version >&2
