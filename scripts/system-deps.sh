#!/usr/bin/env bash
# Installs the Debian packages the platform and its tests need, only those that are missing.
#   tesseract-ocr tesseract-ocr-tha  offline OCR baseline (Thai + English)
#   fonts-thai-tlwg                  Thai fonts for rendering demo forms (Laksaman print, Purisa handwriting)
#   fonts-dkg-handwriting fonts-breip fonts-humor-sans fonts-bwht
#                                    Latin handwriting faces: more hands for the digits on demo forms
#   postgresql                       server binaries for the test suite's real PostgreSQL
#   chromium                         headless browser test of the review app
#   docker-compose                   `docker-compose config` check of the production file
set -euo pipefail

packages=(tesseract-ocr tesseract-ocr-tha fonts-thai-tlwg fonts-dkg-handwriting fonts-breip fonts-humor-sans fonts-bwht
          postgresql chromium docker-compose)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing system packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
