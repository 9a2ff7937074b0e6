#!/usr/bin/env bash
# Install Debian's LibreOffice Calc without a GUI (soffice), with which tests/files/test_ledger.py opens
# the ledger's XLSX and CSV as a spreadsheet user would, if missing. Without it that test skips.
set -euo pipefail
if ! command -v soffice >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq libreoffice-calc-nogui >&2
fi
soffice --version >&2
