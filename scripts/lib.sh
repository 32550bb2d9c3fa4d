# Shared by the project's shell entry points (sourced, not run). Puts the project's own Node 24
# (the `node` devDependency) first on PATH, and times phases.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$ROOT/node_modules/.bin:$PATH"

phase_start() { PHASE_NAME=$1; PHASE_T0=$(date +%s); echo "==> $PHASE_NAME"; }
phase_end() { echo "<== $PHASE_NAME took $(( $(date +%s) - PHASE_T0 ))s"; }

# workspace_bins_linked: every workspace package's bin is linked in node_modules/.bin. npm links them at
# install time, so a bin added after the last install (same lockfile) needs another install.
workspace_bins_linked() {
  "$ROOT/node_modules/.bin/node" -e '
    const fs = require("fs"), path = require("path"), root = process.argv[1];
    for (const ws of require(path.join(root, "package.json")).workspaces) {
      const bin = JSON.parse(fs.readFileSync(path.join(root, ws, "package.json"), "utf8")).bin ?? {};
      for (const name of Object.keys(bin)) if (!fs.existsSync(path.join(root, "node_modules", ".bin", name))) process.exit(1);
    }' "$ROOT" 2>/dev/null
}

# ensure_node_modules: install from package-lock.json when node_modules is missing or was installed
# from another lockfile (a stamp records which). `npm install`, not `npm ci`: the registry reachable
# here lacks some other-platform optional packages (@unrs/resolver-binding-*), which `npm ci`
# demands be in the lockfile; `npm install` honours the lockfile and leaves it unchanged.
ensure_node_modules() {
  local stamp="$ROOT/node_modules/.install-stamp" want
  want=$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$ROOT/node_modules/.bin/node" ] && workspace_bins_linked; then
    echo "node_modules up to date"
    return
  fi
  (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
  echo "node $("$ROOT/node_modules/.bin/node" --version) installed in node_modules/.bin"
}

build_ts() { (cd "$ROOT" && tsc -b tsconfig.build.json); }
