#!/usr/bin/env bash
# Brings up two independent OpenStack Zed sites from Debian's packages on
# loopback, for the real-OpenStack acceptance lane (make test-openstack):
#   site-a  127.0.0.1  RegionOne     site-b  127.0.0.2  RegionTwo
# each with Keystone :5000, Placement :8778, Cinder :8776, Nova :8774 (fake
# virt driver), Swift :8080, and stub network :9696 / image :9292 endpoints,
# over one MariaDB (a schema set per site) and one RabbitMQ (a vhost per
# site). Everything lives under $PROTECTOR_OS_DIR (default build/openstack);
# every process is recorded in $PROTECTOR_OS_DIR/pids for down.sh.
# Returns when every API answers, cinder-volume is up and each site's
# compute host is mapped. On any failure it tears down what it started.
#
# Why it is built this way (facts found the hard way, see the README of
# this folder): Keystone on SQLite fails under load; Nova needs network
# and image services in the catalog even for boot-from-volume; Debian's
# OSSA-2023-003 fix makes volume detach need Nova's service token.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"

trap 'status=$?; if [ $status -ne 0 ]; then echo "up.sh: bring-up failed (logs in $OS_DIR); tearing down" >&2; "$HERE/down.sh" >&2 || true; fi' EXIT

[ ! -e "$OS_DIR/pids" ] || [ -z "$(ls -A "$OS_DIR/pids" 2>/dev/null)" ] || {
  echo "up.sh: $OS_DIR/pids is not empty: run tools/openstack/down.sh first" >&2; exit 1; }
rm -rf "$OS_DIR"
mkdir -p "$OS_DIR"/{pids,lib,debs}
T0=$SECONDS
say() { echo "[$((SECONDS - T0))s] $*"; }

# start NAME LOG CMD...: a service in its own session, so down.sh can stop
# it with everything it forked (cinder-volume forks one child per backend).
start() {
  local name=$1 log=$2; shift 2
  setsid "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$OS_DIR/pids/$name.pid"
}

wait_http() { # URL SECONDS
  local deadline=$((SECONDS + $2))
  until curl -s -o /dev/null -m 2 "$1"; do
    [ $SECONDS -lt $deadline ] || { echo "no answer from $1 after $2 s" >&2; return 1; }
    sleep 0.3
  done
}

# api-paste.ini and resource_filters.json ship in cinder-common and
# nova-common, whose maintainer scripts set up databases: take the files
# from the .debs instead of installing them. The .debs are kept in the tools
# cache (as in install-tools.sh), so only the first bring-up downloads them.
paste_files() {
  local cache=${PROTECTOR_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-protector}/debs
  mkdir -p "$cache"
  (cd "$cache" && { ls cinder-common_*.deb nova-common_*.deb >/dev/null 2>&1 ||
    apt-get download -q cinder-common nova-common >/dev/null; })
  (cd "$OS_DIR/debs" && for f in "$cache"/cinder-common_*.deb "$cache"/nova-common_*.deb; do dpkg-deb -x "$f" x; done)
  cp "$OS_DIR/debs/x/usr/share/cinder-common/api-paste.ini" "$OS_DIR/lib/cinder-api-paste.ini"
  cp "$OS_DIR/debs/x/usr/share/nova-common/api-paste.ini" "$OS_DIR/lib/nova-api-paste.ini"
  cp "$OS_DIR/debs/x/etc/cinder/resource_filters.json" "$OS_DIR/lib/resource_filters.json"
}

start_mariadb() {
  local M=$OS_DIR/mariadb
  mkdir -p "$M"
  mariadb-install-db --no-defaults --user=root --datadir="$M/data" \
    --auth-root-authentication-method=normal --skip-test-db >"$M/install.log" 2>&1
  start mariadb "$M/mariadbd.log" /usr/sbin/mariadbd --no-defaults --user=root --datadir="$M/data" \
    --socket="$M/mysqld.sock" --bind-address=127.0.0.1 --port="$DB_PORT" --pid-file="$M/mysqld.pid" \
    --skip-log-bin --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=0 \
    --max-connections=1000 --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --performance-schema=OFF
  local deadline=$((SECONDS + 60))
  until mariadb --no-defaults -S "$M/mysqld.sock" -uroot -e 'select 1' >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "mariadb did not start" >&2; return 1; }
    sleep 0.3
  done
  local sql="CREATE USER 'lane'@'127.0.0.1' IDENTIFIED BY 'lane'; GRANT ALL ON *.* TO 'lane'@'127.0.0.1';"
  local site db
  for site in "${SITES[@]}"; do
    for db in keystone placement cinder nova_api nova nova_cell0; do
      sql+=" CREATE DATABASE ${db}_$(site_id "$site");"
    done
  done
  mariadb --no-defaults -S "$M/mysqld.sock" -uroot -e "$sql"
}

start_rabbitmq() {
  local R=$OS_DIR/rabbitmq
  mkdir -p "$R"/{mnesia,log,home}
  # RabbitMQ reads each RABBITMQ_<X> setting from <X> when the prefixed
  # variable is unset (rabbit_env's get_prefixed_env_var, for
  # rabbitmq-env.conf): a LOGS or NODENAME of the calling shell would be
  # taken as its log file or node name. Every such name is cleared and the
  # ones the lane needs are set with the prefix.
  cat >"$R/env.sh" <<EOT
unset ADVANCED_CONFIG_FILE ALLOW_INPUT BASE CONFIG_FILE CONFIG_FILES CONF_ENV_FILE DBG DEFAULT_PASS \
  DEFAULT_USER DEFAULT_VHOST DIST_PORT ENABLED_PLUGINS ENABLED_PLUGINS_FILE ERLANG_COOKIE FEATURE_FLAGS \
  FEATURE_FLAGS_FILE KEEP_PID_FILE_ON_EXIT LOG LOGS LOG_BASE LOG_FF_REGISTRY MNESIA_BASE MNESIA_DIR \
  MOTD_FILE NODENAME NODE_IP_ADDRESS NODE_PORT PID_FILE PLUGINS_DIR PLUGINS_EXPAND_DIR PRODUCT_NAME \
  PRODUCT_VERSION QUORUM_DIR STREAM_DIR UPGRADE_LOG USE_LONGNAME SERVER_ERL_ARGS CTL_ERL_ARGS
export HOME=$R/home RABBITMQ_NODENAME=lane@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$MQ_PORT RABBITMQ_DIST_PORT=25672 RABBITMQ_MNESIA_BASE=$R/mnesia
export RABBITMQ_LOG_BASE=$R/log RABBITMQ_PID_FILE=$R/rabbit.pid RABBITMQ_ENABLED_PLUGINS_FILE=$R/enabled_plugins
export RABBITMQ_CONFIG_FILE=$R/rabbitmq ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=4369
EOT
  echo '[].' >"$R/enabled_plugins"
  printf 'loopback_users = none\nlisteners.tcp.default = 127.0.0.1:%s\n' "$MQ_PORT" >"$R/rabbitmq.conf"
  (
    source "$R/env.sh"
    # epmd runs in the foreground under our session, so down.sh stops it.
    start epmd "$R/log/epmd.log" /usr/bin/epmd -address 127.0.0.1
    start rabbitmq "$R/log/server.log" /usr/lib/rabbitmq/bin/rabbitmq-server
    local ctl=/usr/lib/rabbitmq/bin/rabbitmqctl
    $ctl wait --timeout 90 "$R/rabbit.pid" >/dev/null
    $ctl add_user lane lane >/dev/null
    for site in "${SITES[@]}"; do
      $ctl add_vhost "$site" >/dev/null
      $ctl set_permissions -p "$site" lane '.*' '.*' '.*' >/dev/null
    done
  )
}

# ---- configuration of one site

auth_section() { # SITE USER: keystonemiddleware / keystoneauth settings
  cat <<EOT
auth_url = http://$(site_ip "$1"):5000/v3
www_authenticate_uri = http://$(site_ip "$1"):5000/v3
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $SERVICE_PASSWORD
region_name = $(site_region "$1")
memcached_servers =
EOT
}

configure_site() {
  local S=$1 IP R D id
  IP=$(site_ip "$S") R=$(site_region "$S") D=$OS_DIR/$S id=$(site_id "$S")
  mkdir -p "$D"/{log,state,lock,instances,fernet-keys,credential-keys}
  local DB="mysql+pymysql://lane:lane@127.0.0.1:$DB_PORT"
  local MQ="rabbit://lane:lane@127.0.0.1:$MQ_PORT/$S"

  cat >"$D/keystone.conf" <<EOT
[DEFAULT]
log_file = $D/log/keystone.log
[database]
connection = $DB/keystone_$id?charset=utf8
[token]
provider = fernet
[identity]
# bcrypt's default 12 rounds cost ~0.25 s of CPU per password login, and
# every OpenTofu run logs in several times: on 2 cores Keystone took most
# of the lane's time. 4 is bcrypt's minimum (a throw-away loopback cloud).
password_hash_rounds = 4
[fernet_tokens]
key_repository = $D/fernet-keys
[fernet_receipts]
key_repository = $D/fernet-keys
[credential]
key_repository = $D/credential-keys
# Token validations (every new token, by every service) and catalogs are
# cached in the Keystone process: uncached, one validation took 1.6-3.3 s
# on the busy 2-core machine.
[cache]
enabled = true
backend = dogpile.cache.memory
EOT

  cat >"$D/placement.conf" <<EOT
[DEFAULT]
log_file = $D/log/placement.log
[placement_database]
connection = $DB/placement_$id?charset=utf8
[api]
auth_strategy = keystone
[keystone_authtoken]
$(auth_section "$S" placement)
EOT

  # Backends of the site: each stands for the site's FlashArray. site-a has
  # a second backend (backend-c, its own availability zone) for the
  # "volume on another backend" case.
  local backends backend_sections
  backends=$(site_backends "$S")
  backend_sections=""
  local b pool az
  for b in ${backends//,/ }; do
    pool=pool-${b#backend-}
    az=nova
    [ "$b" != backend-c ] || az=zone-c
    backend_sections+="
[$b]
volume_driver = protector_pure_fake.ProtectorPureFakeDriver
volume_backend_name = pure
backend_availability_zone = $az
protector_array = $(site_array "$S")
protector_pool = $pool
protector_arrays_file = $OS_DIR/flasharrays.json
"
  done

  cat >"$D/cinder.conf" <<EOT
[DEFAULT]
transport_url = $MQ
auth_strategy = keystone
host = pure
my_ip = $IP
state_path = $D/state
api_paste_config = $OS_DIR/lib/cinder-api-paste.ini
resource_query_filters_file = $OS_DIR/lib/resource_filters.json
osapi_volume_listen = $IP
osapi_volume_listen_port = 8776
osapi_volume_workers = 1
enabled_backends = $backends
storage_availability_zone = nova
default_volume_type = __DEFAULT__
rootwrap_config = /nonexistent
scheduler_default_filters = AvailabilityZoneFilter,CapacityFilter,CapabilitiesFilter
report_interval = 5
periodic_interval = 10
[database]
connection = $DB/cinder_$id?charset=utf8
[oslo_concurrency]
lock_path = $D/lock
[oslo_messaging_notifications]
driver = noop
[keystone_authtoken]
$(auth_section "$S" cinder)
service_token_roles = service
service_token_roles_required = true
[nova]
$(auth_section "$S" nova)
interface = public
$backend_sections
EOT

  cat >"$D/nova.conf" <<EOT
[DEFAULT]
transport_url = $MQ
host = $S-compute
my_ip = $IP
state_path = $D/state
instances_path = $D/instances
compute_driver = fake.FakeDriver
enabled_apis = osapi_compute
osapi_compute_listen = $IP
osapi_compute_listen_port = 8774
osapi_compute_workers = 1
heal_instance_info_cache_interval = -1
instance_usage_audit = false
report_interval = 5
[wsgi]
api_paste_config = $OS_DIR/lib/nova-api-paste.ini
[api]
auth_strategy = keystone
[api_database]
connection = $DB/nova_api_$id?charset=utf8
[database]
connection = $DB/nova_$id?charset=utf8
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 5
[oslo_concurrency]
lock_path = $D/lock
[oslo_messaging_notifications]
driver = noop
[notifications]
notification_format = unversioned
[vnc]
enabled = false
[keystone_authtoken]
$(auth_section "$S" nova)
[placement]
$(auth_section "$S" placement)
[glance]
api_servers = http://$IP:9292
[neutron]
$(auth_section "$S" nova)
[service_user]
send_service_user_token = true
$(auth_section "$S" nova)
[cinder]
os_region_name = $R
catalog_info = volumev3::publicURL
$(auth_section "$S" cinder)
EOT

  configure_swift "$S"
}

configure_swift() { # one replica on a plain folder, Keystone auth in the proxy
  local S=$1 IP SW
  IP=$(site_ip "$S") SW=$OS_DIR/$S/swift
  mkdir -p "$SW/devices/d1"
  cat >"$SW/swift.conf" <<EOT
[swift-hash]
swift_hash_path_suffix = protector-$S
swift_hash_path_prefix = protector
[storage-policy:0]
name = Policy-0
default = yes
EOT
  local common="user = root
swift_dir = $SW
devices = $SW/devices
mount_check = false
workers = 0
bind_ip = $IP"
  local entry server port
  for entry in account:6202 container:6201 object:6200; do
    server=${entry%%:*} port=${entry#*:}
    printf '[DEFAULT]\n%s\nbind_port = %s\nlog_name = %s-%s\n[pipeline:main]\npipeline = %s-server\n[app:%s-server]\nuse = egg:swift#%s\n' \
      "$common" "$port" "$S" "$server" "$server" "$server" "$server" >"$SW/$server-server.conf"
  done
  cat >"$SW/proxy-server.conf" <<EOT
[DEFAULT]
$common
bind_port = 8080
log_name = $S-proxy
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging listing_formats authtoken keystoneauth copy dlo slo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
$(auth_section "$S" swift)
delay_auth_decision = True
[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, member
reseller_prefix = AUTH_
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:dlo]
use = egg:swift#dlo
[filter:slo]
use = egg:swift#slo
EOT
  "$PY" - "$SW" "$IP" <<'PYEOF'
import sys
from swift.common.ring import RingBuilder
swift_dir, ip = sys.argv[1:3]
for name, port in (('account', 6202), ('container', 6201), ('object', 6200)):
    b = RingBuilder(6, 1, 1)  # 2^6 partitions, one replica, one device
    b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': ip, 'port': port, 'device': 'd1', 'weight': 100, 'meta': ''})
    b.rebalance()
    b.get_ring().save('%s/%s.ring.gz' % (swift_dir, name))
PYEOF
}

# ---- one site, from empty schemas to every API answering

bring_up_site() {
  local S=$1 IP R D L
  IP=$(site_ip "$S") R=$(site_region "$S") D=$OS_DIR/$S L=$OS_DIR/$S/log
  local M="$PY $HERE/py/launch.py main"
  configure_site "$S"
  start "$S-swift" "$L/swift.log" "$PY" "$HERE/py/launch.py" swift "$D/swift"

  $M keystone.cmd.manage --config-file "$D/keystone.conf" db_sync
  $M keystone.cmd.manage --config-file "$D/keystone.conf" fernet_setup --keystone-user root --keystone-group root
  $M keystone.cmd.manage --config-file "$D/keystone.conf" credential_setup --keystone-user root --keystone-group root
  $M keystone.cmd.manage --config-file "$D/keystone.conf" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
    --bootstrap-region-id "$R" --bootstrap-public-url "http://$IP:5000/v3" \
    --bootstrap-internal-url "http://$IP:5000/v3" --bootstrap-admin-url "http://$IP:5000/v3" >>"$L/keystone-manage.log" 2>&1
  OS_KEYSTONE_CONFIG_FILES=$D/keystone.conf start "$S-keystone" "$L/keystone-api.log" \
    "$PY" "$HERE/py/launch.py" wsgi "$IP" 5000 keystone.server.wsgi:initialize_public_application
  say "$S: keystone starting; syncing the other schemas"

  OS_PLACEMENT_CONFIG_DIR=$D $M placement.cmd.manage --config-file "$D/placement.conf" db sync >>"$L/db-sync.log" 2>&1
  $M cinder.cmd.manage --config-file "$D/cinder.conf" db sync >>"$L/db-sync.log" 2>&1
  $M nova.cmd.manage --config-file "$D/nova.conf" api_db sync >>"$L/db-sync.log" 2>&1
  $M nova.cmd.manage --config-file "$D/nova.conf" cell_v2 map_cell0 \
    --database_connection "mysql+pymysql://lane:lane@127.0.0.1:$DB_PORT/nova_cell0_$(site_id "$S")?charset=utf8" >>"$L/db-sync.log" 2>&1
  $M nova.cmd.manage --config-file "$D/nova.conf" cell_v2 create_cell --name cell1 >>"$L/db-sync.log" 2>&1
  $M nova.cmd.manage --config-file "$D/nova.conf" db sync >>"$L/db-sync.log" 2>&1
  say "$S: schemas synced"

  wait_http "http://$IP:5000/v3" 90
  "$PY" "$HERE/py/lane_fixtures.py" register "$S"
  say "$S: keystone answering; services, users and endpoints registered"

  OS_PLACEMENT_CONFIG_DIR=$D start "$S-placement" "$L/placement-api.log" \
    "$PY" "$HERE/py/launch.py" wsgi "$IP" 8778 placement.wsgi:init_application
  start "$S-network-stub" "$L/network-stub.log" "$PY" "$HERE/py/launch.py" wsgi "$IP" 9696 stubs:application
  start "$S-image-stub" "$L/image-stub.log" "$PY" "$HERE/py/launch.py" wsgi "$IP" 9292 stubs:application
  local svc
  for svc in api scheduler volume; do
    start "$S-cinder-$svc" "$L/cinder-$svc.log" $M cinder.cmd.$svc --config-file "$D/cinder.conf"
  done
  for svc in api conductor scheduler compute; do
    start "$S-nova-$svc" "$L/nova-$svc.log" $M nova.cmd.$svc --config-file "$D/nova.conf"
  done
  wait_http "http://$IP:8778/" 120
  wait_http "http://$IP:8776/" 120
  wait_http "http://$IP:8774/" 120
  wait_http "http://$IP:8080/healthcheck" 60
  say "$S: every API answering"
}

say "preparing"
paste_files
start_mariadb &
db_job=$!
start_rabbitmq
wait $db_job
say "mariadb and rabbitmq up"

# Both sites at once: the schema syncs are CPU-bound but spend much of
# their time waiting on MariaDB.
jobs=()
for site in "${SITES[@]}"; do
  bring_up_site "$site" >"$OS_DIR/up-$site.log" 2>&1 &
  jobs+=($!)
done
failed=0
for j in "${jobs[@]}"; do wait "$j" || failed=1; done
cat "$OS_DIR"/up-site-*.log | grep -v -e '^Exception ignored' -e '^Traceback' -e '^  File' -e '^AttributeError' || true
[ $failed = 0 ] || { echo "up.sh: a site failed to come up (see $OS_DIR/up-<site>.log and $OS_DIR/<site>/log)" >&2; exit 1; }

jobs=()
for site in "${SITES[@]}"; do
  "$PY" "$HERE/py/lane_fixtures.py" ready "$site" &
  jobs+=($!)
done
for j in "${jobs[@]}"; do wait "$j" || failed=1; done
[ $failed = 0 ] || { echo "up.sh: cinder-volume or nova-compute did not come up" >&2; exit 1; }
say "both sites up"
