"""Tests of the Python module `aligner` against the `aligner` CLI.

CTest runs this with the built module on PYTHONPATH and ALIGNER_BINARY naming
the CLI; the same sentences go to the module and, written to files, to the CLI,
and the links must be the same. Run by hand:
  PYTHONPATH=build/python ALIGNER_BINARY=build/aligner \
    ALIGNER_TEST_DATA_DIR=tests/data /usr/bin/python3 tests/python_module_test.py
"""
import gzip
import os
import re
import subprocess
import tempfile
import threading
import time
import unittest

import aligner

BINARY = os.environ["ALIGNER_BINARY"]
DATA = os.environ["ALIGNER_TEST_DATA_DIR"]


def read_lines(path, n):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [next(f).rstrip("\n") for _ in range(n)]


# 600 Hansards pairs plus the cases the readers treat specially: an empty
# side, a pair over max_sentence_length 40 (both emptied), cased words.
SRC = read_lines(os.path.join(DATA, "hansards10k.fr.gz"), 600)
TGT = read_lines(os.path.join(DATA, "hansards10k.en.gz"), 600)
SRC += ["", "Le Chat noir", " ".join(["mot"] * 45)]
TGT += ["nothing", "the Black CAT", "word"]
# New text for aligning with a trained model, with words it never saw.
NEW_SRC = read_lines(os.path.join(DATA, "hansards10k.fr.gz"), 700)[600:] + ["zzz inconnu le"]
NEW_TGT = read_lines(os.path.join(DATA, "hansards10k.en.gz"), 700)[600:] + ["unknown zzz the"]


def pharaoh(links):
    return " ".join(f"{i}-{j}" for i, j in links)


def parse_pharaoh(line):
    return [tuple(int(x) for x in token.split("-")) for token in line.split()]


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def write(self, name, lines):
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
        return self.path(name)

    def cli(self, *args):
        run = subprocess.run([BINARY, *args], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        return run.stdout

    def read(self, name):
        with open(self.path(name), encoding="utf-8") as f:
            return [parse_pharaoh(line) for line in f.read().splitlines()]

    def corpus_files(self, src=SRC, tgt=TGT):
        return ["--source", self.write("c.src", src), "--target", self.write("c.tgt", tgt)]

    def assertSameLinks(self, python_links, cli_links, what):
        self.assertEqual(len(python_links), len(cli_links), what)
        for k, (p, c) in enumerate(zip(python_links, cli_links)):
            self.assertEqual(sorted(p), sorted(c), f"{what}, pair {k}")
        # Not a vacuous comparison.
        self.assertGreater(sum(len(p) for p in python_links), len(python_links), what)


class SymmetricTest(CliTest):
    def test_defaults_match_cli(self):
        # The defaults: HMMs by agreement on lowercased words. Target side
        # given as token lists: tokenized like the file reader.
        forward, reverse, combined = aligner.symmetric(
            SRC, [t.split() for t in TGT], threads=2, max_sentence_length=40, quiet=True)
        self.cli("symmetric", *self.corpus_files(), "--prefix", self.path("out"), "--threads",
                 "2", "--max-sentence-length", "40", "--quiet")
        self.assertSameLinks(forward, self.read("out.forward"), "forward")
        self.assertSameLinks(reverse, self.read("out.reverse"), "reverse")
        self.assertSameLinks(combined, self.read("out.grow-diag-final-and"), "symmetrized")
        self.assertEqual(forward[-1], [])  # over the length limit
        self.assertEqual(forward[-3], [])  # empty side
        self.assertTrue(all(isinstance(link, tuple) for link in forward[0]))

    def test_agreement_with_model_flags_matches_cli(self):
        forward, reverse, combined = aligner.symmetric(
            SRC, TGT, iterations=3, hmm_p0=0.25, model1_iterations=1, agreement_null="own",
            command="grow-diag", threads=2, quiet=True)
        self.cli("symmetric", *self.corpus_files(), "--prefix", self.path("out"), "-I", "3",
                 "--hmm-p0", "0.25", "--model1-iterations", "1", "--agreement-null", "own",
                 "-c", "grow-diag", "--threads", "2", "--quiet")
        self.assertSameLinks(forward, self.read("out.forward"), "forward")
        self.assertSameLinks(reverse, self.read("out.reverse"), "reverse")
        self.assertSameLinks(combined, self.read("out.grow-diag"), "grow-diag")
        # The flags changed the result (the comparison is not of defaults).
        default, _, _ = aligner.symmetric(SRC, TGT, threads=2, quiet=True)
        self.assertNotEqual(forward, default)

    def test_independent_diagonal_matches_cli(self):
        options = dict(agreement=False, model="diagonal", optimize_tension=True,
                       variational_bayes=True, lowercase=False, iterations=4, command="intersect",
                       threads=1, quiet=True)
        forward, reverse, combined = aligner.symmetric(SRC, TGT, **options)
        self.cli("symmetric", *self.corpus_files(), "--prefix", self.path("out"), "--no-agreement",
                 "-d", "-o", "-v", "--no-lowercase", "-I", "4", "-c", "intersect", "--threads", "1",
                 "--quiet")
        self.assertSameLinks(forward, self.read("out.forward"), "forward")
        self.assertSameLinks(reverse, self.read("out.reverse"), "reverse")
        self.assertSameLinks(combined, self.read("out.intersect"), "intersect")

    def test_symmetrize_matches_cli(self):
        forward, reverse, _ = aligner.symmetric(SRC[:100], TGT[:100], iterations=2, quiet=True)
        f = self.write("f", [pharaoh(x) for x in forward])
        r = self.write("r", [pharaoh(x) for x in reverse])
        for heuristic in ["intersect", "union", "grow-diag", "grow-diag-final",
                          "grow-diag-final-and"]:
            cli = [parse_pharaoh(line) for line in
                   self.cli("symmetrize", "-i", f, "-j", r, "-c", heuristic).splitlines()]
            self.assertEqual(aligner.symmetrize(forward, reverse, heuristic), cli, heuristic)
        # Pharaoh strings are accepted too.
        self.assertEqual(aligner.symmetrize([pharaoh(x) for x in forward], reverse),
                         aligner.symmetrize(forward, reverse))


class TrainTest(CliTest):
    def test_train_and_align_match_cli(self):
        for reverse in (False, True):
            model = aligner.train(SRC, TGT, model="hmm", iterations=3, lowercase=True,
                                  reverse=reverse, threads=2, max_sentence_length=40, quiet=True)
            self.assertEqual(model.name, "hmm")
            self.assertEqual(model.reverse, reverse)
            self.assertTrue(model.lowercase)
            args = ["align", *self.corpus_files(), "--model", "hmm", "-I", "3", "--lowercase",
                    "--max-sentence-length", "40", "--threads", "2", "--quiet"]
            if reverse:
                args.append("-r")
            cli = [parse_pharaoh(line) for line in self.cli(*args).splitlines()]
            self.assertSameLinks(model.align(SRC, TGT), cli, f"reverse={reverse}")

    def test_posterior_threshold_matches_cli(self):
        model = aligner.train(SRC, TGT, iterations=3, quiet=True)  # Model 1
        cli = [parse_pharaoh(line) for line in self.cli(
            "align", *self.corpus_files(), "-I", "3", "--posterior-threshold", "0.3",
            "--quiet").splitlines()]
        self.assertSameLinks(model.align(SRC, TGT, posterior_threshold=0.3), cli, "posteriors")

    def test_model_files_are_interchangeable(self):
        options = dict(model="diagonal", optimize_tension=True, variational_bayes=True)
        # Python writes, the CLI aligns.
        model = aligner.train(SRC, TGT, quiet=True, **options)
        model.save(self.path("py.model"))
        new_files = ["--source", self.write("n.src", NEW_SRC), "--target",
                     self.write("n.tgt", NEW_TGT)]
        cli = [parse_pharaoh(line) for line in self.cli(
            "align", *new_files, "--load-model", self.path("py.model"), "--quiet").splitlines()]
        self.assertSameLinks(model.align(NEW_SRC, NEW_TGT), cli, "python model, cli align")
        # The CLI writes, Python aligns.
        self.cli("train", *self.corpus_files(), "-d", "-o", "-v", "--model-file",
                 self.path("cli.model"), "--quiet")
        loaded = aligner.load(self.path("cli.model"))
        self.assertEqual(loaded.name, "diagonal")
        cli = [parse_pharaoh(line) for line in self.cli(
            "align", *new_files, "--load-model", self.path("cli.model"), "--quiet").splitlines()]
        self.assertSameLinks(loaded.align(NEW_SRC, NEW_TGT), cli, "cli model, python align")
        # Both trained the same model.
        self.assertEqual(loaded.align(NEW_SRC, NEW_TGT), model.align(NEW_SRC, NEW_TGT))
        # A saved and reloaded model aligns as before.
        self.assertEqual(aligner.load(self.path("py.model")).align(SRC, TGT),
                         model.align(SRC, TGT))

    def test_posteriors_match_cli_link_posteriors(self):
        for reverse in (False, True):
            model = aligner.train(SRC, TGT, model="hmm", iterations=2, reverse=reverse,
                                  quiet=True)
            model.save(self.path("m"))
            self.cli("align", *self.corpus_files(), "--load-model", self.path("m"), "--output",
                     self.path("links"), "--link-posteriors", self.path("post"), "--quiet")
            links = self.read("links")
            with open(self.path("post")) as f:
                cli_posteriors = [[float(x) for x in line.split()] for line in f]
            matrices = model.posteriors(SRC, TGT)
            self.assertEqual(len(matrices), len(SRC))
            for k, matrix in enumerate(matrices[:-3]):
                src_len, tgt_len = len(SRC[k].split()), len(TGT[k].split())
                self.assertEqual(len(matrix), src_len)
                self.assertTrue(all(len(row) == tgt_len for row in matrix))
                for (i, j), p in zip(links[k], cli_posteriors[k]):
                    self.assertAlmostEqual(matrix[i][j], p, delta=1e-5 * max(p, 1e-3),
                                           msg=f"reverse={reverse} pair {k} link {i}-{j}")
                # Each word of the model's target side is linked at most once:
                # its posteriors (without NULL) sum to at most 1.
                if reverse:
                    sums = [sum(row) for row in matrix]
                else:
                    sums = [sum(matrix[i][j] for i in range(src_len)) for j in range(tgt_len)]
                self.assertTrue(all(s <= 1 + 1e-9 for s in sums))
            self.assertEqual(matrices[-3], [])  # an empty side
            self.assertEqual(len(matrices[-1]), 45)  # within the default length limit

    def test_threads_do_not_change_results(self):
        one = aligner.train(SRC, TGT, model="hmm", iterations=2, threads=1, quiet=True)
        two = aligner.train(SRC, TGT, model="hmm", iterations=2, threads=2, quiet=True)
        self.assertEqual(one.align(SRC, TGT, threads=1), two.align(SRC, TGT, threads=2))

    def test_training_releases_the_gil(self):
        ticks = []
        stop = threading.Event()

        def tick():
            while not stop.is_set():
                ticks.append(time.monotonic())
                time.sleep(0.001)

        thread = threading.Thread(target=tick)
        thread.start()
        try:
            start = time.monotonic()
            aligner.train(SRC * 4, TGT * 4, model="hmm", iterations=5, threads=1, quiet=True)
            end = time.monotonic()
        finally:
            stop.set()
            thread.join()
        during = [t for t in ticks if start <= t <= end]
        self.assertGreater(end - start, 0.2, "training too short to tell")
        # Holding the GIL would stop the thread for the whole of training.
        gaps = [b - a for a, b in zip([start] + during, during + [end])]
        self.assertLess(max(gaps), (end - start) / 2, f"{len(during)} ticks in {end - start:.2f}s")


class EvaluateTest(CliTest):
    def test_evaluate_matches_cli(self):
        src = open(os.path.join(DATA, "trial.fr"), encoding="utf-8").read().splitlines()
        tgt = open(os.path.join(DATA, "trial.en"), encoding="utf-8").read().splitlines()
        gold = open(os.path.join(DATA, "trial.gold"), encoding="utf-8").read().splitlines()
        _, _, links = aligner.symmetric(src, tgt, quiet=True)
        scores = aligner.evaluate(links, gold)
        self.assertEqual(sorted(scores), ["aer", "f1", "precision", "recall"])
        out = self.cli("evaluate", "-a", self.write("a", [pharaoh(x) for x in links]), "-g",
                       os.path.join(DATA, "trial.gold")).split()
        cli = dict(zip(out[0:8:2], (float(x) for x in out[1:8:2])))
        self.assertAlmostEqual(scores["aer"], cli["AER"], places=4)
        self.assertAlmostEqual(scores["precision"], cli["precision"], places=4)
        self.assertAlmostEqual(scores["recall"], cli["recall"], places=4)
        self.assertAlmostEqual(scores["f1"], cli["F1"], places=4)

    def test_gold_as_link_lists(self):
        links = [[(0, 0), (1, 1)], [(0, 1)]]
        scores = aligner.evaluate(links, [[(0, 0)], [(0, 0)]], possible=[[(1, 1)], []])
        # A = 3 links, S = 2, |A&S| = 1, |A&P| = 2.
        self.assertAlmostEqual(scores["precision"], 2 / 3)
        self.assertAlmostEqual(scores["recall"], 1 / 2)
        self.assertAlmostEqual(scores["aer"], 1 - 3 / 5)
        self.assertEqual(aligner.evaluate(links, ["0-0 1p1", "0-0"]), scores)


class ErrorTest(unittest.TestCase):
    def test_bad_option_names_carry_the_parsers_message(self):
        with self.assertRaisesRegex(ValueError, "unrecognised option '--modle'"):
            aligner.train(["a"], ["b"], modle="hmm")
        with self.assertRaisesRegex(ValueError, "unrecognised option '--modle'"):
            aligner.train(["a"], ["b"], modle=False)
        # Options naming files are the CLI's, not the module's.
        with self.assertRaisesRegex(ValueError, "--prefix names a file"):
            aligner.symmetric(["a"], ["b"], prefix="out")
        with self.assertRaisesRegex(ValueError, "--model-file names a file"):
            aligner.train(["a"], ["b"], model_file="m")
        with self.assertRaisesRegex(TypeError, "option iterations"):
            aligner.train(["a"], ["b"], iterations=[5])

    def test_bad_values_carry_the_librarys_message(self):
        with self.assertRaisesRegex(ValueError, re.escape("('five') for option '--iterations' is invalid")):
            aligner.train(["a"], ["b"], iterations="five")
        with self.assertRaisesRegex(ValueError, "model1, model2, diagonal or hmm"):
            aligner.train(["a"], ["b"], model="ibm9")
        with self.assertRaisesRegex(ValueError, "variational Bayes"):
            aligner.symmetric(["a"], ["b"], variational_bayes=True)
        with self.assertRaisesRegex(ValueError, "--threads must be >= 0"):
            aligner.train(["a"], ["b"], threads=-1)
        with self.assertRaisesRegex(ValueError, "--max-sentence-length must be in"):
            aligner.train(["a"], ["b"], max_sentence_length=0)
        with self.assertRaisesRegex(ValueError, "contradicts --model hmm"):
            aligner.train(["a"], ["b"], favor_diagonal=True, model="hmm")
        with self.assertRaisesRegex(ValueError, "--agreement-null must be rest or own"):
            aligner.symmetric(["a"], ["b"], agreement_null="mine")
        with self.assertRaisesRegex(ValueError, "heuristic|intersect"):
            aligner.symmetrize([[]], [[]], "grow")
        model = aligner.train(["a"], ["b"], quiet=True)
        with self.assertRaisesRegex(ValueError, "--threads must be >= 0"):
            model.align(["a"], ["b"], threads=-1)

    def test_defaults_are_the_librarys(self):
        # The CLI's switches with a --no- form take False; others are off
        # unless True.
        model = aligner.train(SRC[:50], TGT[:50], quiet=True)
        self.assertEqual(model.name, "model1")
        self.assertFalse(model.lowercase)
        self.assertEqual(model.max_sentence_length, 250)
        forward, _, _ = aligner.symmetric(["La maison"], ["the House"], quiet=True)
        self.assertEqual(len(forward), 1)
        with self.assertRaisesRegex(ValueError, "does not work with -v"):
            aligner.symmetric(["a"], ["b"], variational_bayes=True, agreement=True)
        aligner.symmetric(["a"], ["b"], variational_bayes=True, agreement=False, quiet=True)

    def test_bad_input(self):
        with self.assertRaisesRegex(ValueError, "2 sentences but tgt has 1"):
            aligner.train(["a", "b"], ["c"])
        with self.assertRaisesRegex(ValueError, "2 sentences but tgt has 3"):
            aligner.symmetric(["a", "b"], ["c", "d", "e"])
        # The file readers' rules: no usable pair is an error.
        with self.assertRaisesRegex(ValueError, "none of their 2 lines can be aligned .2 with an "
                                                "empty side"):
            aligner.train(["a", ""], ["", "b"], quiet=True)
        with self.assertRaisesRegex(ValueError, "longer than --max-sentence-length 2"):
            aligner.symmetric(["a b c"], ["x"], max_sentence_length=2, quiet=True)
        with self.assertRaisesRegex(ValueError, "whitespace"):
            aligner.train([["a b"]], [["c"]])
        with self.assertRaisesRegex(TypeError, "lists of sentences"):
            aligner.train("a b", "c d")
        with self.assertRaisesRegex(FileNotFoundError, "/no/such/model"):
            aligner.load("/no/such/model")
        with tempfile.NamedTemporaryFile("w", suffix=".model") as f:
            f.write("not a model\n")
            f.flush()
            with self.assertRaisesRegex(Exception, f.name):
                aligner.load(f.name)


if __name__ == "__main__":
    unittest.main()
