#!/usr/bin/env bash
# Refreshes the dashboard's vendored scripts in app/web/static/vendor/ from the npm registry.
# The versions are pinned here; the files are committed, so neither `make run` nor CI needs
# npm or the internet. Run it by hand (needs npm) after changing a version, then commit.
set -euo pipefail
cd "$(dirname "$0")/.."

PREACT=10.27.2   # components and hooks, 4 kB + 1.5 kB as ES modules
HTM=3.1.1        # JSX-like templates in tagged strings, so no build step
GRAPHIQL=3.9.0   # the last GraphiQL with a UMD bundle (4 and later are ES modules for bundlers)
REACT=18.3.1     # GraphiQL 3 needs React 18; 18 is the last React with UMD builds

out=app/web/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

unpack() {  # unpack NAME VERSION -> $work/NAME
  (cd "$work" && npm pack --silent "$1@$2" >/dev/null)
  mkdir -p "$work/$1"
  tar xzf "$work/$1-$2.tgz" -C "$work/$1" --strip-components=1
}

unpack htm "$HTM"
unpack preact "$PREACT"
unpack graphiql "$GRAPHIQL"
unpack react "$REACT"
unpack react-dom "$REACT"

rm -rf "$out"
mkdir -p "$out"
cp "$work/preact/dist/preact.module.js" "$out/preact.module.js"
# hooks import "preact" by its bare name, which a browser cannot resolve without an import map.
sed 's|from"preact"|from"./preact.module.js"|' "$work/preact/hooks/dist/hooks.module.js" \
  >"$out/hooks.module.js"
cp "$work/htm/dist/htm.module.js" "$out/htm.module.js"
cp "$work/graphiql/graphiql.min.js" "$out/graphiql.min.js"
cp "$work/graphiql/graphiql.min.css" "$out/graphiql.min.css"
cp "$work/react/umd/react.production.min.js" "$out/react.production.min.js"
cp "$work/react-dom/umd/react-dom.production.min.js" "$out/react-dom.production.min.js"
# The bundles end with a sourceMappingURL comment; the maps are not shipped.
sed -i '/^\/\/# sourceMappingURL=/d' "$out"/*.js

mkdir -p "$out/licenses"
cp "$work/htm/LICENSE" "$out/licenses/htm-$HTM.LICENSE"
cp "$work/preact/LICENSE" "$out/licenses/preact-$PREACT.LICENSE"
cp "$work/graphiql/LICENSE" "$out/licenses/graphiql-$GRAPHIQL.LICENSE"
cp "$work/react/LICENSE" "$out/licenses/react-$REACT.LICENSE"
cp "$work/react-dom/LICENSE" "$out/licenses/react-dom-$REACT.LICENSE"

{
  echo "Vendored by scripts/vendor.sh from the npm registry; do not edit by hand."
  echo "preact $PREACT (dist/preact.module.js, hooks/dist/hooks.module.js with its import made relative)"
  echo "htm $HTM (dist/htm.module.js)"
  echo "graphiql $GRAPHIQL (graphiql.min.js, graphiql.min.css)"
  echo "react $REACT, react-dom $REACT (umd/*.production.min.js)"
} >"$out/VERSIONS.txt"
(cd "$out" && sha256sum ./*.js ./*.css >>VERSIONS.txt)
echo "vendored into $out"
