#!/usr/bin/env bash
# Install the npm packages of tests/js/package.json into .cache/npm (ignored),
# unless they are there already. Exit 0 when they are, non-zero otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=.cache/npm

# NOTE: "there" means every dependency of the copied package.json, at the
# pinned version: a package added to tests/js/package.json (axe-core after
# Ketting) or a half-finished earlier install is installed again.
installed() {
  cmp -s tests/js/package.json "$target/package.json" && node -e '
    const fs = require("fs"), path = require("path");
    const target = process.argv[1];
    const wanted = require(path.resolve(target, "package.json")).dependencies;
    for (const [name, version] of Object.entries(wanted)) {
      const file = path.join(target, "node_modules", name, "package.json");
      if (JSON.parse(fs.readFileSync(file, "utf8")).version !== version) process.exit(1);
    }' "$target" 2>/dev/null
}

if installed; then
  exit 0
fi
mkdir -p "$target"
cp tests/js/package.json "$target/package.json"
npm install --prefix "$target" --no-audit --no-fund --loglevel=error
installed
