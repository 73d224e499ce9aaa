#!/usr/bin/env bash
# Wrap the PyInstaller .app (packaging/autopr-console.spec on macOS) in a drag-to-install .dmg.
#   packaging/macos/make_dmg.sh [DIST_DIR]   (default build/pkg/dist)
# Output: build/pkg/autopr-console-<version>.dmg. Unsigned: signing and
# notarisation need the project's Apple credentials (codesign + notarytool).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIST="${1:-$ROOT/build/pkg/dist}"
APP="$DIST/AutoPR Console.app"
VERSION="$(cd "$ROOT" && python3 -c 'import sys; sys.path.insert(0, "."); import console; print(console.__version__)')"
[ -d "$APP" ] || { echo "make_dmg.sh: $APP not found; build it first" >&2; exit 1; }

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
OUT="$ROOT/build/pkg/autopr-console-$VERSION.dmg"
mkdir -p "$(dirname "$OUT")"
hdiutil create -volname "AutoPR Console $VERSION" -srcfolder "$STAGE" -fs HFS+ \
  -format UDZO -ov "$OUT"
echo "dmg: $OUT ($(du -h "$OUT" | cut -f1))"
