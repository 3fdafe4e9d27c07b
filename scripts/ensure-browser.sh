#!/usr/bin/env bash
# What the portal's browser tests (services/portal/tests/browser) need: Debian's Chromium,
# headless (Python's playwright never downloads a browser here, stack.md: it launches
# /usr/bin/chromium), and npm, which installs the pinned axe-core the tests inject.
# Installs what is missing with apt (as root).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver fonts-dejavu-core)
# its French resources: date fields shown dd/mm/yyyy, as a browser in France shows them
[ -f /usr/lib/chromium/locales/fr.pak ] || missing+=(chromium-l10n)
command -v npm >/dev/null || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ensure-browser: missing ${missing[*]}; run as root to install them with apt" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
/usr/bin/chromium --version
