#!/usr/bin/env bash
# Installs the Debian packages the real-OpenStack lane needs (OpenStack Zed
# from bookworm: keystone, cinder, nova, placement, swift as libraries, plus
# MariaDB and RabbitMQ). Package scripts must not start services, so a
# policy-rc.d that answers 101 is in place for the install (and removed again
# if this script put it there). A no-op when everything is installed.
set -euo pipefail

PACKAGES=(python3-keystone python3-cinder python3-nova python3-placement python3-swift
  rabbitmq-server mariadb-server mariadb-client curl procps)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "openstack packages: all installed"
  exit 0
fi

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
policy=/usr/sbin/policy-rc.d
placed=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  placed=1
fi
trap '[ -z "$placed" ] || $SUDO rm -f "$policy"' EXIT

echo "openstack packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing on a fresh machine (or a slim image).
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
