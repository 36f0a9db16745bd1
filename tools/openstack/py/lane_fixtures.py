#!/usr/bin/python3
"""Keystone registration, readiness and fixtures of the real-OpenStack lane.

  lane_fixtures.py register SITE   service project and users, project demo with
                              user demo (member) and admin, the catalog
  lane_fixtures.py ready SITE      waits for every cinder-volume backend and the
                              compute host (mapping it into the cell)
  lane_fixtures.py reset           removes leftovers of a run (groups, metadata)
  lane_fixtures.py create DIR      the acceptance tests' fixtures on both sites,
                              through the public APIs, as the tests'
                              users would make them; writes DIR/fixtures.json
                              and DIR/clouds.yaml

Raw REST through keystoneauth1 (as the provider's gophercloud calls are raw
REST): no client library decides anything for us.
"""
import json
import os
import subprocess
import sys
import time

from keystoneauth1 import adapter, session
from keystoneauth1.identity import v3

SITES = {
    'site-a': {'ip': '127.0.0.1', 'region': 'RegionOne', 'array': 'flasharray-a', 'backends': ['backend-a', 'backend-c']},
    'site-b': {'ip': '127.0.0.2', 'region': 'RegionTwo', 'array': 'flasharray-b', 'backends': ['backend-b']},
}
ADMIN_PASSWORD = os.environ.get('ADMIN_PASSWORD', 'admin-password')
SERVICE_PASSWORD = os.environ.get('SERVICE_PASSWORD', 'service-password')
DEMO_USER, DEMO_PASSWORD, PROJECT = 'demo', 'demo-password', 'demo'
OS_DIR = os.environ['PROTECTOR_OS_DIR']
HERE = os.path.dirname(os.path.abspath(__file__))

# Volume types of both sites (the simulator's, internal/simulator/fixtures.go).
TYPES = {
    'replicated-ssd': {'replication_enabled': '<is> True', 'replication_type': '<in> async', 'volume_backend_name': 'pure'},
    'replicated-sync': {'replication_enabled': '<is> True', 'replication_type': '<in> sync'},
    'standard': {},
    'replicated-a-only': None,  # per site, below
}
A_ONLY = {'site-a': {'replication_enabled': '<is> True', 'replication_type': '<in> async'},
          'site-b': {'replication_type': '<in> async'}}  # not eligible on site-b
GROUP_TYPE = ('consistency-group', {'consistent_group_snapshot_enabled': '<is> True'})

# Servers of site-a: name, volumes (type, GiB, availability zone), boot first.
SERVERS = [
    ('web-server-1', [('replicated-ssd', 1, None), ('replicated-ssd', 2, None)]),
    ('web-server-2', [('replicated-ssd', 1, None), ('replicated-ssd', 2, None)]),
    ('db-server-1', [('replicated-ssd', 1, None), ('replicated-ssd', 3, None), ('replicated-ssd', 3, None)]),
    ('mixed-server', [('replicated-ssd', 1, None), ('standard', 2, None)]),
    # backend-c is the only backend of availability zone zone-c.
    ('other-backend-server', [('replicated-ssd', 1, 'zone-c'), ('replicated-ssd', 2, 'zone-c')]),
    ('sync-server', [('replicated-sync', 1, None), ('replicated-sync', 2, None)]),
    ('a-only-server', [('replicated-a-only', 1, None)]),
]
# The bootable volume new VMs are cloned from (create_golden_image).
GOLDEN_IMAGE = 'golden-image'


def log(*args):
    print('[fixtures]', *args, flush=True)


def auth_url(site):
    return 'http://%s:5000/v3' % SITES[site]['ip']


def sess(site, user, password, project):
    return session.Session(auth=v3.Password(auth_url=auth_url(site), username=user, password=password,
                                            project_name=project, user_domain_name='Default',
                                            project_domain_name='Default'))


def api(s, site, service, microversion=None):
    kw = {}
    if microversion:
        kw['default_microversion'] = microversion
    return adapter.Adapter(s, service_type=service, region_name=SITES[site]['region'], interface='public',
                           raise_exc=True, **kw)


def ok(resp):
    return resp.json() if resp.content else {}


# ---- register

def register(site):
    ip, region = SITES[site]['ip'], SITES[site]['region']
    admin = sess(site, 'admin', ADMIN_PASSWORD, 'admin')
    ks = adapter.Adapter(admin, endpoint_override=auth_url(site), raise_exc=True)
    roles = {r['name']: r['id'] for r in ks.get('/roles').json()['roles']}
    for name in ('member', 'reader', 'service'):
        if name not in roles:
            roles[name] = ks.post('/roles', json={'role': {'name': name}}).json()['role']['id']

    def project(name):
        return ks.post('/projects', json={'project': {'name': name, 'domain_id': 'default'}}).json()['project']['id']

    def user(name, password):
        return ks.post('/users', json={'user': {'name': name, 'password': password, 'domain_id': 'default'}}).json()['user']['id']

    def grant(project_id, user_id, role):
        ks.put('/projects/%s/users/%s/roles/%s' % (project_id, user_id, roles[role]))

    service_project, demo_project = project('service'), project(PROJECT)
    for name in ('cinder', 'nova', 'placement', 'swift'):
        uid = user(name, SERVICE_PASSWORD)
        grant(service_project, uid, 'admin')
        # Debian's OSSA-2023-003 fix: Cinder requires a service token with
        # this role on attachment deletes that Nova makes.
        grant(service_project, uid, 'service')
    demo = user(DEMO_USER, DEMO_PASSWORD)
    grant(demo_project, demo, 'member')
    grant(demo_project, demo, 'reader')
    admin_id = ks.get('/users', params={'name': 'admin'}).json()['users'][0]['id']
    grant(demo_project, admin_id, 'admin')  # the tests' admin works in project demo

    catalog = [
        ('cinderv3', 'volumev3', 'http://%s:8776/v3/%%(project_id)s' % ip),
        ('cinder', 'block-storage', 'http://%s:8776/v3/%%(project_id)s' % ip),
        ('nova', 'compute', 'http://%s:8774/v2.1' % ip),
        ('placement', 'placement', 'http://%s:8778' % ip),
        ('swift', 'object-store', 'http://%s:8080/v1/AUTH_%%(project_id)s' % ip),
        ('network-stub', 'network', 'http://%s:9696' % ip),
        ('image-stub', 'image', 'http://%s:9292' % ip),
    ]
    for name, typ, url in catalog:
        sid = ks.post('/services', json={'service': {'name': name, 'type': typ}}).json()['service']['id']
        for iface in ('public', 'internal', 'admin'):
            ks.post('/endpoints', json={'endpoint': {'service_id': sid, 'url': url, 'interface': iface,
                                                     'region_id': region}})
    log(site, 'registered')


# ---- ready

def ready(site):
    admin = sess(site, 'admin', ADMIN_PASSWORD, 'admin')
    cinder = api(admin, site, 'volumev3')
    nova = api(admin, site, 'compute')
    want = {'pure@%s' % b for b in SITES[site]['backends']}
    deadline = time.time() + 180
    while True:
        services = cinder.get('/os-services').json()['services']
        up = {s['host'] for s in services if s['binary'] == 'cinder-volume' and s['state'] == 'up'}
        if want <= up:
            break
        if time.time() > deadline:
            raise SystemExit('%s: cinder-volume backends up: %s, want %s' % (site, sorted(up), sorted(want)))
        time.sleep(0.5)
    conf = os.path.join(OS_DIR, site, 'nova.conf')
    n = 0
    while True:
        hypervisors = nova.get('/os-hypervisors/detail').json()['hypervisors']
        if any(h.get('state') == 'up' for h in hypervisors):
            # A host is usable once it is mapped to the cell, not before.
            subprocess.run([sys.executable, os.path.join(HERE, 'launch.py'), 'main', 'nova.cmd.manage',
                            '--config-file', conf, 'cell_v2', 'discover_hosts'], check=True, capture_output=True)
            break
        if time.time() > deadline:
            raise SystemExit('%s: no compute host came up' % site)
        n += 1
        time.sleep(0.5)
    log(site, 'cinder-volume and nova-compute up')


# ---- create

def wait_for(what, fn, want, bad=('error',), timeout=120):
    deadline = time.time() + timeout
    while True:
        st = fn()
        if st in want:
            return st
        if st in bad or time.time() > deadline:
            raise SystemExit('%s: status %s, want %s' % (what, st, want))
        time.sleep(0.5)


def create_types(site):
    admin = sess(site, 'admin', ADMIN_PASSWORD, PROJECT)
    cinder = api(admin, site, 'volumev3', '3.11')
    # Re-runnable: what exists already is kept.
    out = {t['name']: t['id'] for t in cinder.get('/types').json()['volume_types']}
    for name, specs in TYPES.items():
        if name in out:
            continue
        if specs is None:
            specs = A_ONLY[site]
        vt = cinder.post('/types', json={'volume_type': {'name': name, 'os-volume-type-access:is_public': True,
                                                         'extra_specs': specs}}).json()['volume_type']
        out[name] = vt['id']
    out.pop('__DEFAULT__', None)
    gname, gspecs = GROUP_TYPE
    if gname not in [g['name'] for g in cinder.get('/group_types').json()['group_types']]:
        cinder.post('/group_types', json={'group_type': {'name': gname, 'is_public': True, 'group_specs': gspecs}})
    nova = api(admin, site, 'compute', '2.1')
    if 'm1.tiny' not in [f['name'] for f in nova.get('/flavors').json()['flavors']]:
        nova.post('/flavors', json={'flavor': {'name': 'm1.tiny', 'ram': 64, 'vcpus': 1, 'disk': 0}})
    # Cinder's default quotas (10 volumes, 10 groups) are below what the
    # fixtures and a test run use.
    project_id = admin.get_project_id()
    cinder.put('/os-quota-sets/' + project_id, json={'quota_set': {'volumes': 200, 'groups': 200,
                                                                    'snapshots': 200, 'gigabytes': 5000}})
    nova.put('/os-quota-sets/' + project_id, json={'quota_set': {'instances': 100, 'cores': 200, 'ram': 512000}})
    log(site, 'volume types', sorted(out), 'group type', gname, 'flavor m1.tiny')
    return out


def create_servers(site):
    member = sess(site, DEMO_USER, DEMO_PASSWORD, PROJECT)
    cinder = api(member, site, 'volumev3', '3.13')
    nova = api(member, site, 'compute', '2.67')
    flavor = [f for f in nova.get('/flavors').json()['flavors'] if f['name'] == 'm1.tiny'][0]['id']
    servers = {}
    # Volumes first, all at once; then the servers, all at once.
    for name, vols in SERVERS:
        ids = []
        for i, (typ, size, az) in enumerate(vols):
            body = {'name': '%s-%s' % (name, 'boot' if i == 0 else 'data-%d' % i), 'size': size, 'volume_type': typ}
            if az:
                body['availability_zone'] = az
            ids.append(cinder.post('/volumes', json={'volume': body}).json()['volume']['id'])
        servers[name] = {'volumes': ids}
    for name, sv in servers.items():
        for i, vid in enumerate(sv['volumes']):
            wait_for('volume %s' % vid, lambda: cinder.get('/volumes/' + vid).json()['volume']['status'], ('available',))
        cinder.post('/volumes/%s/action' % sv['volumes'][0], json={'os-set_bootable': {'bootable': True}})
    for name, sv in servers.items():
        bdms = [{'boot_index': 0 if i == 0 else -1, 'uuid': vid, 'source_type': 'volume',
                 'destination_type': 'volume', 'delete_on_termination': False}
                for i, vid in enumerate(sv['volumes'])]
        body = {'server': {'name': name, 'flavorRef': flavor, 'networks': 'none', 'block_device_mapping_v2': bdms}}
        sv['id'] = nova.post('/servers', json=body).json()['server']['id']
    for name, sv in servers.items():
        wait_for('server ' + name, lambda: nova.get('/servers/' + sv['id']).json()['server']['status'], ('ACTIVE',),
                 bad=('ERROR',), timeout=180)
    # Report what Cinder made: types, hosts (admin) and the driver's metadata.
    admin = api(sess(site, 'admin', ADMIN_PASSWORD, PROJECT), site, 'volumev3', '3.13')
    out = {}
    for name, sv in servers.items():
        vols = []
        for vid in sv['volumes']:
            wait_for('volume %s attached' % vid, lambda: cinder.get('/volumes/' + vid).json()['volume']['status'],
                     ('in-use',))
            v = admin.get('/volumes/' + vid).json()['volume']
            # The device comes from the virt driver: /dev/sdX with the fake
            # driver, where KVM (and the simulator) say /dev/vdX.
            device = next((a.get('device') for a in v.get('attachments', []) if a.get('server_id') == sv['id']), None)
            vols.append({'id': vid, 'type': v['volume_type'], 'size_gib': v['size'], 'device': device,
                         'host': v.get('os-vol-host-attr:host'),
                         'array_name': v['metadata'].get('array_name'),
                         'array_volume_name': v['metadata'].get('array_volume_name')})
        out[name] = {'id': sv['id'], 'volumes': vols}
        log(site, name, sv['id'], [(x['type'], x['host']) for x in vols])
    return out


def create_golden_image(site):
    """The golden image: a bootable volume of the replicated type in no
    server, that tests (and people trying the lane by hand) clone new VMs'
    boot volumes from, the sites having no Glance images. Same name as the
    simulator's (simulator.GoldenImageVolumeName)."""
    cinder = api(sess(site, DEMO_USER, DEMO_PASSWORD, PROJECT), site, 'volumev3', '3.13')
    body = {'name': GOLDEN_IMAGE, 'size': 1, 'volume_type': 'replicated-ssd'}
    vid = cinder.post('/volumes', json={'volume': body}).json()['volume']['id']
    wait_for('volume %s' % vid, lambda: cinder.get('/volumes/' + vid).json()['volume']['status'], ('available',))
    cinder.post('/volumes/%s/action' % vid, json={'os-set_bootable': {'bootable': True}})
    log(site, GOLDEN_IMAGE, vid)
    return vid


def clouds_yaml(path):
    lines = ['clouds:']
    for site, s in SITES.items():
        for suffix, user, password in (('member', DEMO_USER, DEMO_PASSWORD), ('admin', 'admin', ADMIN_PASSWORD)):
            lines += ['  %s-%s:' % (site, suffix),
                      '    auth:',
                      '      auth_url: %s' % auth_url(site),
                      '      username: %s' % user,
                      '      password: %s' % password,
                      '      project_name: %s' % PROJECT,
                      '      user_domain_name: Default',
                      '      project_domain_name: Default',
                      '    region_name: %s' % s['region'],
                      '    interface: public',
                      '    identity_api_version: 3']
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    os.chmod(path, 0o600)


def create(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    # The driver reads the arrays of the running test world from here.
    fixtures = {'sites': {}, 'servers': {}, 'arrays_file': os.path.join(OS_DIR, 'flasharrays.json')}
    for site, s in SITES.items():
        fixtures['sites'][site] = {'auth_url': auth_url(site), 'region': s['region'], 'array': s['array'],
                                   'volume_types': create_types(site)}
    fixtures['servers'] = create_servers('site-a')
    fixtures['golden_image'] = create_golden_image('site-a')
    with open(os.path.join(out_dir, 'fixtures.json'), 'w') as f:
        json.dump(fixtures, f, indent=2, sort_keys=True)
    clouds_yaml(os.path.join(out_dir, 'clouds.yaml'))
    log('wrote', os.path.join(out_dir, 'fixtures.json'), 'and clouds.yaml')


# ---- reset

def reset(_):
    """Removes what a run may leave behind in project demo on both sites
    (consistency groups, servers and volumes that are not fixtures, the
    protector container), so that each run starts from the fixtures alone:
    a failed test must not fail the next run."""
    with open(os.path.join(OS_DIR, 'acc', 'fixtures.json')) as f:
        fixtures = json.load(f)
    keep = {fixtures['golden_image']}
    for sv in fixtures['servers'].values():
        keep.add(sv['id'])
        keep.update(v['id'] for v in sv['volumes'])
    for site in SITES:
        admin = sess(site, 'admin', ADMIN_PASSWORD, PROJECT)
        cinder = adapter.Adapter(admin, service_type='volumev3', region_name=SITES[site]['region'],
                                 interface='public', default_microversion='3.13', raise_exc=False)
        for g in cinder.get('/groups/detail').json().get('groups', []):
            vols = [v['id'] for v in cinder.get('/volumes/detail', params={'group_id': g['id']}).json()['volumes']]
            if vols:
                cinder.put('/groups/' + g['id'], json={'group': {'remove_volumes': ','.join(vols)}})
                wait_for('group %s' % g['id'], lambda: cinder.get('/groups/' + g['id']).json()['group']['status'],
                         ('available',))
            cinder.post('/groups/%s/action' % g['id'], json={'delete': {'delete-volumes': False}})
            wait_for('group %s deleted' % g['id'],
                     lambda: cinder.get('/groups/' + g['id']).json().get('group', {}).get('status', 'deleted'),
                     ('deleted',))
            log(site, 'removed leftover group', g['name'], g['id'])
        nova = adapter.Adapter(admin, service_type='compute', region_name=SITES[site]['region'],
                               interface='public', default_microversion='2.1', raise_exc=False)
        left = [sv for sv in nova.get('/servers').json().get('servers', []) if sv['id'] not in keep]
        for sv in left:
            nova.delete('/servers/' + sv['id'])
        for sv in left:
            wait_for('server %s deleted' % sv['id'],
                     lambda: nova.get('/servers/' + sv['id']).status_code, (404,), timeout=180)
            log(site, 'removed leftover server', sv['name'], sv['id'])
        for v in cinder.get('/volumes/detail').json().get('volumes', []):
            if v['id'] in keep:
                continue
            cinder.delete('/volumes/' + v['id'])
            wait_for('volume %s deleted' % v['id'],
                     lambda: cinder.get('/volumes/' + v['id']).status_code, (404,), timeout=180)
            log(site, 'removed leftover volume', v['name'], v['id'])
        swift = adapter.Adapter(admin, service_type='object-store', region_name=SITES[site]['region'],
                                interface='public', raise_exc=False)
        r = swift.get('/protector', params={'format': 'json'})
        if r.status_code == 200:
            for o in r.json():
                swift.delete('/protector/' + o['name'])
            swift.delete('/protector')
            log(site, 'removed the protector container (%d objects)' % len(r.json()))


if __name__ == '__main__':
    cmd, arg = sys.argv[1], (sys.argv[2:] or [''])[0]
    {'register': register, 'ready': ready, 'create': create, 'reset': reset}[cmd](arg)
