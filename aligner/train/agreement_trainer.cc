#include "aligner/train/agreement_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aligner/model/model1.h"
#include "aligner/model/model_registry.h"
#include "tbb/blocked_range.h"
#include "tbb/info.h"
#include "tbb/parallel_for.h"
#include "tbb/parallel_invoke.h"

namespace aligner {
void CombinePosteriors(uint32_t l, uint32_t m, const double* forward, const double* reverse,
                       const AgreementOptions& options, double* forward_counts,
                       double* reverse_counts) {
  const size_t fs = static_cast<size_t>(l) + 1, rs = static_cast<size_t>(m) + 1;
  for (uint32_t j = 0; j < m; ++j) {
    double own_null = forward[j * fs];
    double sum = 0;
    for (uint32_t i = 1; i <= l; ++i) {
      const size_t f = j * fs + i, r = (i - 1) * rs + (j + 1);
      const double q = forward[f] * reverse[r];
      forward_counts[f] = q;
      reverse_counts[r] = q;
      sum += q;
    }
    forward_counts[j * fs] =
        options.null == AgreementNull::kRest ? std::max(0.0, 1.0 - sum) : own_null;
  }
  for (uint32_t i = 1; i <= l; ++i) {
    const size_t row = (i - 1) * rs;
    if (options.null == AgreementNull::kRest) {
      double sum = 0;
      for (uint32_t j = 1; j <= m; ++j) sum += reverse_counts[row + j];
      reverse_counts[row] = std::max(0.0, 1.0 - sum);
    } else {
      reverse_counts[row] = reverse[row];
    }
  }
}

int AgreementIterationsOf(int iterations, const AgreementOptions& options) {
  if (!options.fertility) return iterations;
  return std::max(std::min(iterations, 2),
                  iterations - std::max(0, options.independent_iterations));
}

std::string FormatAgreementReport(const AgreementIterationReport& r) {
  const double links = static_cast<double>(r.forward.links + r.reverse.links);
  return absl::StrFormat(
             "%s iteration %d %s: log-likelihood forward %.6f, reverse %.6f; perplexity "
             "forward %.4f, reverse %.4f; E-step %.2fs (%.1fM links/s), M-step %.2fs",
             r.forward.model, r.forward.iteration,
             r.independent ? "each direction on its own" : "by agreement", r.forward.log_likelihood,
             r.reverse.log_likelihood, r.forward.perplexity, r.reverse.perplexity,
             r.forward.e_step_seconds,
             r.forward.e_step_seconds > 0 ? links / r.forward.e_step_seconds / 1e6 : 0.0,
             r.forward.m_step_seconds) +
         (r.forward.parameters.empty() && r.reverse.parameters.empty()
              ? ""
              : absl::StrCat("; forward ", r.forward.parameters, "; reverse ",
                             r.reverse.parameters));
}

AgreementTrainer::AgreementTrainer(const ParallelCorpus& forward, const ParallelCorpus& reverse,
                                   int num_threads, AgreementOptions options)
    : forward_corpus_(forward),
      reverse_corpus_(reverse),
      options_(options),
      arena_(num_threads > 0 ? num_threads : tbb::info::default_concurrency()) {}

void AgreementTrainer::EnableFertility() {
  if (!options_.fertility || forward_fertility_ != nullptr) return;
  forward_fertility_ = std::make_unique<FertilityModel>(forward_corpus_.source_vocabulary().size(),
                                                        options_.fertility_alpha);
  reverse_fertility_ = std::make_unique<FertilityModel>(reverse_corpus_.source_vocabulary().size(),
                                                        options_.fertility_alpha);
}

void AgreementTrainer::ReleaseCounts() {
  forward_total_.ReleaseTranslation();
  reverse_total_.ReleaseTranslation();
  for (LocalCounts& local : local_counts_) {
    local.forward.ReleaseTranslation();
    local.reverse.ReleaseTranslation();
  }
  transposed_ = TransposedSlots();
}

void AgreementTrainer::ExpectationStep(const AlignmentModel& forward, const AlignmentModel& reverse,
                                       const std::string& task) {
  const bool fertility = forward_fertility_ != nullptr;
  if (fertility) {
    forward_fertility_->InitCounts(&forward_fertility_counts_);
    reverse_fertility_->InitCounts(&reverse_fertility_counts_);
  }
  const bool local_fertility =
      fertility && forward_fertility_counts_.size() <= options_.max_local_fertility_slots &&
      reverse_fertility_counts_.size() <= options_.max_local_fertility_slots;
  // On one thread the shared translation counts have one writer.
  const bool one_thread = arena_.max_concurrency() == 1;
  arena_.execute([&] {
    forward.InitCounts(&forward_total_);
    reverse.InitCounts(&reverse_total_);
    for (LocalCounts& local : local_counts_) local.ready = false;
    const size_t n = std::min(forward_corpus_.size(), reverse_corpus_.size());
    const std::vector<uint32_t>* order =
        forward.PrefersPairsByLengths() && reverse.PrefersPairsByLengths()
            ? &pairs_by_lengths_.get(forward_corpus_)
            : nullptr;
    const size_t num_visited = order != nullptr ? order->size() : n;
    ProgressCounter progress(progress_, task, num_visited);
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, num_visited, 64),
        [&](const tbb::blocked_range<size_t>& range) {
          LocalCounts& local = local_counts_.local();
          if (!local.ready) {
            local.forward.ResetSharing(&forward_total_, one_thread, hot_count_slots_);
            local.reverse.ResetSharing(&reverse_total_, one_thread, hot_count_slots_);
            if (local_fertility) {
              forward_fertility_->InitCounts(&local.forward_fertility);
              reverse_fertility_->InitCounts(&local.reverse_fertility);
            }
            local.ready = true;
          }
          thread_local std::vector<double> p1, p2;
          thread_local PairLookup s1, s2;
          for (size_t index = range.begin(); index != range.end(); ++index) {
            const size_t k = order != nullptr ? (*order)[index] : index;
            if (k >= n) continue;
            const SentencePair fp = forward_corpus_.pair(k), rp = reverse_corpus_.pair(k);
            const uint32_t l = fp.source.size(), m = fp.target.size();
            if (l == 0 || m == 0) continue;
            forward.AddExpectedCountsExceptTranslation(fp, &p1, &s1, &local.forward);
            s2.TransposeFrom(transposed_.valid() ? &s1 : nullptr, &transposed_);
            reverse.AddExpectedCountsExceptTranslation(rp, &p2, &s2, &local.reverse);
            if (fertility) {
              // The fertility models reweight the posteriors (mean field),
              // and count the fertilities of the reweighted ones.
              forward_fertility_->Apply(fp.source, m, options_.fertility_sweeps, p1.data());
              reverse_fertility_->Apply(rp.source, l, options_.fertility_sweeps, p2.data());
              forward_fertility_->AddCounts(
                  fp.source, m, p1.data(),
                  local_fertility ? &local.forward_fertility : &forward_fertility_counts_,
                  /*shared=*/!local_fertility);
              reverse_fertility_->AddCounts(
                  rp.source, l, p2.data(),
                  local_fertility ? &local.reverse_fertility : &reverse_fertility_counts_,
                  /*shared=*/!local_fertility);
            }
            if (!independent_) {
              CombinePosteriors(l, m, p1.data(), p2.data(), options_, p1.data(), p2.data());
            }
            s1.AddCounts(p1.data(), &local.forward);
            s2.AddCounts(p2.data(), &local.reverse);
          }
          progress.Add(range.size());
        });
    progress.Finish();
    for (const LocalCounts& local : local_counts_) {
      if (!local.ready) continue;
      forward_total_.MergeLocal(local.forward);
      reverse_total_.MergeLocal(local.reverse);
      if (local_fertility) {
        forward_fertility_counts_.Merge(local.forward_fertility);
        reverse_fertility_counts_.Merge(local.reverse_fertility);
      }
    }
  });
}

AgreementIterationReport AgreementTrainer::Iterate(AlignmentModel* forward, AlignmentModel* reverse,
                                                   int iteration, const MStepHooks& forward_hooks,
                                                   const MStepHooks& reverse_hooks) {
  AgreementIterationReport report;
  auto start = std::chrono::steady_clock::now();
  report.independent = independent_;
  ExpectationStep(
      *forward, *reverse,
      absl::StrCat(forward->name(), " iteration ", iteration,
                   independent_ ? " each direction on its own" : " by agreement", ": E-step"));
  const double e_step = SecondsSince(start);
  start = std::chrono::steady_clock::now();
  report.forward = CombineAndReport(forward_hooks, *forward, &forward_total_, iteration);
  report.reverse = CombineAndReport(reverse_hooks, *reverse, &reverse_total_, iteration);
  if (forward_fertility_ != nullptr) {
    if (forward_hooks.combine_fertility)
      forward_hooks.combine_fertility(&forward_fertility_counts_);
    if (reverse_hooks.combine_fertility)
      reverse_hooks.combine_fertility(&reverse_fertility_counts_);
  }
  arena_.execute([&] {
    Maximize(forward_hooks, forward_total_, forward);
    Maximize(reverse_hooks, reverse_total_, reverse);
    if (forward_fertility_ != nullptr) {
      forward_fertility_->Maximize(forward_fertility_counts_);
      reverse_fertility_->Maximize(reverse_fertility_counts_);
    }
  });
  const double m_step = SecondsSince(start);
  for (IterationReport* r : {&report.forward, &report.reverse}) {
    r->e_step_seconds = e_step;
    r->m_step_seconds = m_step;
  }
  report.forward.parameters = forward->DescribeParameters();
  report.reverse.parameters = reverse->DescribeParameters();
  return report;
}

absl::StatusOr<AgreementModels> TrainByAgreement(
    const ParallelCorpus& forward_corpus, const ParallelCorpus& reverse_corpus,
    const TrainingOptions& options, AgreementTrainer* trainer,
    const std::function<void(const AgreementIterationReport&)>& on_iteration) {
  if (absl::Status status = ValidateTrainingOptions(options); !status.ok()) return status;
  if (forward_corpus.size() != reverse_corpus.size()) {
    return absl::InvalidArgumentError("the reverse corpus must have the forward corpus's pairs");
  }
  std::shared_ptr<TranslationTable> forward_table, reverse_table;
  trainer->Run([&] {
    // Together: each build has a sequential part (its inverted index).
    tbb::parallel_invoke(
        [&] {
          forward_table =
              std::make_shared<TranslationTable>(TranslationTable::FromCorpus(forward_corpus));
        },
        [&] {
          reverse_table =
              std::make_shared<TranslationTable>(TranslationTable::FromCorpus(reverse_corpus));
        });
    trainer->UseTables(*forward_table, *reverse_table);
    trainer->set_hot_count_slots(HotCountSlots(options.model));
    AttachSlotCache(forward_corpus, options, forward_table.get());
  });
  const int model1_iterations = Model1IterationsBefore(options);
  {
    Model1 forward(forward_table, options.use_null, options.prior);
    Model1 reverse(reverse_table, options.use_null, options.prior);
    for (int it = 1; it <= model1_iterations; ++it) {
      on_iteration(trainer->Iterate(&forward, &reverse, it));
    }
  }
  AgreementModels models;
  auto forward = MakeMainModel(forward_corpus, options, forward_table);
  if (!forward.ok()) return forward.status();
  auto reverse = MakeMainModel(reverse_corpus, options, reverse_table);
  if (!reverse.ok()) return reverse.status();
  models.forward = std::move(*forward);
  models.reverse = std::move(*reverse);
  trainer->EnableFertility();
  const int agreement_iterations = AgreementIterationsOf(options.iterations, trainer->options());
  for (int it = 1; it <= options.iterations; ++it) {
    PrepareMainIteration(model1_iterations, it, models.forward.get());
    PrepareMainIteration(model1_iterations, it, models.reverse.get());
    trainer->set_independent(it > agreement_iterations);
    on_iteration(trainer->Iterate(models.forward.get(), models.reverse.get(), it));
  }
  trainer->set_independent(false);
  return models;
}

}  // namespace aligner
