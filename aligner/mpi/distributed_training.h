// EM across MPI ranks, each holding one block of the corpus: the schedule
// of TrainModel with every sum taken over all ranks, so the model is
// bit-identical to one process's for any number of ranks and threads.
#ifndef ALIGNER_MPI_DISTRIBUTED_TRAINING_H_
#define ALIGNER_MPI_DISTRIBUTED_TRAINING_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/alignment_model.h"
#include "aligner/model/model_registry.h"
#include "aligner/mpi/sharded_table.h"
#include "aligner/train/agreement_trainer.h"
#include "aligner/train/em_trainer.h"
#include "aligner/train/training.h"
#include "boost/mpi/communicator.hpp"

namespace aligner::mpi {

// Collective: the pair lengths of the whole corpus (every rank's block), in
// order of first appearance in the file: CountPairLengths on the whole
// corpus, what the models take from it (ModelSetup::lengths).
PairLengths GlobalPairLengths(const boost::mpi::communicator& comm, const ParallelCorpus& block);

// Collective: sums the E-step's alignment counts and tallies over ranks.
void SumCountsAcrossRanks(const boost::mpi::communicator& comm, ExpectedCounts* counts);

// The M-step of EM across ranks (for EmTrainer::Iterate and
// AgreementTrainer::Iterate, each rank's E-step over its own block):
// alignment counts and tallies summed over ranks, so the report is the whole
// corpus's on every rank (and so are the fertility models' counts under
// agreement); then the model's own M-step for its alignment parameters, and
// the translation part by owner in `table`. Collective on every call.
MStepHooks DistributedMStep(const boost::mpi::communicator& comm, ShardedTranslationTable* table,
                            const TranslationPrior& prior);

struct DistributedModel {
  // The model over this rank's local table (enough to decode its block).
  std::unique_ptr<AlignmentModel> model;
  std::shared_ptr<TranslationTable> local_table;
  std::unique_ptr<ShardedTranslationTable> sharded_table;
};

// Saves a checkpoint after an iteration: `model` is this rank's (over its
// local table), `whole_table` the whole trained table at rank 0 and empty
// elsewhere; rank 0 writes, the others return OK.
using DistributedCheckpointWriter =
    std::function<absl::Status(const AlignmentModel& model, const TranslationTable& whole_table,
                               const TrainingCheckpoint& done)>;

// Collective: TrainModel's schedule (Model 1 iterations, then the main
// model, both made by the model registry) on the whole corpus, each rank
// holding `block`. `options` as ResolveDefaults gives them. With
// `checkpoint`, the table is gathered at rank 0 after every iteration and
// handed to it, and every rank gets rank 0's status. With `resume_from` (a
// checkpoint's model at `resume_at`, loaded on every rank; released once
// its table and parameters are copied, before the first iteration),
// training continues after that iteration, as TrainModel's does.
absl::StatusOr<DistributedModel> DistributedTrainModel(
    const boost::mpi::communicator& comm, const ParallelCorpus& block,
    const TrainingOptions& options, EmTrainer* trainer,
    const std::function<void(const IterationReport&)>& on_iteration,
    const DistributedCheckpointWriter& checkpoint = nullptr,
    std::unique_ptr<AlignmentModel> resume_from = nullptr,
    TrainingCheckpoint resume_at = TrainingCheckpoint());

// Collective: TrainByAgreement's schedule, both directions together, each
// rank holding its block in both orientations; with the trainer's fertility
// models (AgreementOptions::fertility) enabled, as there, for the main model.
struct DistributedAgreementModels {
  DistributedModel forward, reverse;
};
absl::StatusOr<DistributedAgreementModels> DistributedTrainByAgreement(
    const boost::mpi::communicator& comm, const ParallelCorpus& forward_block,
    const ParallelCorpus& reverse_block, const TrainingOptions& options, AgreementTrainer* trainer,
    const std::function<void(const AgreementIterationReport&)>& on_iteration);

}  // namespace aligner::mpi

#endif  // ALIGNER_MPI_DISTRIBUTED_TRAINING_H_
