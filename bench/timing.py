#!/usr/bin/env python3
"""Where a lone command's time goes, bot side, from a bot's log (issue 13).

    bench/timing.py BOT.LOG

The log of a `bench/compare` run with, for kitbot,
`COMPARE_KITBOT_LOG="warn,kitbot=info,kitbot::timing=trace,matrix_sdk::http_client=debug"`
(the `kitbot::timing` traces of `src/matrix/sync.rs` and `src/outbox.rs`), or for the bare bot
`BARE_BOT_LOG="warn,bare::timing=trace,matrix_sdk::http_client=debug"` (matrix-sdk's "Got
response" lines, and when its event handler ran and `sync_once` returned),
copied from the run's `bot.log` before the next run removes it. Prints, over the sync
responses that were followed by a send, the median and 90th percentile of each step from the
moment the sync response was received, and each HTTP request's own duration (matrix-sdk's
`request_duration`: for a send, how long the homeserver took to write the message).
"""
import re
import statistics as st
import sys
from datetime import datetime

LINE = re.compile(r'^(\S+Z)\s+\w+\s+(.*)$')
STEPS = ['sync response in hand', 'queued', 'send starts', 'send returned',
         'response handled', 'answers sent', 'position saved',
         # the bare bot's (`bare::timing`): its event handler, entered inside `sync_once`
         'handler', 'sync_once returned']


def millis(stamp):
    return datetime.strptime(stamp[:26], '%Y-%m-%dT%H:%M:%S.%f').timestamp() * 1e3


def duration(text):
    found = re.search(r'request_duration=([\d.]+)(ms|µs|s)\b', text)
    if not found:
        return None
    return float(found.group(1)) * {'ms': 1, 'µs': 1e-3, 's': 1e3}[found.group(2)]


def summary(values):
    values = sorted(values)
    return f'n={len(values):4}  median {st.median(values):7.2f} ms  p90 {values[int(len(values) * .9)]:7.2f} ms'


def main(path):
    events = []
    durations = {'sync': [], 'send': []}
    send_start = []
    last_sync = None
    for raw in open(path, errors='replace'):
        line = re.sub(r'\x1b\[[0-9;]*m', '', raw)
        found = LINE.match(line)
        if not found:
            continue
        at, rest = millis(found.group(1)), found.group(2)
        if 'Got response' in rest:
            took = duration(rest)
            if '/sync' in rest:
                events.append((at, 'sync received'))
                last_sync = at
                if took is not None:
                    durations['sync'].append(took)
            elif '/send/' in rest:
                events.append((at, 'send received'))
                if took is not None:
                    durations['send'].append(took)
                    if last_sync is not None:
                        send_start.append(at - took - last_sync)
        elif 'kitbot::timing' in rest or 'bare::timing' in rest:
            for step in STEPS:
                if step in rest:
                    events.append((at, step))
                    break
    cycles, current = [], None
    for at, what in sorted(events):
        if what == 'sync received':
            if current:
                cycles.append(current)
            current = {what: at}
        elif current is not None:
            current.setdefault(what, at)
    if current:
        cycles.append(current)
    sent = [c for c in cycles if 'send received' in c]
    print(f'{path}: {len(cycles)} sync responses, {len(sent)} followed by a send')
    for step in STEPS[:4] + ['send received'] + STEPS[4:]:
        values = [c[step] - c['sync received'] for c in sent if step in c]
        if values:
            print(f'  sync received -> {step:22} {summary(values)}')
    if send_start:
        print(f'  sync received -> send request leaves    {summary(send_start)}')
    for kind, values in durations.items():
        if values:
            print(f'  {kind} request duration{" " * (20 - len(kind))}{summary(values)}')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
