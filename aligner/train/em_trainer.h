// Expectation-maximization over a corpus, with the E-step in parallel.
#ifndef ALIGNER_TRAIN_EM_TRAINER_H_
#define ALIGNER_TRAIN_EM_TRAINER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "aligner/base/progress.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/alignment_model.h"
#include "aligner/model/expected_counts.h"
#include "aligner/model/target_columns.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/task_arena.h"

namespace aligner {

// What one EM iteration measured. The log-likelihood is that of the
// parameters the iteration started from (the E-step computes it), so for a
// model trained by exact EM the sequence never decreases.
struct IterationReport {
  std::string model;
  int iteration = 0;  // 1-based, per model
  double log_likelihood = 0;
  double perplexity = 0;  // 2^(-log2 likelihood / target tokens), as fast_align prints
  int64_t target_tokens = 0;
  int64_t links = 0;
  double e_step_seconds = 0;
  double m_step_seconds = 0;
  // The model's scalar parameters after the M-step (DescribeParameters).
  std::string parameters;
};

std::string FormatIterationReport(const IterationReport& report);

// The part of a report an E-step's summed counts give (model, iteration,
// log-likelihood, perplexity, tokens, links); timings and parameters are
// left for the caller.
IterationReport ReportFromCounts(const AlignmentModel& model, const ExpectedCounts& counts,
                                 int iteration);

// The pairs of `corpus` with both sides non-empty, sorted by (source length,
// target length), ties by index: the order the E-steps visit them in for
// models that ask for it (AlignmentModel::PrefersPairsByLengths). Counts are
// summed exactly, so the order changes nothing but speed.
std::vector<uint32_t> PairsByLengths(const ParallelCorpus& corpus);

// PairsByLengths, computed once, when first asked for (thread-safe).
class LazyPairsByLengths {
 public:
  const std::vector<uint32_t>& get(const ParallelCorpus& corpus);

 private:
  std::once_flag once_;
  std::vector<uint32_t> order_;
};

// Wall seconds since `start`.
double SecondsSince(std::chrono::steady_clock::time_point start);

// How an iteration's counts become parameters when the E-step sees only one
// part of the corpus (an MPI rank's block, aligner/mpi): `combine` turns this
// part's summed counts into the whole corpus's, before the report and the
// M-step (null: they already are); `maximize` replaces the model's own
// M-step (null: model->Maximize(counts)); `combine_fertility` does what
// `combine` does for the counts of a fertility model trained alongside
// (AgreementTrainer's), before its M-step (null: they already are).
struct MStepHooks {
  std::function<void(ExpectedCounts* counts)> combine;
  std::function<void(const ExpectedCounts& counts, AlignmentModel* model)> maximize;
  std::function<void(FixedPointArray* counts)> combine_fertility;
};

// Runs hooks.combine on `counts` and returns the report of `model`'s
// iteration `iteration` from them (ReportFromCounts).
IterationReport CombineAndReport(const MStepHooks& hooks, const AlignmentModel& model,
                                 ExpectedCounts* counts, int iteration);

// The M-step of `model` from `counts`: hooks.maximize or the model's own.
void Maximize(const MStepHooks& hooks, const ExpectedCounts& counts, AlignmentModel* model);

class EmTrainer {
 public:
  // `num_threads` <= 0 means every core.
  EmTrainer(const ParallelCorpus& corpus, int num_threads);

  // One E-step and one M-step of `model`.
  IterationReport Iterate(AlignmentModel* model, int iteration, const MStepHooks& hooks = {});

  // The E-step alone, returning the summed counts (valid until the next call).
  // Its progress, when reported, is called `task`.
  const ExpectedCounts& ExpectationStep(const AlignmentModel& model,
                                        const std::string& task = "E-step");

  // Reports the pairs each E-step has done to `progress` (null: not at all).
  void set_progress(ProgressCallback progress) { progress_ = std::move(progress); }

  // Hard EM from now on: each E-step counts only each pair's Viterbi
  // alignment (AlignmentModel::AddViterbiCounts).
  void set_viterbi_training(bool on) { viterbi_training_ = on; }

  // The count slots each worker thread keeps for itself from the next E-step
  // on (ExpectedCounts::ResetSharing; kHotSlots unless set). Training sets
  // those of its main model (HotCountSlots) for all of its iterations, Model
  // 1's too: the arrays keep their memory from one iteration to the next.
  void set_hot_count_slots(size_t slots) { hot_count_slots_ = slots; }

  // Frees the summed translation counts (an array as large as the table)
  // and each thread's hot counts until the next E-step: for a caller that
  // only decodes from now on, whose decoding then needs no more memory than
  // training.
  void ReleaseCounts() {
    total_.ReleaseTranslation();
    for (ExpectedCounts& counts : local_counts_) counts.ReleaseTranslation();
    if (std::shared_ptr<TargetColumns> columns = last_columns_.lock()) columns->ReleaseCounts();
  }

  // Runs `work` inside this trainer's thread arena, so that nested TBB
  // algorithms use the same number of threads.
  void Run(const std::function<void()>& work) { arena_.execute(work); }
  int num_threads() const { return arena_.max_concurrency(); }

 private:
  const ParallelCorpus& corpus_;
  tbb::task_arena arena_;
  LazyPairsByLengths pairs_by_lengths_;
  // The summed counts, whose translation array all threads add to, and each
  // worker thread's own small counts, reused across iterations. Sums are
  // fixed point, so any order of adding and merging gives the same result.
  ExpectedCounts total_;
  tbb::enumerable_thread_specific<ExpectedCounts> local_counts_;
  ProgressCallback progress_;
  bool viterbi_training_ = false;
  size_t hot_count_slots_ = ExpectedCounts::kHotSlots;
  // The TargetColumns the last E-step went by, if it went by target word
  // and they still exist: their counts are ReleaseCounts' too.
  std::weak_ptr<TargetColumns> last_columns_;
};

}  // namespace aligner

#endif  // ALIGNER_TRAIN_EM_TRAINER_H_
