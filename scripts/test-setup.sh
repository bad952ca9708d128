#!/usr/bin/env bash
# System packages the test suite needs that no wheel provides: Debian's chromium and its
# chromedriver, which drive the reviewer's page and the studio in a real headless browser
# (tests/publish/test_review_browser.py, tests/studio/test_browser.py), and a CJK font so
# the studio's screenshots show Korean text instead of boxes. Idempotent: installs only what
# is missing. CI runs
# `make test` as root on a fresh machine, so this must work unattended; when it cannot
# install, it fails loudly (and so does the browser test) instead of skipping.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if [ "${#need[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "test-setup: ${need[*]} missing and this user cannot install packages;" \
        "run as root: apt-get update && apt-get install -y --no-install-recommends" \
        "chromium chromium-driver fonts-noto-cjk" >&2
    exit 1
fi

echo "test-setup: installing ${need[*]} (Debian packages) for the browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
"${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
for tool in /usr/bin/chromium /usr/bin/chromedriver; do
    if [ ! -x "$tool" ]; then
        echo "test-setup: $tool is still missing after apt-get install" >&2
        exit 1
    fi
done
