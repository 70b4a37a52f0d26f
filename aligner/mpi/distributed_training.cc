#include "aligner/mpi/distributed_training.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "aligner/base/status_macros.h"
#include "aligner/model/model_registry.h"
#include "aligner/mpi/collectives.h"
#include "tbb/parallel_invoke.h"

namespace aligner::mpi {

PairLengths GlobalPairLengths(const boost::mpi::communicator& comm, const ParallelCorpus& block) {
  // Each block's lengths in order of first appearance, flattened to
  // ((l << 32 | m), count); the ranks' lists in rank order then give the
  // whole file's order.
  std::vector<uint64_t> flat;
  for (const PairLengthCount& p : CountPairLengths(block)) {
    flat.push_back(uint64_t{p.l} << 32 | p.m);
    flat.push_back(static_cast<uint64_t>(p.count));
  }
  const std::vector<uint64_t> all = AllGatherV(comm, flat);
  PairLengths lengths;
  absl::flat_hash_map<uint64_t, size_t> index;  // (l, m) -> position in `lengths`
  for (size_t k = 0; k < all.size(); k += 2) {
    const auto [it, inserted] = index.try_emplace(all[k], lengths.size());
    if (inserted) {
      lengths.push_back({static_cast<uint32_t>(all[k] >> 32), static_cast<uint32_t>(all[k]), 0});
    }
    lengths[it->second].count += static_cast<int64_t>(all[k + 1]);
  }
  return lengths;
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

MStepHooks DistributedMStep(const boost::mpi::communicator& comm, ShardedTranslationTable* table,
                            const TranslationPrior& prior) {
  MStepHooks hooks;
  // Every count but the translation counts is small: summed on all ranks.
  hooks.combine = [comm](ExpectedCounts* counts) { SumCountsAcrossRanks(comm, counts); };
  // So are the fertility models' (AgreementTrainer): a few per source word
  // type, and every rank has the whole vocabulary, so the same size.
  hooks.combine_fertility = [comm](FixedPointArray* counts) {
    SumInPlace(comm, counts->mutable_raw_data(), counts->size());
  };
  // The model's own M-step re-estimates its alignment parameters from the
  // summed counts; its translation estimate from this block's counts alone
  // is then replaced by the owners' estimate over the whole corpus.
  hooks.maximize = [table, prior](const ExpectedCounts& counts, AlignmentModel* model) {
    model->Maximize(counts);
    table->Maximize(counts.translation(), prior);
  };
  return hooks;
}

// A fresh model of `name` over this rank's local table, built by the model
// registry from the whole corpus's pair lengths.
absl::StatusOr<std::unique_ptr<AlignmentModel>> MakeDistributedModel(
    const std::string& name, const ParallelCorpus& block, const PairLengths& lengths,
    const TrainingOptions& options, std::shared_ptr<TranslationTable> table) {
  ModelSetup setup;
  setup.corpus = &block;
  setup.lengths = &lengths;
  setup.table = std::move(table);
  setup.options = options;
  return CreateModel(name, setup);
}

absl::StatusOr<DistributedModel> DistributedTrainModel(
    const boost::mpi::communicator& comm, const ParallelCorpus& block,
    const TrainingOptions& options, EmTrainer* trainer,
    const std::function<void(const IterationReport&)>& on_iteration,
    const DistributedCheckpointWriter& checkpoint, std::unique_ptr<AlignmentModel> resume_from,
    TrainingCheckpoint resume_at) {
  if (absl::Status status = ValidateTrainingOptions(options); !status.ok()) return status;
  DistributedModel result;
  result.local_table = std::make_shared<TranslationTable>();
  trainer->Run([&] {
    *result.local_table = TranslationTable::FromCorpus(block);
    AttachSlotCache(block, options, result.local_table.get());
  });
  trainer->set_hot_count_slots(HotCountSlots(options.model));
  result.sharded_table = std::make_unique<ShardedTranslationTable>(comm, result.local_table);
  const MStepHooks m_step = DistributedMStep(comm, result.sharded_table.get(), options.prior);
  const std::shared_ptr<TranslationTable>& table = result.local_table;
  const PairLengths lengths = GlobalPairLengths(comm, block);
  const int model1_iterations = Model1IterationsBefore(options);
  const bool resume_main = resume_from != nullptr && resume_at.stage == 1;

  // Resuming: the checkpoint's probabilities for this rank's entries, and
  // its main model's learned parameters (TrainModel takes the whole table).
  if (resume_from != nullptr) {
    RETURN_IF_ERROR(AgreeOnStatus(
        comm, result.sharded_table->SetProbabilities(resume_from->translation_table())));
  }
  if (resume_main) {
    ASSIGN_OR_RETURN(result.model,
                     MakeDistributedModel(options.model, block, lengths, options, table));
    RETURN_IF_ERROR(AgreeOnStatus(comm, CopyLearnedParameters(*resume_from, result.model.get())));
  }
  resume_from.reset();

  // Collective: the checkpoint after an iteration.
  const auto save = [&](const AlignmentModel& model, TrainingCheckpoint done) -> absl::Status {
    if (!checkpoint) return absl::OkStatus();
    const TranslationTable whole = result.sharded_table->GatherAtRoot();
    return AgreeOnStatus(comm, checkpoint(model, whole, done));
  };

  // Stage 0: Model 1 iterations that initialize the table (as TrainModel).
  if (!resume_main) {
    ASSIGN_OR_RETURN(auto model1, MakeDistributedModel("model1", block, lengths, options, table));
    const int first = resume_at.stage == 0 ? resume_at.iteration + 1 : 1;
    for (int it = first; it <= model1_iterations; ++it) {
      on_iteration(trainer->Iterate(model1.get(), it, m_step));
      RETURN_IF_ERROR(save(*model1, {0, it}));
    }
    ASSIGN_OR_RETURN(result.model,
                     MakeDistributedModel(options.model, block, lengths, options, table));
  }
  // Stage 1: the main model.
  for (int it = resume_main ? resume_at.iteration + 1 : 1; it <= options.iterations; ++it) {
    PrepareMainIteration(model1_iterations, it, result.model.get());
    trainer->set_viterbi_training(options.viterbi_training &&
                                  MainIterationIsInformed(model1_iterations, it));
    on_iteration(trainer->Iterate(result.model.get(), it, m_step));
    RETURN_IF_ERROR(save(*result.model, {1, it}));
  }
  trainer->set_viterbi_training(false);
  return result;
}

absl::StatusOr<DistributedAgreementModels> DistributedTrainByAgreement(
    const boost::mpi::communicator& comm, const ParallelCorpus& forward_block,
    const ParallelCorpus& reverse_block, const TrainingOptions& options, AgreementTrainer* trainer,
    const std::function<void(const AgreementIterationReport&)>& on_iteration) {
  if (absl::Status status = ValidateTrainingOptions(options); !status.ok()) return status;
  DistributedAgreementModels result;
  DistributedModel& f = result.forward;
  DistributedModel& r = result.reverse;
  f.local_table = std::make_shared<TranslationTable>();
  r.local_table = std::make_shared<TranslationTable>();
  trainer->Run([&] {
    // Together, as TrainByAgreement builds them: each build has a
    // sequential part (its inverted index).
    tbb::parallel_invoke([&] { *f.local_table = TranslationTable::FromCorpus(forward_block); },
                         [&] { *r.local_table = TranslationTable::FromCorpus(reverse_block); });
    trainer->UseTables(*f.local_table, *r.local_table);
    AttachSlotCache(forward_block, options, f.local_table.get());
  });
  trainer->set_hot_count_slots(HotCountSlots(options.model));
  f.sharded_table = std::make_unique<ShardedTranslationTable>(comm, f.local_table);
  r.sharded_table = std::make_unique<ShardedTranslationTable>(comm, r.local_table);
  const MStepHooks forward_m_step = DistributedMStep(comm, f.sharded_table.get(), options.prior);
  const MStepHooks reverse_m_step = DistributedMStep(comm, r.sharded_table.get(), options.prior);
  const PairLengths forward_lengths = GlobalPairLengths(comm, forward_block);
  const PairLengths reverse_lengths = GlobalPairLengths(comm, reverse_block);
  // TrainByAgreement's schedule.
  const int model1_iterations = Model1IterationsBefore(options);
  {
    ASSIGN_OR_RETURN(auto forward, MakeDistributedModel("model1", forward_block, forward_lengths,
                                                        options, f.local_table));
    ASSIGN_OR_RETURN(auto reverse, MakeDistributedModel("model1", reverse_block, reverse_lengths,
                                                        options, r.local_table));
    for (int it = 1; it <= model1_iterations; ++it) {
      on_iteration(
          trainer->Iterate(forward.get(), reverse.get(), it, forward_m_step, reverse_m_step));
    }
  }
  ASSIGN_OR_RETURN(f.model, MakeDistributedModel(options.model, forward_block, forward_lengths,
                                                 options, f.local_table));
  ASSIGN_OR_RETURN(r.model, MakeDistributedModel(options.model, reverse_block, reverse_lengths,
                                                 options, r.local_table));
  // Its counts are summed over ranks by the hooks' combine_fertility.
  trainer->EnableFertility();
  const int agreement_iterations = AgreementIterationsOf(options.iterations, trainer->options());
  for (int it = 1; it <= options.iterations; ++it) {
    PrepareMainIteration(model1_iterations, it, f.model.get());
    PrepareMainIteration(model1_iterations, it, r.model.get());
    trainer->set_independent(it > agreement_iterations);
    on_iteration(
        trainer->Iterate(f.model.get(), r.model.get(), it, forward_m_step, reverse_m_step));
  }
  trainer->set_independent(false);
  return result;
}

}  // namespace aligner::mpi
