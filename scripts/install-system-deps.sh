#!/usr/bin/env bash
# Installs the Debian packages Crestwatch uses, only those that are missing.
#   tesseract-ocr: text inside images;  chromium: screenshots of the report in tests;
#   poppler-utils: PDF pages to PNG;    unzip, curl, maven: fetching and running Elasticsearch;
#   libcairo2: SVG logos.
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
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
