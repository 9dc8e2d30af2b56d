#!/usr/bin/env python3
"""Where a lone command's server delta goes, homeserver side and bot side (issue 13).

    bench/wakeup.py TRACE BOT.LOG BOT-NAME [--by-filter]

TRACE is the file a `bench/compare` run wrote with `COMPARE_LONE_TRACE=<file>` (one line per
lone command: bot, index, event id, the command's and the answer's `origin_server_ts`); BOT.LOG
is that bot's `bot.log` from the same run, logged with matrix-sdk's HTTP debug lines
(`COMPARE_KITBOT_LOG="warn,kitbot=info,matrix_sdk::http_client=debug"` or
`BARE_BOT_LOG="warn,matrix_sdk::http_client=debug"`), copied before the next run removes it;
BOT-NAME is the first column of TRACE for that bot ("kitbot", "bare bot", "bare bot, kitbot's
settings").

Each command's server delta (answer's `origin_server_ts` − command's) is split in three, on the
one machine's wall clock:

- wake-up: from the command's timestamp to the bot's sync response that carried it (the last
  one received before the answer's request left): Synapse persists the command, wakes the long
  poll, builds the response; HTTP back;
- bot: from that response to the request of the answer leaving (matrix-sdk's `Got response`
  time minus its `request_duration`);
- send: from that request leaving to the answer's timestamp (Synapse's work before it stamps
  the event).

Last, how many of the sync requests that carried a command left after the command was
stamped (rather than waiting in a long poll before it).

`--by-filter` splits the commands by the sync filter of the request that carried them, as the bare
bot logs it with `BARE_BOT_FILTER_AB=<parts>/<parts>` and `BARE_BOT_LOG=…,bare::ab=info` (it
alternates two filters from one command to the next, so both are compared within one run).

Synapse's timestamps are truncated to the millisecond, so the wake-up reads up to 1 ms long
and the send up to 1 ms short; the same for every bot.
"""
import bisect
import re
import statistics as st
import sys
from datetime import datetime, timezone

from timing import duration  # bench/timing.py: matrix-sdk's `request_duration`, in ms

LINE = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z\s+\w+\s+(.*)$')


def epoch_ms(stamp):
    whole, frac = stamp.split('.')
    at = datetime.strptime(whole, '%Y-%m-%dT%H:%M:%S').replace(tzinfo=timezone.utc)
    return at.timestamp() * 1e3 + float('0.' + frac) * 1e3


def plain(line):
    """A log line without its terminal colours."""
    return re.sub(r'\x1b\[[0-9;]*m', '', line)


def read_log(path):
    """(received, took) of each sync response and each send, in time order."""
    syncs, sends = [], []
    for raw in open(path, errors='replace'):
        line = plain(raw)
        found = LINE.match(line)
        if not found or 'Got response' not in found.group(2):
            continue
        at, rest = epoch_ms(found.group(1)), found.group(2)
        took = duration(rest)
        if took is None:
            continue
        if '/sync' in rest:
            syncs.append((at, took))
        elif '/send/' in rest:
            sends.append((at, took))
    return sorted(syncs), sorted(sends)


def row(name, values):
    values = sorted(values)

    def at(p):
        return values[min(len(values) - 1, int(len(values) * p))]
    return (f'  {name:9} median {st.median(values):6.2f}  mean {st.mean(values):6.2f}  '
            f'p10 {at(.1):6.2f}  p90 {at(.9):6.2f}  p95 {at(.95):6.2f} ms')


AB = re.compile(r'bare::ab.*filter=(\d).*event_id=(\S+)')


def filters(path):
    """Event id → the filter (0 or 1) of the request that carried it, from the bare bot's log."""
    found = {}
    for raw in open(path, errors='replace'):
        hit = AB.search(plain(raw))
        if hit:
            found[hit.group(2)] = int(hit.group(1))
    return found


def main(trace, log, bot, by_filter=False):
    syncs, sends = read_log(log)
    if not by_filter:
        split(trace, syncs, sends, bot, None)
        return
    which = filters(log)
    for ab in (0, 1):
        print(f'filter {"AB"[ab]} (the {"first" if ab == 0 else "second"} of BARE_BOT_FILTER_AB):')
        split(trace, syncs, sends, bot, lambda event: which.get(event) == ab)


def split(trace, syncs, sends, bot, keep):
    received = [at for at, _ in syncs]
    parts = {'delta': [], 'wake-up': [], 'bot': [], 'send': []}
    unmatched = 0
    # Whether the sync request that carried the command left before the command was stamped
    # (waiting in a long poll) or after (still busy with the previous response).
    left_after = 0
    for line in open(trace):
        fields = line.rstrip('\n').split('\t')
        if len(fields) != 5 or fields[0] != bot:
            continue
        if keep is not None and not keep(fields[2]):
            continue
        command, answer = float(fields[3]), float(fields[4])
        # The answer's send: the first whose request left after the command was stamped and
        # that was under way when the answer was stamped; the command's sync response: the
        # last one received before that request left (not merely the first after the command:
        # a bot that sees its own answers can get that echo just after the next command).
        send = next(((at, took) for at, took in sends[bisect.bisect_left(sends, (command, 0)):]
                     if at - took >= command - 1), None)
        if send is None or not (send[0] - send[1] <= answer + 1 <= send[0] + 1):
            unmatched += 1
            continue
        found = bisect.bisect_right(received, send[0] - send[1])
        if found == 0 or received[found - 1] < command:
            unmatched += 1
            continue
        sync, took = syncs[found - 1]
        left_after += sync - took >= command
        leaves = send[0] - send[1]
        parts['delta'].append(answer - command)
        parts['wake-up'].append(sync - command)
        parts['bot'].append(leaves - sync)
        parts['send'].append(answer - leaves)
    print(f'{bot}: {len(parts["delta"])} commands split, {unmatched} not matched '
          f'({len(syncs)} sync responses, {len(sends)} sends in the log)')
    if parts['delta']:
        for name, values in parts.items():
            print(row(name, values))
        print(f'  the sync request that carried the command left after it was stamped: '
              f'{left_after} of {len(parts["delta"])}')


if __name__ == '__main__':
    args = [a for a in sys.argv[1:] if a != '--by-filter']
    if len(args) != 3:
        sys.exit(__doc__)
    main(*args, by_filter='--by-filter' in sys.argv[1:])
