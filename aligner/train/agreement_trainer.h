// Training the two directions of alignment by agreement (Liang, Taskar and
// Klein 2006, "Alignment by Agreement").
//
// The forward model generates the target from the source and the reverse
// model the source from the target. In every EM iteration each sentence pair
// gets its link posteriors under both models, p1(a_j = i) and
// p2(b_i = j); a real link (i, j) gets the product of the two, the
// approximation of the paper:
//   q(i, j) = p1(a_j = i) p2(b_i = j),
// and q is the expected translation count of (e_i, f_j) for both models.
// The NULL links (AgreementNull) get either each model's own NULL posterior
// or the mass the real links of the word leave. Everything else a model
// counts (the HMM's jumps, the diagonal model's positions) and its
// log-likelihood come from its own posteriors, since q has no transitions.
//
// Like EmTrainer, sums are fixed point, so the models are bit-for-bit the
// same for any number of threads.
#ifndef ALIGNER_TRAIN_AGREEMENT_TRAINER_H_
#define ALIGNER_TRAIN_AGREEMENT_TRAINER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "aligner/base/progress.h"
#include "aligner/base/types.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/alignment_model.h"
#include "aligner/model/expected_counts.h"
#include "aligner/model/fertility_model.h"
#include "aligner/train/em_trainer.h"
#include "aligner/train/training.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/task_arena.h"

namespace aligner {

// The expected count of a word's NULL link under agreement.
enum class AgreementNull {
  // The model's own NULL posterior p(a_j = 0).
  kOwn,
  // What the real links leave: 1 - sum_i q(i, j) (so each word's counts
  // still sum to 1; the product of two posteriors is smaller than either).
  kRest,
};

struct AgreementOptions {
  AgreementNull null = AgreementNull::kRest;
  // From the main model's iterations on (EnableFertility), each model's
  // posteriors are reweighted by its own fertility model (FertilityModel,
  // trained alongside) before they are combined.
  bool fertility = false;
  int fertility_sweeps = 2;
  double fertility_alpha = 1.0;
  // With fertility models: the last this many of the main model's
  // iterations train each direction on its own posteriors, reweighted by its
  // fertility model, instead of the agreed ones (the staging of GIZA++ and
  // eflomal, whose fertility model comes last: agreement starts both
  // directions off, then the fertility models keep each from over-fitting
  // while it learns the one-to-many links the product of the two
  // directions' posteriors suppresses). The first two main iterations
  // always train by agreement (AgreementIterationsOf): the fertility models
  // are first trained in the first and first applied in the second, and
  // one agreement iteration before four on its own lost on Czech and
  // German-English. Ignored without fertility models: each direction on its
  // own then over-fits.
  int independent_iterations = 0;
  // Each thread counts fertilities into its own arrays while each has at
  // most this many slots (kSlots per source word type; 2^21 is 16 MiB), and
  // beyond into one shared array by atomic adds, so that memory does not
  // grow with the threads. The counts are the same either way.
  size_t max_local_fertility_slots = size_t{1} << 21;
};

// How many of the main model's `iterations` train by agreement under
// `options`; the rest train each direction on its own (independent_iterations,
// with fertility models only). Never fewer than min(iterations, 2).
int AgreementIterationsOf(int iterations, const AgreementOptions& options);

// Combines the posteriors of one pair of lengths l (forward source) and m
// (forward target): `forward` is the forward model's matrix
// [j * (l + 1) + i], `reverse` the reverse model's [i' * (m + 1) + j'] with
// i' = i - 1, j' = j + 1. Writes the link counts of each model in its own
// layout into `forward_counts` and `reverse_counts` (either may alias its
// input).
void CombinePosteriors(uint32_t l, uint32_t m, const double* forward, const double* reverse,
                       const AgreementOptions& options, double* forward_counts,
                       double* reverse_counts);

// One joint iteration: the two models' reports (each with the E-step time
// of the joint E-step).
struct AgreementIterationReport {
  IterationReport forward, reverse;
  // Each direction trained on its own posteriors (set_independent).
  bool independent = false;
};

std::string FormatAgreementReport(const AgreementIterationReport& report);

class AgreementTrainer {
 public:
  // `reverse` must be `forward` with its sides swapped. `num_threads` <= 0
  // means every core.
  AgreementTrainer(const ParallelCorpus& forward, const ParallelCorpus& reverse, int num_threads,
                   AgreementOptions options = AgreementOptions());

  // One joint E-step and the M-steps of both models (each through its
  // hooks; see MStepHooks).
  AgreementIterationReport Iterate(AlignmentModel* forward, AlignmentModel* reverse, int iteration,
                                   const MStepHooks& forward_hooks = {},
                                   const MStepHooks& reverse_hooks = {});

  // The joint E-step alone; the counts are valid until the next call. Its
  // progress, when reported, is called `task`.
  void ExpectationStep(const AlignmentModel& forward, const AlignmentModel& reverse,
                       const std::string& task = "E-step");

  // Reports the pairs each E-step has done to `progress` (null: not at all).
  void set_progress(ProgressCallback progress) { progress_ = std::move(progress); }
  const ExpectedCounts& forward_counts() const { return forward_total_; }
  const ExpectedCounts& reverse_counts() const { return reverse_total_; }

  // With AgreementOptions::fertility: from now on, trains a fertility model
  // per direction and applies it in the E-step (a no-op otherwise).
  void EnableFertility();
  // From now on (true) each model counts its own posteriors, reweighted by
  // its fertility model when there is one, rather than the agreed ones.
  void set_independent(bool independent) { independent_ = independent; }
  bool independent() const { return independent_; }
  // The count slots each worker thread keeps for itself from the next E-step
  // on (ExpectedCounts::ResetSharing; kHotSlots unless set). Training sets
  // those of its main model (HotCountSlots) for all of its iterations, Model
  // 1's too: the arrays keep their memory from one iteration to the next.
  void set_hot_count_slots(size_t slots) { hot_count_slots_ = slots; }
  // The trained fertility models; null without EnableFertility.
  const FertilityModel* forward_fertility() const { return forward_fertility_.get(); }
  const FertilityModel* reverse_fertility() const { return reverse_fertility_.get(); }

  // For models on these tables (the forward and reverse tables of the
  // trainer's corpora): the E-step takes the reverse model's slots from the
  // forward model's lookups (TransposedSlots) instead of searching its table
  // again. Models on other tables are looked up as before; results are the
  // same either way.
  void UseTables(const TranslationTable& forward, const TranslationTable& reverse) {
    transposed_ = TransposedSlots::Build(forward, reverse);
  }

  // Frees what only the E-steps use: the summed translation counts (each as
  // large as its table), each thread's hot counts (until the next E-step)
  // and the transposed slots (E-steps after this search the reverse table
  // instead, with the same results). For a caller that only decodes from
  // now on, whose decoding then needs less memory than training.
  void ReleaseCounts();

  void Run(const std::function<void()>& work) { arena_.execute(work); }
  int num_threads() const { return arena_.max_concurrency(); }
  const AgreementOptions& options() const { return options_; }

 private:
  struct LocalCounts {
    ExpectedCounts forward, reverse;
    // Each thread's own fertility counts, while small (ExpectationStep):
    // the frequent words' slots are a few cache lines that every pair adds
    // to, which atomic adds from several threads pass back and forth.
    FixedPointArray forward_fertility, reverse_fertility;
    bool ready = false;
  };
  const ParallelCorpus& forward_corpus_;
  const ParallelCorpus& reverse_corpus_;
  LazyPairsByLengths pairs_by_lengths_;  // of forward_corpus_
  AgreementOptions options_;
  tbb::task_arena arena_;
  ExpectedCounts forward_total_, reverse_total_;
  tbb::enumerable_thread_specific<LocalCounts> local_counts_;
  ProgressCallback progress_;
  std::unique_ptr<FertilityModel> forward_fertility_, reverse_fertility_;
  FixedPointArray forward_fertility_counts_, reverse_fertility_counts_;
  TransposedSlots transposed_;
  bool independent_ = false;
  size_t hot_count_slots_ = ExpectedCounts::kHotSlots;
};

// Both directions, trained together.
struct AgreementModels {
  std::unique_ptr<AlignmentModel> forward, reverse;
};

// Runs the schedule of `options` (Model 1 iterations, then the main model)
// on both directions at once, every iteration by agreement except the last
// ones AgreementIterationsOf leaves to each direction on its own.
absl::StatusOr<AgreementModels> TrainByAgreement(
    const ParallelCorpus& forward_corpus, const ParallelCorpus& reverse_corpus,
    const TrainingOptions& options, AgreementTrainer* trainer,
    const std::function<void(const AgreementIterationReport&)>& on_iteration);

}  // namespace aligner

#endif  // ALIGNER_TRAIN_AGREEMENT_TRAINER_H_
