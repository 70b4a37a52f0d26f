// The interface every alignment model implements, so that one EM trainer,
// one decoder and one set of writers serve them all.
#ifndef ALIGNER_MODEL_ALIGNMENT_MODEL_H_
#define ALIGNER_MODEL_ALIGNMENT_MODEL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "aligner/base/progress.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/io/model_file.h"
#include "aligner/model/expected_counts.h"
#include "aligner/model/pair_lookup.h"
#include "aligner/model/translation_table.h"

namespace aligner {

class TargetColumns;
struct ViterbiChoice;

// Models generate each target word f_j from a source word e_{a_j}, where
// a_j = 0 is the NULL word and a_j = i > 0 the source word at 1-based
// position i. Matrices over a pair are stored target-major:
// element [j * (l + 1) + i] for target position j (0-based) and source
// position i (0 = NULL).
class AlignmentModel {
 public:
  virtual ~AlignmentModel() = default;

  // Short name used in reports, model files and the registry
  // (model_registry.h): "model1", "model2", "diagonal", "hmm".
  virtual std::string name() const = 0;

  // The translation table t(f|e) the model generates target words with
  // (shared with the Model 1 iterations that initialize it).
  virtual const TranslationTable& translation_table() const = 0;
  virtual std::shared_ptr<TranslationTable> shared_translation_table() const = 0;
  virtual bool use_null() const = 0;

  // Model files: writes the model's own sections (its options and learned
  // parameters; the table, vocabularies and metadata are written by
  // model_io). ReadParameters reads back the learned parameters into a
  // model created with the same options, checking every value, so that a
  // loaded model or a resumed checkpoint continues exactly where the writer
  // stopped.
  virtual void WriteParameters(ModelWriter* /*writer*/) const {}
  virtual absl::Status ReadParameters(const ModelReader& /*reader*/) { return absl::OkStatus(); }

  // Called before each iteration of the main model's training. `informed`:
  // the posteriors come from a trained translation table (false only for the
  // first iteration from a uniform table, whose posteriors are purely
  // positional and would only echo the starting parameters back).
  virtual void BeginIteration(bool /*informed*/) {}

  // Sizes `counts` for this model's E-step (all zero).
  virtual void InitCounts(ExpectedCounts* counts) const = 0;

  // E-step for one sentence pair: adds the expected counts of its alignment
  // posteriors and its log-likelihood log p(target | source) to `counts`.
  // Must be safe to call concurrently on different `counts`.
  virtual void AddExpectedCounts(const SentencePair& pair, ExpectedCounts* counts) const = 0;

  // The E-step of AddExpectedCounts split in two, for training two models by
  // agreement (AgreementTrainer), whose translation counts come from the
  // posteriors of both. First: every count of the pair except the
  // translation counts (alignment or jump counts, from the model's own
  // posteriors; the log-likelihood; pair and token tallies), and the model's
  // own posteriors into `posteriors` (layout as above), with the
  // translation-table lookups of the pair into `lookup`, so that the second
  // half need not look them up again. Then lookup->AddCounts(link_counts,
  // counts) adds link_counts[j * (l + 1) + i] as the expected count of
  // t(f_j | e_i) (i = 0: NULL). A pair with an empty side adds nothing and
  // gets empty posteriors. Together, with link_counts = posteriors, they add
  // what AddExpectedCounts adds.
  virtual void AddExpectedCountsExceptTranslation(const SentencePair& pair,
                                                  std::vector<double>* posteriors,
                                                  PairLookup* lookup,
                                                  ExpectedCounts* counts) const = 0;

  // Hard EM (Viterbi training): adds the counts of the pair's most probable
  // alignment alone (ViterbiAlign's), as AddExpectedCounts would with
  // posteriors 1 on its links and 0 elsewhere, and that alignment's
  // log-probability log p(target, alignment | source) as the pair's
  // log-likelihood. Hard EM never lowers the sum of these over the corpus.
  virtual void AddViterbiCounts(const SentencePair& pair, ExpectedCounts* counts) const = 0;

  // The E-step over the corpus `columns` was built from, target word by
  // target word (TargetColumns), into `counts` (sized by InitCounts), for
  // models that align each target word independently given the source
  // sentence; `progress` (may be null) hears the target tokens done. Adds
  // exactly what AddExpectedCounts adds over every pair (whose fixed-point
  // roundings are per target word, so that both sum the same). False (and
  // nothing added) for a model without it.
  virtual bool AddExpectedCountsByTargetWord(TargetColumns* /*columns*/, ExpectedCounts* /*counts*/,
                                             ProgressCounter* /*progress*/) const {
    return false;
  }
  // ViterbiAlign for every usable pair of `columns`'s corpus (whose
  // probabilities it overwrites), by target word: choices[u] gets the
  // choice of unit u, a_j of its pair's token j and the log of its
  // probability, whose sum over a pair's j in order is ViterbiAlign's return
  // value. False for a model without it.
  virtual bool ViterbiByTargetWord(TargetColumns* /*columns*/, ViterbiChoice* /*choices*/) const {
    return false;
  }

  // Whether the E-step should visit the pairs grouped by their lengths
  // (PairsByLengths) rather than in corpus order. Worth it for models whose
  // per-pair tables depend on the lengths alone (the HMM's jump tables);
  // others are faster in corpus order, where neighboring pairs share words
  // and so the translation table's cache lines.
  virtual bool PrefersPairsByLengths() const { return false; }

  // M-step: re-estimates every parameter from the summed counts.
  virtual void Maximize(const ExpectedCounts& counts) = 0;

  // Alignment posteriors p(a_j = i | source, target), laid out as above;
  // returns log p(target | source). Columns j sum to 1.
  virtual double Posteriors(const SentencePair& pair, std::vector<double>* posteriors) const = 0;

  // The model's few scalar parameters for progress reports, e.g.
  // "tension 5.1, p0 0.08"; empty when it has none worth printing.
  virtual std::string DescribeParameters() const { return ""; }

  // The most probable alignment: (*alignment)[j] = i (0 = NULL). Returns its
  // log-probability log p(target, alignment | source).
  virtual double ViterbiAlign(const SentencePair& pair, std::vector<uint32_t>* alignment) const = 0;

  // ViterbiAlign and Posteriors of one pair at once (returns ViterbiAlign's
  // log-probability). Models override it to look the pair up only once.
  virtual double ViterbiAndPosteriors(const SentencePair& pair, std::vector<uint32_t>* alignment,
                                      std::vector<double>* posteriors) const {
    Posteriors(pair, posteriors);
    return ViterbiAlign(pair, alignment);
  }
};

}  // namespace aligner

#endif  // ALIGNER_MODEL_ALIGNMENT_MODEL_H_
