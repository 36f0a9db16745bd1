#!/usr/bin/python3
"""Runs one OpenStack service of the lane in the foreground.

  launch.py wsgi HOST PORT MODULE:FACTORY   a WSGI app on a threaded wsgiref server
  launch.py main MODULE [ARGS...]           MODULE.main() as if it were its console script
  launch.py swift SWIFT_DIR                 account, container, object and proxy servers
                                            of one site in one eventlet process

Debian installs the libraries but (without the *-common packages, whose
maintainer scripts configure databases) none of the console scripts or
uwsgi set-ups, so the lane starts everything through this one launcher.
"""
import importlib
import os
import socketserver
import sys
from wsgiref import simple_server


def wsgi(host, port, target):
    module, factory = target.split(':')
    sys.argv = sys.argv[:1]  # oslo.config in the factories parses sys.argv

    class Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
        daemon_threads = True
        allow_reuse_address = True

    class Handler(simple_server.WSGIRequestHandler):
        def log_message(self, fmt, *args):
            sys.stderr.write('%s %s\n' % (self.address_string(), fmt % args))

    app = getattr(importlib.import_module(module), factory)()
    server = simple_server.make_server(host, int(port), app, server_class=Server, handler_class=Handler)
    print('serving %s on %s:%s' % (target, host, port), flush=True)
    server.serve_forever()


def main(module, *args):
    sys.argv = [module.rsplit('.', 1)[-1]] + list(args)
    return importlib.import_module(module).main()


def swift(swift_dir):
    from swift.common import utils
    utils.set_swift_dir(swift_dir)
    from swift.common import storage_policy
    storage_policy.reload_storage_policies()
    from swift.common import wsgi as swift_wsgi
    utils.eventlet_monkey_patch()
    import eventlet
    import eventlet.wsgi
    import time
    os.environ['TZ'] = 'UTC+0'
    time.tzset()
    # Choose the hub once: swift's run_server chooses it per server, which
    # orphans the servers started before in the same process.
    eventlet.hubs.use_hub(swift_wsgi.get_hub())

    def serve(conf, sock):
        app = swift_wsgi.loadapp(conf['__file__'], global_conf={'log_name': conf.get('log_name')})
        pool = swift_wsgi.RestrictedGreenPool(size=int(conf.get('max_clients', '1024')))
        eventlet.wsgi.server(sock, app, swift_wsgi.NullLogger(), custom_pool=pool,
                             protocol=swift_wsgi.SwiftHttpProtocol,
                             socket_timeout=float(conf.get('client_timeout') or 60),
                             capitalize_response_headers=False)

    threads = []
    for server in ('account', 'container', 'object', 'proxy'):
        conf = swift_wsgi.appconfig(os.path.join(swift_dir, server + '-server.conf'), name=server + '-server')
        utils.get_logger(conf, conf.get('log_name', server), log_to_console=True, log_route='wsgi')
        threads.append(eventlet.spawn(serve, conf, swift_wsgi.get_socket(conf)))
        print('swift %s-server on %s:%s' % (server, conf['bind_ip'], conf['bind_port']), flush=True)
    for t in threads:
        t.wait()


if __name__ == '__main__':
    kind, rest = sys.argv[1], sys.argv[2:]
    sys.exit({'wsgi': wsgi, 'main': main, 'swift': swift}[kind](*rest))
