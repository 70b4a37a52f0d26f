"""The Python module on the bundled Czech-English sample (examples/pcedt.*).

  scripts/build.sh                                  # builds build/python/aligner*.so too
  PYTHONPATH=build/python /usr/bin/python3 examples/python_example.py
"""
import os
import tempfile

import aligner

here = os.path.dirname(os.path.abspath(__file__))


def lines(name):
    with open(os.path.join(here, name), encoding="utf-8") as f:
        return f.read().splitlines()


cs, en, gold = lines("pcedt.cs"), lines("pcedt.en"), lines("pcedt.gold")

# `aligner symmetric`'s defaults: both HMM directions by agreement, lowercased.
forward, reverse, combined = aligner.symmetric(cs, en, quiet=True)
print(f"{len(cs)} pairs; pair 1: {cs[1][:40]}... ||| {en[1][:40]}...")
print("  grow-diag-final-and links:", combined[1][:8], "...")
for name, links in [("grow-diag-final-and", combined),
                    ("intersect", aligner.symmetrize(forward, reverse, "intersect"))]:
    scores = aligner.evaluate(links, gold)
    print(f"  {name:20} " + "  ".join(f"{k} {v:.4f}" for k, v in scores.items()))

# One direction as a model (fast_align's setting: -d -o -v), saved, loaded,
# and aligning new text; `aligner align --load-model` reads the same file.
model = aligner.train(cs, en, favor_diagonal=True, optimize_tension=True,
                      variational_bayes=True, quiet=True)
with tempfile.TemporaryDirectory() as tmp:
    model.save(os.path.join(tmp, "cs-en.model"))
    model = aligner.load(os.path.join(tmp, "cs-en.model"))
print(model)
print("  align:", model.align(["Praha je velké město ."], ["Prague is a big city ."]))
matrix = model.posteriors([["Praha", "je"]], [["Prague", "is"]])[0]
print("  posteriors [source][target]:", [[round(p, 3) for p in row] for row in matrix])
