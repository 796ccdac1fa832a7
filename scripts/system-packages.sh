#!/usr/bin/env bash
# Install Debian packages when they are missing: the ones given as arguments, or
# by default the ones that build the project. As root the missing ones are
# installed with apt-get. Otherwise the script names them and exits 0, because
# pip may still find prebuilt wheels and the browser tests skip with a message.
set -euo pipefail

# gcc, g++ and cmake build llama-cpp-python from source.
packages=(build-essential cmake python3-venv python3-dev)
if [ $# -gt 0 ]; then
  packages=("$@")
fi

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
  echo "Skipping Debian packages (not root): ${missing[*]}. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi

echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
