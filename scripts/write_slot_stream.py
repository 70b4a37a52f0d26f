#!/usr/bin/python3
"""The translation-table accesses of one E-step, for the machine-floor replay.

    scripts/write_slot_stream.py --source S --target T [--pairs N] --output FILE

For every sentence pair in corpus order (source and target files, plain or
gzip, one sentence per line; the first N pairs), every distinct (e, f) with e
a source word or NULL and f a target word, as the slot the aligner's table
gives it: words numbered by decreasing frequency, NULL first, each row sorted
by target id. Writes the slots as little-endian uint32 to FILE, for
ALIGNER_SLOT_STREAM=FILE build-bench/machine_floor_benchmark
--benchmark_filter=Replay, and prints the table's entries, the stream's
length and the distinct (e, f) per link ((l + 1) m links per pair). Needs
python3-numpy; about 1 minute and 1 GB for 100k Hansards pairs.
"""

import argparse
import collections
import gzip
import itertools

import numpy as np


def read_lines(path):
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        yield from f


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--source", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--pairs", type=int, default=None, help="the first N pairs (default: all)")
    p.add_argument("--output", required=True)
    a = p.parse_args()
    lines = zip(read_lines(a.source), read_lines(a.target))
    pairs = [(s.split(), t.split()) for s, t in itertools.islice(lines, a.pairs)]
    pairs = [(s, t) for s, t in pairs if s and t]
    source_counts = collections.Counter(w for s, _ in pairs for w in s)
    target_counts = collections.Counter(w for _, t in pairs for w in t)
    source_id = {w: k + 1 for k, (w, _) in enumerate(source_counts.most_common())}  # 0: NULL
    target_id = {w: k for k, (w, _) in enumerate(target_counts.most_common())}
    keys, links = [], 0
    for s, t in pairs:
        e = np.concatenate(([0], np.unique(np.fromiter((source_id[w] for w in s), np.int64))))
        f = np.unique(np.fromiter((target_id[w] for w in t), np.int64))
        keys.append(((e[:, None] << 32) | f[None, :]).ravel())
        links += (len(s) + 1) * len(t)
    stream = np.concatenate(keys)
    table = np.unique(stream)
    np.searchsorted(table, stream).astype("<u4").tofile(a.output)
    print("pairs %d  table entries %d  distinct (e, f) %d  links %d  distinct per link %.3f"
          % (len(pairs), table.size, stream.size, links, stream.size / links))


if __name__ == "__main__":
    main()
