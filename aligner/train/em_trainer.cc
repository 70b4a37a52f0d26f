#include "aligner/train/em_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tbb/blocked_range.h"
#include "tbb/info.h"
#include "tbb/parallel_for.h"

namespace aligner {
namespace {

int ResolveThreads(int num_threads) {
  return num_threads > 0 ? num_threads : tbb::info::default_concurrency();
}

}  // namespace

std::string FormatIterationReport(const IterationReport& r) {
  return absl::StrFormat(
             "%s iteration %d: log-likelihood %.6f, perplexity %.4f, %d target tokens, E-step "
             "%.2fs "
             "(%.1fM links/s), M-step %.2fs",
             r.model, r.iteration, r.log_likelihood, r.perplexity, r.target_tokens,
             r.e_step_seconds, r.e_step_seconds > 0 ? r.links / r.e_step_seconds / 1e6 : 0.0,
             r.m_step_seconds) +
         (r.parameters.empty() ? "" : "; " + r.parameters);
}

std::vector<uint32_t> PairsByLengths(const ParallelCorpus& corpus) {
  std::vector<std::pair<uint64_t, uint32_t>> keys;  // (lengths, index)
  keys.reserve(corpus.size());
  for (size_t k = 0; k < corpus.size(); ++k) {
    const SentencePair pair = corpus.pair(k);
    if (pair.source.empty() || pair.target.empty()) continue;
    keys.emplace_back(LengthsKey(pair), static_cast<uint32_t>(k));
  }
  std::sort(keys.begin(), keys.end());
  std::vector<uint32_t> order(keys.size());
  for (size_t k = 0; k < keys.size(); ++k) order[k] = keys[k].second;
  return order;
}

EmTrainer::EmTrainer(const ParallelCorpus& corpus, int num_threads)
    : corpus_(corpus), arena_(ResolveThreads(num_threads)) {}

const std::vector<uint32_t>& LazyPairsByLengths::get(const ParallelCorpus& corpus) {
  std::call_once(once_, [&] { order_ = PairsByLengths(corpus); });
  return order_;
}

const ExpectedCounts& EmTrainer::ExpectationStep(const AlignmentModel& model,
                                                 const std::string& task) {
  arena_.execute([&] {
    model.InitCounts(&total_);
    // Target word by target word when the table carries this corpus so
    // arranged and the model can (AttachTargetColumns).
    TargetColumns* columns = model.translation_table().target_columns();
    if (columns != nullptr && columns->corpus_id() == corpus_.id() && !viterbi_training_) {
      ProgressCounter progress(progress_, task, columns->num_units());
      if (model.AddExpectedCountsByTargetWord(columns, &total_, &progress)) {
        last_columns_ = model.translation_table().shared_target_columns();
        return;
      }
    }
    // Counts left from another model may have other sizes: reset them all.
    // On one thread the shared translation counts have one writer.
    const bool one_thread = arena_.max_concurrency() == 1;
    for (ExpectedCounts& counts : local_counts_) {
      counts.ResetSharing(&total_, one_thread, hot_count_slots_);
    }
    const std::vector<uint32_t>* order =
        model.PrefersPairsByLengths() ? &pairs_by_lengths_.get(corpus_) : nullptr;
    const size_t n = order != nullptr ? order->size() : corpus_.size();
    ProgressCounter progress(progress_, task, n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 64),
                      [&](const tbb::blocked_range<size_t>& range) {
                        bool exists = false;
                        ExpectedCounts& counts = local_counts_.local(exists);
                        if (!exists) counts.ResetSharing(&total_, one_thread, hot_count_slots_);
                        for (size_t k = range.begin(); k != range.end(); ++k) {
                          const size_t pair = order != nullptr ? (*order)[k] : k;
                          if (viterbi_training_) {
                            model.AddViterbiCounts(corpus_.pair(pair), &counts);
                          } else {
                            model.AddExpectedCounts(corpus_.pair(pair), &counts);
                          }
                        }
                        progress.Add(range.size());
                      });
    progress.Finish();
    for (const ExpectedCounts& counts : local_counts_) total_.MergeLocal(counts);
  });
  return total_;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

IterationReport ReportFromCounts(const AlignmentModel& model, const ExpectedCounts& counts,
                                 int iteration) {
  IterationReport report;
  report.model = model.name();
  report.iteration = iteration;
  report.log_likelihood = counts.log_likelihood();
  report.target_tokens = counts.target_tokens;
  report.links = counts.links;
  report.perplexity =
      counts.target_tokens > 0 ? std::exp(-report.log_likelihood / counts.target_tokens) : 0.0;
  return report;
}

IterationReport CombineAndReport(const MStepHooks& hooks, const AlignmentModel& model,
                                 ExpectedCounts* counts, int iteration) {
  if (hooks.combine) hooks.combine(counts);
  return ReportFromCounts(model, *counts, iteration);
}

void Maximize(const MStepHooks& hooks, const ExpectedCounts& counts, AlignmentModel* model) {
  if (hooks.maximize) {
    hooks.maximize(counts, model);
  } else {
    model->Maximize(counts);
  }
}

IterationReport EmTrainer::Iterate(AlignmentModel* model, int iteration, const MStepHooks& hooks) {
  auto start = std::chrono::steady_clock::now();
  ExpectationStep(*model, absl::StrCat(model->name(), " iteration ", iteration, ": E-step"));
  const double e_step_seconds = SecondsSince(start);
  start = std::chrono::steady_clock::now();
  IterationReport report = CombineAndReport(hooks, *model, &total_, iteration);
  report.e_step_seconds = e_step_seconds;
  arena_.execute([&] { Maximize(hooks, total_, model); });
  report.m_step_seconds = SecondsSince(start);
  report.parameters = model->DescribeParameters();
  return report;
}

}  // namespace aligner
