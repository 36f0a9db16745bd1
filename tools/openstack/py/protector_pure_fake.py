"""A Cinder volume driver that stores nothing and plays the Pure driver's part.

Cinder's scheduler needs the backend to report replication capabilities
before it places a volume of a type with replication_type='<in> async' or a
group that replicates, so FakeLoggingVolumeDriver (no storage) gets them.

On top of that it makes the FlashArray REST 2.x calls the Pure driver makes
for the provider's objects, against whatever arrays the running test world
names in the file `protector_arrays_file` (JSON: {"<array>": {"url", "api_token",
"ca_file"}}); the file exists only while a test runs, and without it the
driver records names only:
  - a volume is named volume-<id>-cinder on its array (cinder-pod::... for a
    sync type), written into the volume's metadata array_volume_name /
    array_name as the Pure driver does (Cinder 20+);
  - a deleted volume's array volume is destroyed (pending eradication, as
    with the Pure driver's default pure_eradicate_on_delete=False);
  - a group whose type has consistent_group_snapshot_enabled gets the
    protection group consisgroup-<group id>-cinder (in cinder-pod when a
    volume type is sync), whose members follow the group's volumes, and
    which is destroyed and eradicated with the group;
  - manage-existing takes the reference {"name": <array volume>} as the Pure
    driver does (pure.py manage_existing): not for a sync type, not a
    volume in a pod; the array volume is renamed volume-<id>-cinder and its
    size rounded up to GiB.
"""
import math
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request

from oslo_config import cfg
from oslo_log import log as logging

from cinder import exception
from cinder.tests import fake_driver
from cinder.volume import configuration
from cinder.volume import volume_utils

LOG = logging.getLogger(__name__)

OPTS = [
    cfg.StrOpt('protector_array', help='Name of the FlashArray this backend stands for.'),
    cfg.StrOpt('protector_pool', help='Pool name reported for this backend.'),
    cfg.StrOpt('protector_arrays_file', help='JSON file naming the arrays of the running test world.'),
]
cfg.CONF.register_opts(OPTS, group=configuration.SHARED_CONF_GROUP)

SYNC_POD = 'cinder-pod'
API = '2.4'


class ArrayError(Exception):
    pass


class Array(object):
    """The few FlashArray REST 2.x calls the Pure driver's group handling makes."""

    def __init__(self, url, token, ca_file):
        self.url = url.rstrip('/')
        self.token = token
        self.ctx = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
        self.session = None

    def _call(self, method, path, query=None, body=None, login=False):
        url = '%s/api/%s%s' % (self.url, API, path)
        if query:
            url += '?' + urllib.parse.urlencode(query)
        headers = {'Content-Type': 'application/json'}
        if login:
            headers['api-token'] = self.token
        else:
            headers['x-auth-token'] = self.session
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                return resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            raise ArrayError('%s %s: %s %s' % (method, path, e.code, e.read()[:300]))

    def request(self, method, path, query=None, body=None):
        if self.session is None:
            headers, _ = self._call('POST', '/login', login=True)
            self.session = headers.get('x-auth-token')
        return self._call(method, path, query, body)

    def create_volume(self, name, size_bytes):
        self.request('POST', '/volumes', {'names': name}, {'provisioned': size_bytes})

    def destroy_volume(self, name):
        self.request('PATCH', '/volumes', {'names': name}, {'destroyed': True})

    def volume(self, name):
        """The array volume named name, or None when the array has none."""
        try:
            _, body = self.request('GET', '/volumes', {'names': name})
        except ArrayError as e:
            if 'does not exist' in str(e):
                return None
            raise
        items = json.loads(body).get('items') or []
        return items[0] if items else None

    def rename_volume(self, name, new_name):
        self.request('PATCH', '/volumes', {'names': name}, {'name': new_name})

    def create_group(self, name):
        self.request('POST', '/protection-groups', {'names': name})

    def add_members(self, group, volumes):
        self.request('POST', '/protection-groups/volumes',
                     {'group_names': group, 'member_names': ','.join(volumes)})

    def remove_members(self, group, volumes):
        self.request('DELETE', '/protection-groups/volumes',
                     {'group_names': group, 'member_names': ','.join(volumes)})

    def destroy_group(self, name):
        self.request('PATCH', '/protection-groups', {'names': name}, {'destroyed': True})
        self.request('DELETE', '/protection-groups', {'names': name})


class ProtectorPureFakeDriver(fake_driver.FakeLoggingVolumeDriver):

    def __init__(self, *args, **kwargs):
        super(ProtectorPureFakeDriver, self).__init__(*args, **kwargs)
        self.configuration.append_config_values(OPTS)

    # -- capabilities

    def _update_volume_stats(self):
        super(ProtectorPureFakeDriver, self)._update_volume_stats()
        backend = self.configuration.safe_get('volume_backend_name') or 'fake'
        self._stats['volume_backend_name'] = backend
        for pool in self._stats['pools']:
            pool.update({
                'pool_name': self.configuration.safe_get('protector_pool') or backend,
                'reserved_percentage': 0,
                'replication_enabled': True,
                # '<in> async' and '<in> sync' both match: 'sync' is in 'async'.
                'replication_type': 'async',
                'replication_count': 1,
                'group_replication_enabled': True,
                'consistent_group_replication_enabled': True,
                'consistent_group_snapshot_enabled': True,
                'multiattach': True,
            })

    # -- the array this backend stands for, when a test world runs

    def _array(self):
        path = self.configuration.safe_get('protector_arrays_file')
        name = self.configuration.safe_get('protector_array')
        if not path or not os.path.exists(path):
            return None
        with open(path) as f:
            arrays = json.load(f)
        a = arrays.get(name)
        if not a:
            return None
        return Array(a['url'], a['api_token'], a.get('ca_file'))

    @staticmethod
    def _is_sync(volume_types):
        for vt in volume_types:
            specs = getattr(vt, 'extra_specs', None) or {}
            if ' '.join(specs.get('replication_type', '').split()) == '<in> sync':
                return True
        return False

    def _volume_name(self, volume):
        name = 'volume-%s-cinder' % volume.id
        vt = volume.volume_type
        if vt is not None and self._is_sync([vt]):
            name = SYNC_POD + '::' + name
        return name

    def _group_name(self, group):
        if not volume_utils.is_group_a_cg_snapshot_type(group):
            return None
        name = 'consisgroup-%s-cinder' % group.id
        if self._is_sync(group.volume_types or []):
            name = SYNC_POD + '::' + name
        return name

    # -- volumes

    def create_volume(self, volume):
        super(ProtectorPureFakeDriver, self).create_volume(volume)
        name = self._volume_name(volume)
        array = self._array()
        if array is not None:
            array.create_volume(name, volume.size << 30)
        metadata = dict(volume.metadata or {})
        metadata.update({'array_volume_name': name,
                         'array_name': self.configuration.safe_get('protector_array') or ''})
        return {'provider_id': name, 'metadata': metadata}

    def create_cloned_volume(self, volume, src_vref):
        # The Pure driver copies the source on the array (POST /volumes
        # with a source); the arrays here hold no data, so a new array
        # volume of the clone's size stands for the copy. Cinder copies the
        # bootable flag itself.
        return self.create_volume(volume)

    # -- manage-existing, as the Pure driver (pure.py manage_existing)

    def _managed_volume(self, volume, existing_ref):
        """The array volume existing_ref names, checked as the Pure driver does."""
        if volume.volume_type is not None and self._is_sync([volume.volume_type]):
            raise exception.ManageExistingVolumeTypeMismatch(
                reason='Unable to managed volume with type requiring sync replication enabled.')
        name = (existing_ref or {}).get('name')
        if not name:
            raise exception.ManageExistingInvalidReference(
                existing_ref=existing_ref,
                reason="manage_existing requires a 'name' key to identify an existing volume.")
        if '::' in name:
            raise exception.ManageExistingInvalidReference(
                existing_ref=existing_ref, reason='Unable to manage volume in a Pod')
        array = self._array()
        info = array.volume(name) if array is not None else None
        if not info or info.get('destroyed'):
            raise exception.ManageExistingInvalidReference(
                existing_ref=existing_ref, reason='Unable to find Purity ref with name=%s' % name)
        return array, name, info

    def manage_existing_get_size(self, volume, existing_ref):
        _, _, info = self._managed_volume(volume, existing_ref)
        return int(math.ceil(info['provisioned'] / float(1 << 30)))

    def manage_existing(self, volume, existing_ref):
        array, name, _ = self._managed_volume(volume, existing_ref)
        new_name = 'volume-%s-cinder' % volume.id
        array.rename_volume(name, new_name)
        metadata = dict(volume.metadata or {})
        metadata.update({'array_volume_name': new_name,
                         'array_name': self.configuration.safe_get('protector_array') or ''})
        return {'provider_id': new_name, 'metadata': metadata}

    def delete_volume(self, volume):
        # As the Pure driver with pure_eradicate_on_delete false (its
        # default): the array volume is destroyed, pending eradication.
        array = self._array()
        if array is not None and (volume.metadata or {}).get('array_volume_name'):
            try:
                array.destroy_volume(self._member_name(volume))
            except ArrayError as e:
                LOG.warning('destroy %s: %s', self._member_name(volume), e)
        super(ProtectorPureFakeDriver, self).delete_volume(volume)

    # -- groups

    def create_group(self, context, group):
        name = self._group_name(group)
        array = self._array()
        if name and array is not None:
            array.create_group(name)
        return {'status': 'available'}

    def update_group(self, context, group, add_volumes=None, remove_volumes=None):
        name = self._group_name(group)
        array = self._array()
        if name and array is not None:
            if add_volumes:
                array.add_members(name, [self._member_name(v) for v in add_volumes])
            if remove_volumes:
                array.remove_members(name, [self._member_name(v) for v in remove_volumes])
        return None, None, None

    def _member_name(self, volume):
        return (volume.metadata or {}).get('array_volume_name') or self._volume_name(volume)

    def delete_group(self, context, group, volumes):
        name = self._group_name(group)
        array = self._array()
        if name and array is not None:
            try:
                array.destroy_group(name)
            except ArrayError as e:
                # The Pure driver logs a missing group and carries on.
                LOG.warning('destroy %s: %s', name, e)
        volume_updates = []
        for v in volumes:
            self.delete_volume(v)
            volume_updates.append({'id': v.id, 'status': 'deleted'})
        return {'status': 'deleted'}, volume_updates
