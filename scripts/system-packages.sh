#!/usr/bin/env bash
# Installs the Debian packages the test suite's real servers need: Dovecot (IMAP), PostgreSQL,
# OpenSSH (sshd and its sftp-server), and Chromium for the web queue's browser tests (Playwright
# drives Debian's chromium; it never downloads a browser of its own), and Tesseract with its English,
# Spanish, German, French and Dutch language data for OCR of scanned and faxed orders. gcc builds
# the X12 modules compiled with mypyc (scripts/build_compiled.py), with python3-dev when the Python
# given as $1 (the venv's) has no Python.h of its own.
# Run as root, as CI is; a developer without root installs them once by hand.
set -euo pipefail
packages=(dovecot-imapd postgresql openssh-server chromium
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-nld
  gcc)
include=$("${1:-python3}" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
[ -e "$include/Python.h" ] || packages+=(python3-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The packages may start system-wide servers; the tests start their own on free ports.
