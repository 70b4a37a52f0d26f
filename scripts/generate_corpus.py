#!/usr/bin/python3
"""Synthetic parallel corpus with its true word alignment, at any size.

    scripts/generate_corpus.py --pairs N --prefix OUT [--seed S] [--gzip] [options]

writes OUT.src, OUT.tgt (line-parallel, one sentence per line, tokens separated
by single spaces) and OUT.gold (the true links in Pharaoh form, "i-j" with i a
source and j a target position, 0-based, all "sure"), each with ".gz" added under
--gzip. The same --seed (and options) gives byte-identical files. Memory stays
bounded: pairs are made and written in blocks of --block pairs (part of what the
seed determines). Files are written under a temporary name and renamed when
complete. Needs python3 and python3-numpy (Debian) only.

What makes it look like text (defaults fitted to Hansards French-English,
lowercased; see docs/performance.md for the comparison):
- Source words are drawn i.i.d. from a Zipf-Mandelbrot law with a steeper tail
  (density (x+q)^-1 up to rank --zipf-break, then (x+q)^-tail beyond) over an
  unbounded vocabulary, so the number of word types grows with the corpus as
  Heaps' law says (exponent about 1/tail): about 31k types at 100k pairs and 81k
  at 1.13M (Hansards French: 32k and 79k), 7% of tokens the most frequent word.
- Source lengths are log-normal (median 17, mean 21 tokens as in Hansards),
  truncated to [1, --max-length].
- Translation: every source word type has a fixed lexicon entry (a hash of its
  rank and the seed): up to three alternative translations (the first used 85%
  of the time), target ranks near its own rank so frequent words translate to
  frequent words and several source words share a target word (many-to-one); a
  fertility law per type: frequent "function" words often translate to nothing
  (NULL), a quarter of the types often to two words (one-to-many); a few
  target words are inserted from nowhere (NULL-generated, no gold link).
- Order: the target keeps the source order up to local reordering, each
  translated word moved by Gaussian noise (--jitter, in positions) and resorted.
- The first word of each sentence is capitalized (so --lowercase has work).
"""

import argparse
import gzip
import os
import subprocess
import sys
import time

import numpy as np

U64 = np.uint64
MASK_53 = U64((1 << 53) - 1)


def splitmix64(x):
    """The splitmix64 finalizer on a uint64 array: a fixed hash, so a word
    type's lexicon entry is the same in every block (and every run)."""
    with np.errstate(over="ignore"):
        z = x + U64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> U64(30))) * U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> U64(27))) * U64(0x94D049BB133111EB)
        return z ^ (z >> U64(31))


def type_uniform(ranks, seed, field):
    """A uniform [0, 1) number per word type (rank) and field (int or array),
    fixed by the seed."""
    with np.errstate(over="ignore"):
        key = (ranks.astype(U64) * U64(0x100000001B3) + U64(seed & ((1 << 64) - 1)) * U64(1000003)
               + np.asarray(field).astype(U64) * U64(0xD6E8FEB86659FD93))
    h = splitmix64(splitmix64(key))
    return ((h >> U64(11)) & MASK_53).astype(np.float64) * (1.0 / (1 << 53))


class RankSampler:
    """Inverse CDF of the continuous density (x+q)^-1 on [1, b), continued by
    c (x+q)^-tail on [b, inf), continuous at b; a sample's rank is floor(x)."""

    def __init__(self, q, brk, tail):
        self.q, self.B, self.Q, self.tail = q, brk + q, 1.0 + q, tail
        self.head = np.log(self.B / self.Q)
        self.tail_mass = 1.0 / (tail - 1.0)
        self.Z = self.head + self.tail_mass

    def __call__(self, u):
        m = u * self.Z
        x = np.empty_like(m)
        h = m < self.head
        x[h] = self.Q * np.exp(m[h]) - self.q
        rest = (m[~h] - self.head) / self.tail_mass  # in [0, 1)
        x[~h] = self.B * (1.0 - rest) ** (-1.0 / (self.tail - 1.0)) - self.q
        return np.minimum(np.floor(x), 2.0 ** 62).astype(np.int64)


def syllable_table(consonants, vowels, codas):
    return np.array([c + v + d for c in consonants for v in vowels for d in codas])


# Words spell their rank in bijective base len(table), one syllable per digit:
# the frequent words are short (3 letters for the first 2,000 ranks).
SOURCE_SYLLABLES = syllable_table("bcdfghjklmnpqrstvwxz", "aeiou", "lmnrst" "bdgk")
TARGET_SYLLABLES = syllable_table("zxwvtsrqpnmlkjhgfdcb", "aeiou", "ngrskt" "lmpd")


def spell(ranks, table):
    """Words for an array of distinct ranks (>= 1), as a list of str."""
    base = len(table)
    n = ranks.astype(np.int64).copy()
    words = np.full(len(n), "", dtype=object)
    while True:
        live = n > 0
        if not live.any():
            break
        n[live] -= 1
        digit = n[live] % base
        words[live] = table[digit].astype(object) + words[live]
        n[live] //= base
    return words


class Generator:
    def __init__(self, args):
        self.a = args
        self.sampler = RankSampler(args.zipf_q, args.zipf_break, args.zipf_tail)
        m = args.max_length * 3 + 2  # a target side is at most 3 words per source word
        self.link_width = m
        # "i-j " and "i-j\n" for every position pair, so links are spelled by indexing.
        idx = np.arange(m)
        ij = np.char.add(np.char.add(idx.astype(str)[:, None], "-"), idx.astype(str)[None, :]).ravel()
        self.link_sp = np.char.add(ij, " ").astype(object)
        self.link_nl = np.char.add(ij, "\n").astype(object)
        self.src_types = np.zeros(0, dtype=np.int64)
        self.tgt_types = np.zeros(0, dtype=np.int64)

    def lexicon(self, ranks, choice, slot):
        """Target ranks of the translation `choice` (0-2), word `slot` (0-2)."""
        a, seed = self.a, self.a.seed
        field = 10 + choice * 3 + slot
        u = type_uniform(ranks, seed, field)
        # Near the source rank (frequent to frequent), spread by a factor
        # exp(+-spread), and compressed by --target-rank-scale so that several
        # source types share a target type.
        t = np.floor(ranks * a.target_rank_scale * np.exp(a.rank_spread * (2.0 * u - 1.0))) + 1
        # The second and third words of a one-to-many translation are mostly
        # frequent words ("pomme de terre"), else a rarer word of its own.
        extra = (slot > 0) & (type_uniform(ranks, seed, 40 + slot) < 0.6)
        t = np.where(extra, 1 + np.floor(type_uniform(ranks, seed, 50 + slot) * 200), t)
        return t.astype(np.int64)

    def block(self, index, n):
        a = self.a
        rng = np.random.default_rng([a.seed, index])
        src_len = np.clip(np.rint(rng.lognormal(a.log_length_mean, a.log_length_sd, n)), 1,
                          a.max_length).astype(np.int64)
        S = int(src_len.sum())
        src_start = np.concatenate(([0], np.cumsum(src_len)[:-1]))
        src_sent = np.repeat(np.arange(n), src_len)
        src_pos = np.arange(S) - src_start[src_sent]
        src_rank = self.sampler(rng.random(S))

        # Fertility per token from its type's law.
        seed = a.seed
        function_word = src_rank <= a.function_words
        p_null = np.where(function_word, a.function_null * type_uniform(src_rank, seed, 1) * 2.0,
                          a.content_null)
        p_two = np.where(type_uniform(src_rank, seed, 2) < a.multi_types, a.multi_rate, 0.02)
        p_three = np.where(type_uniform(src_rank, seed, 3) < 0.05, 0.3, 0.0) * p_two
        u = rng.random(S)
        fert = np.ones(S, dtype=np.int64)
        fert[u < p_null] = 0
        fert[u >= 1.0 - p_two] = 2
        fert[u >= 1.0 - p_three] = 3
        # Every pair keeps at least one link: a sentence whose words all went
        # to NULL translates its first word.
        linked = np.add.reduceat(fert, src_start)
        fert[src_start[linked == 0]] = 1

        v = rng.random(S)
        choice = np.where(v < 0.85, 0, np.where(v < 0.95, 1, 2))
        jitter = np.clip(rng.normal(0.0, a.jitter, S), -4 * a.jitter - 1, 4 * a.jitter + 1)

        # Translated target words: one per unit of fertility.
        T = int(fert.sum())
        origin = np.repeat(np.arange(S), fert)
        slot = np.arange(T) - np.repeat(np.cumsum(fert) - fert, fert)
        tgt_rank = self.lexicon(src_rank[origin], choice[origin], slot)
        # Sort keys: sentence * K + offset + position, with the offset and K
        # wide enough that no jitter moves a word into another sentence.
        offset = 4 * a.jitter + 2
        K = 2 * offset + a.max_length + 1
        key = src_sent[origin] * K + offset + src_pos[origin] + jitter[origin] + slot * 1e-3

        # NULL-generated target words: frequent words at random places.
        spurious = rng.poisson(a.spurious * src_len)
        P = int(spurious.sum())
        sp_sent = np.repeat(np.arange(n), spurious)
        sp_rank = self.sampler(rng.random(P) * 0.5)
        sp_key = sp_sent * K + offset + rng.random(P) * src_len[sp_sent] - 0.5

        all_rank = np.concatenate((tgt_rank, sp_rank))
        all_key = np.concatenate((key, sp_key))
        all_src = np.concatenate((src_pos[origin], np.full(P, -1)))
        order = np.argsort(all_key, kind="stable")
        tgt_rank = all_rank[order]
        tgt_src = all_src[order]
        tgt_sent = np.floor(all_key[order] / K).astype(np.int64)
        tgt_len = np.bincount(tgt_sent, minlength=n)
        tgt_start = np.concatenate(([0], np.cumsum(tgt_len)[:-1]))
        tgt_pos = np.arange(len(tgt_rank)) - tgt_start[tgt_sent]

        # Gold: the links of the translated words, by sentence, source, target position.
        g = tgt_src >= 0
        g_sent, g_i, g_j = tgt_sent[g], tgt_src[g], tgt_pos[g]
        w = self.link_width
        gorder = np.argsort((g_sent * w + g_i) * w + g_j, kind="stable")
        g_sent, flat = g_sent[gorder], (g_i[gorder] * w + g_j[gorder])
        last = np.ones(len(g_sent), dtype=bool)
        last[:-1] = g_sent[1:] != g_sent[:-1]
        gold = "".join(np.where(last, self.link_nl[flat], self.link_sp[flat]).tolist())

        src_text = self.spell_side(src_rank, src_start, src_len, SOURCE_SYLLABLES, "src")
        tgt_text = self.spell_side(tgt_rank, tgt_start, tgt_len, TARGET_SYLLABLES, "tgt")
        return src_text, tgt_text, gold, S, len(tgt_rank), int(g.sum())

    def spell_side(self, ranks, start, length, table, side):
        uniq, inverse = np.unique(ranks, return_inverse=True)
        if self.a.stats:
            attr = side + "_types"
            setattr(self, attr, np.union1d(getattr(self, attr), uniq))
        words = spell(uniq, table)
        sp = (words + " ")
        nl = (words + "\n")
        last = np.zeros(len(ranks), dtype=bool)
        last[start + length - 1] = True
        pieces = np.where(last, nl[inverse], sp[inverse])
        if self.a.capitalize:
            first = pieces[start]
            pieces[start] = np.array([p[:1].upper() + p[1:] for p in first.tolist()], dtype=object)
        return "".join(pieces.tolist())


class Output:
    """A file written under a temporary name (through `gzip -1` with --gzip,
    on another core) and renamed by commit()."""

    def __init__(self, path, compress):
        self.path = path + (".gz" if compress else "")
        self.tmp = self.path + ".tmp%d" % os.getpid()
        self.raw = open(self.tmp, "wb")
        self.proc = None
        if compress:
            self.proc = subprocess.Popen(["gzip", "-1", "-c", "-n"], stdin=subprocess.PIPE, stdout=self.raw)
            self.stream = self.proc.stdin
        else:
            self.stream = self.raw

    def write(self, text):
        self.stream.write(text.encode("ascii"))

    def close(self):
        if self.proc:
            self.proc.stdin.close()
            if self.proc.wait() != 0:
                raise RuntimeError("gzip failed writing " + self.path)
        self.raw.close()

    def commit(self):
        os.replace(self.tmp, self.path)

    def discard(self):
        try:
            os.unlink(self.tmp)
        except OSError:
            pass


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--pairs", type=int, required=True, help="sentence pairs to write")
    p.add_argument("--prefix", required=True, help="writes PREFIX.src, PREFIX.tgt, PREFIX.gold")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--gzip", action="store_true", help="gzip the three files (adds .gz)")
    p.add_argument("--block", type=int, default=100000, help="pairs made at a time (part of the seed)")
    p.add_argument("--stats", action="store_true", help="print token and type counts on stderr")
    p.add_argument("--zipf-q", type=float, default=0.2, help="Zipf-Mandelbrot shift of the ranks")
    p.add_argument("--zipf-break", type=float, default=4000.0, help="rank where the tail steepens")
    p.add_argument("--zipf-tail", type=float, default=2.5,
                   help="tail exponent (Heaps' exponent is about its inverse)")
    p.add_argument("--log-length-mean", type=float, default=2.833, help="log-normal mu (median exp(mu))")
    p.add_argument("--log-length-sd", type=float, default=0.64, help="log-normal sigma")
    p.add_argument("--max-length", type=int, default=200, help="longest source sentence")
    p.add_argument("--function-words", type=int, default=60, help="ranks that may often go to NULL")
    p.add_argument("--function-null", type=float, default=0.45, help="mean NULL rate of those")
    p.add_argument("--content-null", type=float, default=0.04, help="NULL rate of other words")
    p.add_argument("--multi-types", type=float, default=0.25, help="share of types that often give 2 words")
    p.add_argument("--multi-rate", type=float, default=0.4, help="how often those do")
    p.add_argument("--spurious", type=float, default=0.03, help="NULL-generated target words per source word")
    p.add_argument("--target-rank-scale", type=float, default=0.7,
                   help="target rank over source rank (< 1: many-to-one)")
    p.add_argument("--rank-spread", type=float, default=0.4, help="log spread of a translation's rank")
    p.add_argument("--jitter", type=float, default=0.7, help="sd of local reordering, in positions")
    p.add_argument("--no-capitalize", dest="capitalize", action="store_false")
    a = p.parse_args(argv)
    if a.pairs < 0 or a.block < 1 or a.max_length < 1:
        p.error("--pairs must be >= 0, --block and --max-length >= 1")
    if a.zipf_tail <= 1.0:
        p.error("--zipf-tail must be > 1")
    if a.jitter < 0:
        p.error("--jitter must be >= 0")
    return a


def main(argv):
    a = parse_args(argv)
    gen = Generator(a)
    outs = [Output(a.prefix + ext, a.gzip) for ext in (".src", ".tgt", ".gold")]
    t0 = time.time()
    src_tokens = tgt_tokens = links = 0
    try:
        done = 0
        index = 0
        while done < a.pairs:
            n = min(a.block, a.pairs - done)
            src, tgt, gold, s, t, l = gen.block(index, n)
            for out, text in zip(outs, (src, tgt, gold)):
                out.write(text)
            src_tokens, tgt_tokens, links = src_tokens + s, tgt_tokens + t, links + l
            done += n
            index += 1
        for out in outs:
            out.close()
    except BaseException:
        for out in outs:
            out.discard()
        raise
    for out in outs:
        out.commit()
    if a.stats:
        n = max(a.pairs, 1)
        print("pairs %d  source tokens %d (%.2f/pair, %d types)  target tokens %d (%.2f/pair, %d types)  "
              "links %d (%.3f per target token)  %.1f s"
              % (a.pairs, src_tokens, src_tokens / n, len(gen.src_types), tgt_tokens, tgt_tokens / n,
                 len(gen.tgt_types), links, links / max(tgt_tokens, 1), time.time() - t0), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
