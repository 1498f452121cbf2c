#!/usr/bin/env bash
# Installs the Debian packages Crestwatch uses, only those that are missing.
#   tesseract-ocr: text inside images;  chromium: screenshots of the report in tests;
#   poppler-utils: PDF pages to PNG;    unzip, curl, maven: fetching and running Elasticsearch;
#   libcairo2: SVG logos;
#   gnome-backgrounds, mate-backgrounds, ukui-wallpapers, desktop-base: the photographs of the
#   public logo benchmark (detectors/logo/public_bench.py; its marks: scripts/fetch-logo-marks.sh).
set -euo pipefail
need=()
command -v tesseract >/dev/null || need+=(tesseract-ocr tesseract-ocr-eng)
command -v chromium >/dev/null || need+=(chromium)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
command -v unzip >/dev/null || need+=(unzip)
command -v curl >/dev/null || need+=(curl)
command -v mvn >/dev/null || need+=(maven)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
# cairosvg rasterises SVG reference logos through libcairo.
ldconfig -p 2>/dev/null | grep -q 'libcairo.so.2' || need+=(libcairo2)
# The public logo benchmark's photographs.
[ -d /usr/share/backgrounds/gnome ] || need+=(gnome-backgrounds)
[ -d /usr/share/backgrounds/mate ] || need+=(mate-backgrounds)
[ -f /usr/share/backgrounds/city.png ] || need+=(ukui-wallpapers)
[ -d /usr/share/desktop-base ] || need+=(desktop-base)
command -v redis-server >/dev/null || need+=(redis-server)
# Debian keeps the server binaries in /usr/lib/postgresql/<version>/bin, off PATH.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null \
    || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
