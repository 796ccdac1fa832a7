#!/usr/bin/env bash
# Write a .env with a random DJANGO_SECRET_KEY on the first start.
set -euo pipefail
if [ -f .env ] && grep -q '^DJANGO_SECRET_KEY=' .env; then
  exit 0
fi
key=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
echo "DJANGO_SECRET_KEY=$key" >> .env
echo "Wrote a new DJANGO_SECRET_KEY to .env"
