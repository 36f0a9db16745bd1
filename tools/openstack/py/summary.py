#!/usr/bin/python3
"""summary.py GO_TEST_JSON: the outcome of every test of a `go test -json`
run, and each skip with its reason, so that nothing is skipped silently.
Exits 1 when a test failed or the run did not finish."""
import json
import re
import sys

outcome, output, order = {}, {}, []
package_result = None
for line in open(sys.argv[1]):
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    test = ev.get('Test')
    if not test:
        if ev.get('Action') in ('pass', 'fail'):
            package_result = ev['Action']
        continue
    if test not in output:
        output[test] = []
        order.append(test)
    if ev.get('Action') == 'output':
        output[test].append(ev['Output'])
    elif ev.get('Action') in ('pass', 'fail', 'skip'):
        outcome[test] = (ev['Action'], ev.get('Elapsed', 0))

reason = re.compile(r'^\s+\S+_test\.go:\d+: (.*)')
counts = {'pass': 0, 'fail': 0, 'skip': 0}
skips = {}
for test in order:
    action, elapsed = outcome.get(test, ('fail', 0))
    counts[action] += 1
    if action == 'skip':
        why = next((m.group(1) for m in map(reason.match, output[test]) if m), '(no reason given)')
        skips.setdefault(why, []).append(test)
    elif action == 'fail' or (action == 'pass' and elapsed >= 0.5):
        print('  %-4s %-70s %6.1f s' % (action.upper(), test, elapsed))
    if action == 'fail':
        for text in output[test]:
            print('       ' + text.rstrip())
print('  %d passed, %d failed, %d skipped' % (counts['pass'], counts['fail'], counts['skip']))
for why, tests in sorted(skips.items()):
    print('  skipped (%d): %s' % (len(tests), why))
    print('     ' + ', '.join(tests))
sys.exit(0 if package_result == 'pass' and counts['fail'] == 0 else 1)
