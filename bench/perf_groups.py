#!/usr/bin/env python3
"""Group a perf profile's samples by who they are spent for (issue 13).

    bench/perf_groups.py PERF.DATA

PERF.DATA from `perf record -F 499 --call-graph dwarf,16384 -p <bot pid> -- sleep 20` taken
while `bench/compare` sends lone commands (BENCHMARKS.md, "The next sync waits for the
answer"). Each sample goes to the first group whose pattern matches a frame of its stack, in
the order below. Async stacks are cut at each task poll: SQLite work that matrix-sdk runs on
its blocking threads lands in "matrix-sdk SQLite" whoever asked for it.
"""
import collections
import re
import subprocess
import sys

GROUPS = [
    ("matrix-sdk-crypto's account copy (Account::deep_clone)", r'Account::deep_clone'),
    ("the rest of matrix-sdk's sync processing", r'receive_sync_response'),
    ("kitbot's ledger", r'kitbot::ledger'),
    ('sled (our flush, sled threads)', r'kitbot::store::Store::flush|sled::'),
    ('kitbot outbox bookkeeping', r'kitbot::outbox::(record|Flights::landed|queues|Flights::launch|Outbox::queue)'),
    ('kitbot handling the event (process_event)', r'process_event'),
    ('kitbot read receipts', r'presence::mark_read|Receipts'),
    ('matrix-sdk send', r'SendMessageLikeEvent|room::futures'),
    ('matrix-sdk SQLite', r'matrix_sdk_sqlite'),
    ('HTTP (hyper, reqwest)', r'hyper|reqwest'),
    ('the rest of kitbot', r'kitbot::'),
    ('threads waking and sleeping (tokio, futex, scheduler)', r'tokio::|parking_lot|futex|schedule'),
]


def stacks(path):
    out = subprocess.run(['perf', 'script', '-i', path, '-F', 'comm,tid,time,ip,sym'],
                         capture_output=True, text=True, check=True).stdout
    stack = None
    for line in out.split('\n'):
        if not line.strip():
            if stack is not None:
                yield stack
            stack = None
        elif not line.startswith((' ', '\t')):
            stack = []
        elif stack is not None:
            parts = line.strip().split(None, 1)
            stack.append(parts[1] if len(parts) > 1 else '')
    if stack is not None:
        yield stack


def main(path):
    counts = collections.Counter()
    total = 0
    for stack in stacks(path):
        total += 1
        text = '\n'.join(stack)
        for name, pattern in GROUPS:
            if re.search(pattern, text):
                counts[name] += 1
                break
        else:
            counts['other'] += 1
    print(f'{path}: {total} samples')
    for name in [g for g, _ in GROUPS] + ['other']:
        print(f'  {name:58} {counts[name]:6} {100 * counts[name] / max(total, 1):5.1f} %')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
