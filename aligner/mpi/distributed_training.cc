#include "aligner/mpi/distributed_training.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "aligner/model/diagonal_model.h"
#include "aligner/model/hmm_model.h"
#include "aligner/model/model1.h"
#include "aligner/mpi/collectives.h"

namespace aligner::mpi {

AlignmentTable GlobalAlignmentTable(const boost::mpi::communicator& comm,
                                    const ParallelCorpus& block, bool use_null) {
  // This block's (l, m) in order of first appearance; the ranks' lists in
  // rank order then give the whole file's order.
  std::vector<uint64_t> keys;
  absl::flat_hash_set<uint64_t> seen;
  for (size_t k = 0; k < block.size(); ++k) {
    const SentencePair pair = block.pair(k);
    if (pair.source.empty() || pair.target.empty()) continue;
    const uint64_t key = AlignmentTable::Key(pair.source.size(), pair.target.size());
    if (seen.insert(key).second) keys.push_back(key);
  }
  AlignmentTable table;
  for (uint64_t key : AllGatherV(comm, keys)) {
    table.AddLengths(static_cast<uint32_t>(key >> 32), static_cast<uint32_t>(key), use_null);
  }
  return table;
}

std::vector<std::pair<std::pair<uint32_t, uint32_t>, int64_t>> GlobalLengthCounts(
    const boost::mpi::communicator& comm, const ParallelCorpus& block) {
  std::vector<uint64_t> flat;
  for (const auto& [lengths, count] : DiagonalModel::CountLengths(block)) {
    flat.push_back(AlignmentTable::Key(lengths.first, lengths.second));
    flat.push_back(static_cast<uint64_t>(count));
  }
  std::map<std::pair<uint32_t, uint32_t>, int64_t> counts;
  const std::vector<uint64_t> all = AllGatherV(comm, flat);
  for (size_t k = 0; k < all.size(); k += 2) {
    counts[{static_cast<uint32_t>(all[k] >> 32), static_cast<uint32_t>(all[k])}] +=
        static_cast<int64_t>(all[k + 1]);
  }
  // Sorted, as CountLengths returns them.
  return {counts.begin(), counts.end()};
}

uint32_t GlobalMaxSourceLength(const boost::mpi::communicator& comm, const ParallelCorpus& block) {
  return static_cast<uint32_t>(Max(comm, HmmModel::MaxSourceLength(block)));
}

void SumCountsAcrossRanks(const boost::mpi::communicator& comm, ExpectedCounts* counts) {
  SumInPlace(comm, counts->alignment.mutable_raw_data(), counts->alignment.size());
  int64_t tallies[] = {counts->raw_log_likelihood(), counts->pairs, counts->target_tokens,
                       counts->links};
  SumInPlace(comm, tallies, 4);
  counts->set_raw_log_likelihood(tallies[0]);
  counts->pairs = tallies[1];
  counts->target_tokens = tallies[2];
  counts->links = tallies[3];
}

void DistributedMaximize(const ExpectedCounts& counts, const TranslationPrior& prior,
                         ShardedTranslationTable* table, AlignmentModel* model) {
  // The model's own M-step re-estimates its alignment parameters from the
  // summed counts; its translation estimate from this block's counts alone
  // is then replaced by the owners' estimate over the whole corpus.
  model->Maximize(counts);
  table->Maximize(counts.translation(), prior);
}

IterationReport DistributedIterate(const boost::mpi::communicator& comm, EmTrainer* trainer,
                                   ShardedTranslationTable* table, const TranslationPrior& prior,
                                   AlignmentModel* model, int iteration) {
  auto start = std::chrono::steady_clock::now();
  trainer->ExpectationStep(*model);
  const double e_step_seconds = SecondsSince(start);
  start = std::chrono::steady_clock::now();
  // Every count but the translation counts is small: summed on all ranks.
  ExpectedCounts* counts = trainer->mutable_counts();
  SumCountsAcrossRanks(comm, counts);
  IterationReport report = ReportFromCounts(*model, *counts, iteration);
  report.e_step_seconds = e_step_seconds;
  trainer->Run([&] { DistributedMaximize(*counts, prior, table, model); });
  report.m_step_seconds = SecondsSince(start);
  report.parameters = model->DescribeParameters();
  return report;
}

std::unique_ptr<AlignmentModel> MakeDistributedMainModel(const boost::mpi::communicator& comm,
                                                         const ParallelCorpus& block,
                                                         const TrainingOptions& options,
                                                         std::shared_ptr<TranslationTable> table) {
  switch (options.model) {
    case ModelKind::kModel1:
      return std::make_unique<Model1>(table, options.use_null, options.prior);
    case ModelKind::kModel2:
      return std::make_unique<Model2>(table, GlobalAlignmentTable(comm, block, options.use_null),
                                      options.use_null, options.prior);
    case ModelKind::kDiagonal:
      return std::make_unique<DiagonalModel>(table, options.use_null, options.prior,
                                             options.diagonal, GlobalLengthCounts(comm, block));
    case ModelKind::kHmm:
      return std::make_unique<HmmModel>(table, options.use_null, options.prior, options.hmm,
                                        GlobalMaxSourceLength(comm, block));
  }
  return nullptr;
}

absl::StatusOr<DistributedModel> DistributedTrainModel(
    const boost::mpi::communicator& comm, const ParallelCorpus& block,
    const TrainingOptions& options, EmTrainer* trainer,
    const std::function<void(const IterationReport&)>& on_iteration) {
  if (absl::Status status = ValidateTrainingOptions(options); !status.ok()) return status;
  DistributedModel result;
  result.local_table = std::make_shared<TranslationTable>();
  trainer->Run([&] { *result.local_table = TranslationTable::FromCorpus(block); });
  result.sharded_table = std::make_unique<ShardedTranslationTable>(comm, result.local_table);
  ShardedTranslationTable* sharded = result.sharded_table.get();
  const std::shared_ptr<TranslationTable>& table = result.local_table;

  // Stage 0: Model 1 iterations that initialize the table (as TrainModel).
  const int model1_iterations = Model1IterationsBefore(options);
  {
    Model1 model1(table, options.use_null, options.prior);
    for (int it = 1; it <= model1_iterations; ++it) {
      on_iteration(DistributedIterate(comm, trainer, sharded, options.prior, &model1, it));
    }
  }
  // Stage 1: the main model, built as MakeMainModel builds it, from the
  // whole corpus's lengths.
  result.model = MakeDistributedMainModel(comm, block, options, table);
  for (int it = 1; it <= options.iterations; ++it) {
    PrepareMainIteration(options, model1_iterations, it, result.model.get());
    on_iteration(
        DistributedIterate(comm, trainer, sharded, options.prior, result.model.get(), it));
  }
  return result;
}

AgreementIterationReport DistributedAgreementIterate(
    const boost::mpi::communicator& comm, AgreementTrainer* trainer,
    ShardedTranslationTable* forward_table, ShardedTranslationTable* reverse_table,
    const TranslationPrior& prior, AlignmentModel* forward, AlignmentModel* reverse,
    int iteration) {
  AgreementIterationReport report;
  auto start = std::chrono::steady_clock::now();
  trainer->ExpectationStep(*forward, *reverse);
  const double e_step = SecondsSince(start);
  start = std::chrono::steady_clock::now();
  ExpectedCounts* forward_counts = trainer->mutable_forward_counts();
  ExpectedCounts* reverse_counts = trainer->mutable_reverse_counts();
  SumCountsAcrossRanks(comm, forward_counts);
  SumCountsAcrossRanks(comm, reverse_counts);
  report.forward = ReportFromCounts(*forward, *forward_counts, iteration);
  report.reverse = ReportFromCounts(*reverse, *reverse_counts, iteration);
  trainer->Run([&] {
    DistributedMaximize(*forward_counts, prior, forward_table, forward);
    DistributedMaximize(*reverse_counts, prior, reverse_table, reverse);
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

absl::StatusOr<DistributedAgreementModels> DistributedTrainByAgreement(
    const boost::mpi::communicator& comm, const ParallelCorpus& forward_block,
    const ParallelCorpus& reverse_block, const TrainingOptions& options,
    AgreementTrainer* trainer,
    const std::function<void(const AgreementIterationReport&)>& on_iteration) {
  if (absl::Status status = ValidateTrainingOptions(options); !status.ok()) return status;
  DistributedAgreementModels result;
  DistributedModel& f = result.forward;
  DistributedModel& r = result.reverse;
  f.local_table = std::make_shared<TranslationTable>();
  r.local_table = std::make_shared<TranslationTable>();
  trainer->Run([&] {
    *f.local_table = TranslationTable::FromCorpus(forward_block);
    *r.local_table = TranslationTable::FromCorpus(reverse_block);
  });
  f.sharded_table = std::make_unique<ShardedTranslationTable>(comm, f.local_table);
  r.sharded_table = std::make_unique<ShardedTranslationTable>(comm, r.local_table);
  // TrainByAgreement's schedule.
  const int model1_iterations = Model1IterationsBefore(options);
  {
    Model1 forward(f.local_table, options.use_null, options.prior);
    Model1 reverse(r.local_table, options.use_null, options.prior);
    for (int it = 1; it <= model1_iterations; ++it) {
      on_iteration(DistributedAgreementIterate(comm, trainer, f.sharded_table.get(),
                                               r.sharded_table.get(), options.prior, &forward,
                                               &reverse, it));
    }
  }
  f.model = MakeDistributedMainModel(comm, forward_block, options, f.local_table);
  r.model = MakeDistributedMainModel(comm, reverse_block, options, r.local_table);
  for (int it = 1; it <= options.iterations; ++it) {
    PrepareMainIteration(options, model1_iterations, it, f.model.get());
    PrepareMainIteration(options, model1_iterations, it, r.model.get());
    on_iteration(DistributedAgreementIterate(comm, trainer, f.sharded_table.get(),
                                             r.sharded_table.get(), options.prior,
                                             f.model.get(), r.model.get(), it));
  }
  return result;
}

}  // namespace aligner::mpi
