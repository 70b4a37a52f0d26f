// Properties that must hold for any corpus, checked on random ones (seeded,
// so failures reproduce): random vocabulary sizes, sentence lengths from 0
// to 200, empty lines, malformed lines, empty sides, TAB separators, CRLF,
// a missing final newline, and pairs over --max-sentence-length.
//
//  - every input line is one corpus pair and one decoded output line;
//  - every link is inside its sentence pair, in the input's orientation;
//  - pairs that cannot be aligned get no links;
//  - training and decoding are identical for 1, 2 and 3 threads (the model's
//    log-likelihoods and every link, bit for bit);
//  - the bitext and the same corpus as two parallel files align identically;
//  - the command-line tool agrees: one output line per input line, the same
//    output for any --threads.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "aligner/corpus/parallel_corpus.h"
#include "aligner/decode/decoder.h"
#include "aligner/train/em_trainer.h"
#include "aligner/train/training.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tbb/global_control.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

constexpr int kNumCorpora = 20;

// One generated corpus in its two file forms, and what the reader must make
// of it.
struct RandomCorpus {
  std::string bitext;                    // "source ||| target" (or TAB) lines
  std::string source_text, target_text;  // the same as parallel files
  size_t lines = 0;
  int64_t malformed = 0;
  size_t max_sentence_length = 1000;
  std::string model = "model1";
  bool reverse = false;
  double posterior_threshold = -1;
};

std::string Words(std::mt19937_64* rng, int count, int vocabulary, const std::string& prefix) {
  std::string out;
  std::uniform_real_distribution<double> unit(0, 1);
  for (int i = 0; i < count; ++i) {
    if (i > 0) out += (*rng)() % 8 == 0 ? "  " : " ";
    // Skewed towards frequent words, as text is.
    const double u = unit(*rng);
    out += prefix + std::to_string(static_cast<int>(vocabulary * u * u));
  }
  return out;
}

int RandomLength(std::mt19937_64* rng) {
  const int r = (*rng)() % 10;
  if (r < 6) return 1 + (*rng)() % 20;
  if (r < 9) return 1 + (*rng)() % 60;
  return 1 + (*rng)() % 200;
}

RandomCorpus Generate(uint64_t seed) {
  std::mt19937_64 rng(seed);
  RandomCorpus c;
  const int source_vocabulary = 1 + rng() % 400;
  const int target_vocabulary = 1 + rng() % 400;
  // Up to several E-step blocks of 64 pairs, so that threads share the work.
  c.lines = 5 + rng() % 300;
  c.max_sentence_length = std::vector<size_t>{1000, 50, 120}[rng() % 3];
  c.model = std::vector<std::string>{"model1", "diagonal", "model2", "hmm"}[seed % 4];
  c.reverse = rng() % 2 == 0;
  c.posterior_threshold = rng() % 3 == 0 ? 0.3 : -1;
  for (size_t k = 0; k < c.lines; ++k) {
    const int kind = rng() % 20;
    std::string source, target, line;
    if (kind == 0) {  // blank line: no separator
      ++c.malformed;
    } else if (kind == 1) {  // no separator
      line = Words(&rng, RandomLength(&rng), source_vocabulary, "s");
      ++c.malformed;
    } else if (kind == 2) {  // two separators
      line = Words(&rng, 3, source_vocabulary, "s") + " ||| " +
             Words(&rng, 2, target_vocabulary, "t") + " ||| " +
             Words(&rng, 2, target_vocabulary, "t");
      ++c.malformed;
    } else {
      const int l = kind == 3 ? 0 : RandomLength(&rng);
      // Target length: 0.5 to 1.5 times the source's, 1 to 200.
      const int scaled = static_cast<int>(l * (0.5 + (rng() % 100) / 100.0)) + rng() % 3;
      const int m = kind == 4 ? 0 : std::min(200, std::max(1, scaled));
      source = Words(&rng, l, source_vocabulary, "s");
      target = Words(&rng, m, target_vocabulary, "t");
      line = source + (rng() % 5 == 0 ? "\t" : " ||| ") + target;
    }
    const std::string end = rng() % 10 == 0 ? "\r\n" : "\n";
    const bool last = k + 1 == c.lines;
    // Without its newline a last line with an empty side would vanish.
    const bool final_newline =
        !last || line.empty() || source.empty() || target.empty() || rng() % 4 != 0;
    c.bitext += line + (final_newline ? end : "");
    // A line the bitext reader rejects becomes an empty pair of lines.
    c.source_text += source + (final_newline ? end : "");
    c.target_text += target + (final_newline ? end : "");
  }
  return c;
}

// What one run produced, to compare runs.
struct Outcome {
  std::vector<double> log_likelihoods;
  std::vector<SentenceLinks> links;
  std::vector<std::vector<uint32_t>> alignments;
  std::vector<double> log_probs;
};

class PropertyTest : public TempDirTest {};

TrainingOptions OptionsFor(const RandomCorpus& c) {
  TrainingOptions options;
  options.model = c.model;
  options.iterations = 3;
  options.model1_iterations = c.model == "model1" ? -1 : 2;
  options.prior.variational_bayes = c.model == "diagonal";
  options.diagonal.optimize_tension = true;
  return options;
}

// Trains on `corpus` (already in the model's direction) and decodes it.
Outcome TrainAndDecode(const ParallelCorpus& corpus, const RandomCorpus& c, int threads) {
  Outcome outcome;
  EmTrainer trainer(corpus, threads);
  auto model = TrainModel(corpus, OptionsFor(c), &trainer, [&](const IterationReport& r) {
    outcome.log_likelihoods.push_back(r.log_likelihood);
  });
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return outcome;
  DecodeOptions decode;
  decode.reverse = c.reverse;
  decode.posterior_threshold = c.posterior_threshold;
  size_t next = 0;
  trainer.Run([&] {
    DecodeCorpus(**model, corpus, decode, [&](size_t k, const DecodedPair& pair) {
      EXPECT_EQ(k, next++) << "pairs must reach the sink in order";
      outcome.links.push_back(pair.links);
      outcome.alignments.push_back(pair.alignment);
      outcome.log_probs.push_back(pair.log_prob);
    });
  });
  return outcome;
}

void ExpectSameOutcome(const Outcome& a, const Outcome& b, const std::string& what) {
  EXPECT_EQ(a.log_likelihoods, b.log_likelihoods) << what;
  ASSERT_EQ(a.links.size(), b.links.size()) << what;
  for (size_t k = 0; k < a.links.size(); ++k) {
    EXPECT_EQ(a.links[k], b.links[k]) << what << ", line " << k + 1;
    EXPECT_EQ(a.alignments[k], b.alignments[k]) << what << ", line " << k + 1;
    EXPECT_EQ(a.log_probs[k], b.log_probs[k]) << what << ", line " << k + 1;
  }
}

TEST_F(PropertyTest, RandomCorporaAlignLineForLineInRangeAndThreadIndependently) {
  // Let TBB run 3 threads even on a machine with fewer cores.
  tbb::global_control allow_threads(tbb::global_control::max_allowed_parallelism, 3);
  for (int n = 0; n < kNumCorpora; ++n) {
    const uint64_t seed = 1000 + n;
    const RandomCorpus c = Generate(seed);
    SCOPED_TRACE("corpus seed " + std::to_string(seed) + ", model " + std::string(c.model) +
                 (c.reverse ? ", reverse" : "") + ", " + std::to_string(c.lines) + " lines");
    const std::string bitext = WriteFile("bitext", c.bitext);
    CorpusReadOptions read;
    read.max_sentence_length = c.max_sentence_length;
    CorpusReport report;
    auto corpus = ReadBitext(bitext, read, &report);
    ASSERT_TRUE(corpus.ok()) << corpus.status();
    ASSERT_EQ(corpus->size(), c.lines);
    EXPECT_EQ(report.pairs, static_cast<int64_t>(c.lines));
    EXPECT_EQ(report.malformed_lines, c.malformed);

    // The original lengths, for range checks in the input's orientation.
    std::vector<std::pair<size_t, size_t>> lengths;
    for (size_t k = 0; k < corpus->size(); ++k) {
      const SentencePair pair = corpus->pair(k);
      EXPECT_EQ(pair.source.empty(), pair.target.empty()) << "line " << k + 1;
      EXPECT_LE(pair.source.size(), c.max_sentence_length);
      EXPECT_LE(pair.target.size(), c.max_sentence_length);
      lengths.push_back({pair.source.size(), pair.target.size()});
    }
    if (c.reverse) corpus->SwapSides();

    const Outcome one = TrainAndDecode(*corpus, c, 1);
    ASSERT_EQ(one.links.size(), c.lines);
    for (double ll : one.log_likelihoods) EXPECT_TRUE(std::isfinite(ll)) << ll;
    for (size_t k = 0; k < c.lines; ++k) {
      const auto [l, m] = lengths[k];
      if (l == 0 || m == 0) EXPECT_TRUE(one.links[k].empty()) << "line " << k + 1;
      EXPECT_TRUE(std::isfinite(one.log_probs[k])) << "line " << k + 1;
      for (const Link& link : one.links[k]) {
        EXPECT_LT(link.source, l) << "line " << k + 1;
        EXPECT_LT(link.target, m) << "line " << k + 1;
      }
    }
    for (int threads : {2, 3}) {
      ExpectSameOutcome(one, TrainAndDecode(*corpus, c, threads),
                        std::to_string(threads) + " threads");
    }

    // The same corpus as two parallel files.
    const std::string source = WriteFile("source", c.source_text);
    const std::string target = WriteFile("target", c.target_text);
    CorpusReport parallel_report;
    auto parallel = ReadParallelFiles(source, target, read, &parallel_report);
    ASSERT_TRUE(parallel.ok()) << parallel.status();
    ASSERT_EQ(parallel->size(), c.lines);
    EXPECT_EQ(parallel_report.too_long_pairs, report.too_long_pairs);
    if (c.reverse) parallel->SwapSides();
    ExpectSameOutcome(one, TrainAndDecode(*parallel, c, 2), "parallel files");
  }
}

// Runs the tool; returns stdout, or fails the test on a non-zero exit.
std::string RunAligner(const std::string& args, const std::string& scratch) {
  const std::string out = scratch + ".out", err = scratch + ".err";
  const std::string command =
      std::string(ALIGNER_BINARY) + " " + args + " > '" + out + "' 2> '" + err + "'";
  const int status = std::system(command.c_str());
  std::ifstream out_stream(out, std::ios::binary), err_stream(err, std::ios::binary);
  std::stringstream out_text, err_text;
  out_text << out_stream.rdbuf();
  err_text << err_stream.rdbuf();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << args << "\n" << err_text.str();
  return out_text.str();
}

TEST_F(PropertyTest, CommandLineWritesOneLinePerInputLineForAnyThreadCount) {
  for (int n = 0; n < 4; ++n) {
    const uint64_t seed = 2000 + n;
    const RandomCorpus c = Generate(seed);
    SCOPED_TRACE("corpus seed " + std::to_string(seed));
    const std::string bitext = WriteFile("bitext", c.bitext);
    const std::string flags = std::string(" --quiet --model ") + std::string(c.model) +
                              " -I 3 --max-sentence-length " +
                              std::to_string(c.max_sentence_length) + (c.reverse ? " -r" : "");
    const std::string first =
        RunAligner("align -i '" + bitext + "' --threads 1" + flags, (dir_ / "run").string());
    size_t newlines = 0;
    for (char ch : first) newlines += ch == '\n';
    EXPECT_EQ(newlines, c.lines);
    EXPECT_TRUE(first.empty() || first.back() == '\n');
    for (int threads : {2, 3}) {
      EXPECT_EQ(RunAligner("align -i '" + bitext + "' --threads " + std::to_string(threads) + flags,
                           (dir_ / "run").string()),
                first)
          << threads << " threads";
    }
  }
}

}  // namespace
}  // namespace aligner
