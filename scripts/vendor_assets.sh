#!/usr/bin/env bash
# Fetch the portal's front-end assets from the npm registry and vendor them under
# yiwang/static/vendor/, with a gzip copy of each for the precompressed static route.
# Nothing is loaded from a CDN at run time: the files below are all the browser fetches.
#
#   package             version  licence      files taken
#   echarts             4.9.0    Apache-2.0   dist/echarts.min.js, map/json/province/zhejiang.json
#   htmx.org            2.0.11   0BSD         dist/htmx.min.js
#
# echarts is pinned to 4.9.0 because it is the last release that ships the map data of
# China's provinces (map/json/province/zhejiang.json: the 11 cities of Zhejiang, in ECharts'
# compressed coordinates). htmx stays on the 2.x line, whose attributes the templates use.
#
# Usage: scripts/vendor_assets.sh   (needs npm, tar, gzip; rerun after changing a version)
set -euo pipefail
cd "$(dirname "$0")/.."

ECHARTS_VERSION=4.9.0
HTMX_VERSION=2.0.11
DEST=yiwang/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

unpack() {  # unpack PACKAGE@VERSION into $work/NAME
  local spec=$1 name=$2
  (cd "$work" && npm pack --silent "$spec" >"$name.tgz.name")
  mkdir -p "$work/$name"
  tar -xzf "$work/$(cat "$work/$name.tgz.name")" -C "$work/$name" --strip-components=1
}

unpack "echarts@$ECHARTS_VERSION" echarts
unpack "htmx.org@$HTMX_VERSION" htmx

mkdir -p "$DEST/echarts" "$DEST/htmx"
cp "$work/echarts/dist/echarts.min.js" "$DEST/echarts/echarts.min.js"
cp "$work/echarts/map/json/province/zhejiang.json" "$DEST/echarts/zhejiang.json"
cp "$work/echarts/LICENSE" "$DEST/echarts/LICENSE"
[ -f "$work/echarts/NOTICE" ] && cp "$work/echarts/NOTICE" "$DEST/echarts/NOTICE"
cp "$work/htmx/dist/htmx.min.js" "$DEST/htmx/htmx.min.js"
cp "$work/htmx/LICENSE" "$DEST/htmx/LICENSE"

cat >"$DEST/VERSIONS" <<EOF
echarts $ECHARTS_VERSION Apache-2.0 (npm: echarts; dist/echarts.min.js, map/json/province/zhejiang.json)
htmx.org $HTMX_VERSION 0BSD (npm: htmx.org; dist/htmx.min.js)
EOF

# Precompressed copies: the portal serves these to browsers that accept gzip (-n: no name or
# time stamp in the header, so a rerun gives the same bytes).
for file in "$DEST"/echarts/*.js "$DEST"/echarts/*.json "$DEST"/htmx/*.js; do
  gzip -9 -n -c "$file" >"$file.gz"
done
ls -l "$DEST"/*/
