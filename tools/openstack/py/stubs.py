"""Network (Neutron) and image (Glance) endpoints that answer empty.

Nova looks both up in the catalog even for servers booted from a volume
with networks='none': it lists ports and security groups, and needs an
image endpoint to exist. Every collection is empty and every single object
is missing, which is all such a server needs. No authentication.
"""
import json
import re


def _reply(start_response, status, body):
    data = json.dumps(body).encode()
    start_response(status, [('Content-Type', 'application/json'), ('Content-Length', str(len(data)))])
    return [data]


def app(environ, start_response):
    path = environ.get('PATH_INFO', '/').rstrip('/')
    path = path[:-5] if path.endswith('.json') else path
    if path == '':
        return _reply(start_response, '200 OK', {'versions': [
            {'id': 'v2.0', 'status': 'CURRENT', 'links': [{'rel': 'self', 'href': '/v2.0/'}]}]})
    m = re.match(r'^/v2(?:\.0)?/([a-z_-]+)(?:/([^/]+))?$', path)
    if m and environ['REQUEST_METHOD'] == 'GET' and m.group(2) is None:
        return _reply(start_response, '200 OK', {m.group(1).replace('-', '_'): []})
    if m and environ['REQUEST_METHOD'] == 'DELETE':
        start_response('204 No Content', [('Content-Length', '0')])
        return [b'']
    return _reply(start_response, '404 Not Found', {'NeutronError': {'type': 'NotFound', 'message': 'not found: ' + path}})


def application():
    return app
