#!/usr/bin/env bash
# Install Debian's Chromium and the fonts the browser tests need, when missing.
# The browser tests drive /usr/bin/chromium through Playwright; Playwright's own
# browser downloads are never used. fonts-noto-core contains Noto Sans Telugu,
# so the screenshots show Telugu shaped.
set -euo pipefail

exec "$(dirname "$0")/system-packages.sh" chromium fonts-noto-core
