#!/usr/bin/env bash
# Install the npm packages of tests/js/package.json into .cache/npm (ignored),
# unless they are there already. Exit 0 when they are, non-zero otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=.cache/npm
if cmp -s tests/js/package.json "$target/package.json" \
   && [ -f "$target/node_modules/ketting/package.json" ]; then
  exit 0
fi
mkdir -p "$target"
cp tests/js/package.json "$target/package.json"
npm install --prefix "$target" --no-audit --no-fund --loglevel=error
