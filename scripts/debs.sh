#!/usr/bin/env bash
# Install the named Debian packages where they are missing; as a non-root user, say what to install.
set -euo pipefail
missing=()
for pkg in "$@"; do
  # Node.js from NodeSource bundles npm; Debian's own nodejs needs its npm package.
  if [ "$pkg" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  if [ "$pkg" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "缺少系统软件包 / missing Debian packages: ${missing[*]}" >&2
  echo "请管理员执行 / ask an administrator to run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "== apt-get install ${missing[*]} =="
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
