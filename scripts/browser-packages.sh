#!/usr/bin/env bash
# Install Debian's Chromium and the fonts the browser tests need, when missing.
# The browser tests drive /usr/bin/chromium through Playwright; Playwright's own
# browser downloads are never used. Without root the script names the missing
# packages and exits 0, and the tests then skip with a message.
set -euo pipefail

# fonts-noto-core contains Noto Sans Telugu, so screenshots show Telugu shaped.
packages=(chromium fonts-noto-core)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Skipping browser packages (not root): ${missing[*]}. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi

echo "Installing browser packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
