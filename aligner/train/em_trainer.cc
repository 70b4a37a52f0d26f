#include "aligner/train/em_trainer.h"

#include <chrono>
#include <cmath>

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
      "%s iteration %d: log-likelihood %.6f, perplexity %.4f, %d target tokens, E-step %.2fs "
      "(%.1fM links/s), M-step %.2fs",
      r.model, r.iteration, r.log_likelihood, r.perplexity, r.target_tokens, r.e_step_seconds,
      r.e_step_seconds > 0 ? r.links / r.e_step_seconds / 1e6 : 0.0, r.m_step_seconds) +
         (r.parameters.empty() ? "" : "; " + r.parameters);
}

EmTrainer::EmTrainer(const ParallelCorpus& corpus, int num_threads)
    : corpus_(corpus), arena_(ResolveThreads(num_threads)) {}

const ExpectedCounts& EmTrainer::ExpectationStep(const AlignmentModel& model) {
  arena_.execute([&] {
    model.InitCounts(&total_);
    // Counts left from another model may have other sizes: reset them all.
    for (ExpectedCounts& counts : local_counts_) counts.ResetSharing(&total_);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, corpus_.size(), 64),
                      [&](const tbb::blocked_range<size_t>& range) {
                        bool exists = false;
                        ExpectedCounts& counts = local_counts_.local(exists);
                        if (!exists) counts.ResetSharing(&total_);
                        for (size_t k = range.begin(); k != range.end(); ++k) {
                          model.AddExpectedCounts(corpus_.pair(k), &counts);
                        }
                      });
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
  report.perplexity = counts.target_tokens > 0
                          ? std::exp(-report.log_likelihood / counts.target_tokens)
                          : 0.0;
  return report;
}

IterationReport EmTrainer::Iterate(AlignmentModel* model, int iteration) {
  auto start = std::chrono::steady_clock::now();
  const ExpectedCounts& counts = ExpectationStep(*model);
  const double e_step_seconds = SecondsSince(start);
  IterationReport report = ReportFromCounts(*model, counts, iteration);
  report.e_step_seconds = e_step_seconds;
  start = std::chrono::steady_clock::now();
  arena_.execute([&] { model->Maximize(counts); });
  report.m_step_seconds = SecondsSince(start);
  report.parameters = model->DescribeParameters();
  return report;
}

}  // namespace aligner
