# Settings shared by the lane's scripts (sourced).
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OS_DIR=${PROTECTOR_OS_DIR:-$REPO/build/openstack}
# Debian's interpreter, which sees the packaged OpenStack libraries (not a
# pyenv or virtualenv python earlier in PATH).
PY=/usr/bin/python3
export PYTHONPATH=$REPO/tools/openstack/py
export PYTHONDONTWRITEBYTECODE=1
SITES=(site-a site-b)
DB_PORT=3306
MQ_PORT=5672
# Passwords of a throw-away loopback cloud (also in clouds.yaml).
ADMIN_PASSWORD=admin-password
SERVICE_PASSWORD=service-password
export PROTECTOR_OS_DIR=$OS_DIR ADMIN_PASSWORD SERVICE_PASSWORD

site_ip() { case $1 in site-a) echo 127.0.0.1 ;; site-b) echo 127.0.0.2 ;; esac; }
site_region() { case $1 in site-a) echo RegionOne ;; site-b) echo RegionTwo ;; esac; }
site_array() { case $1 in site-a) echo flasharray-a ;; site-b) echo flasharray-b ;; esac; }
site_backends() { case $1 in site-a) echo backend-a,backend-c ;; site-b) echo backend-b ;; esac; }
site_id() { echo "${1//-/_}"; }
