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
#include "aligner/model/model2.h"
#include "aligner/mpi/sharded_table.h"
#include "aligner/train/agreement_trainer.h"
#include "aligner/train/em_trainer.h"
#include "aligner/train/training.h"
#include "boost/mpi/communicator.hpp"

namespace aligner::mpi {

// Collective versions of what the models take from the corpus, over the
// whole corpus (every rank's block); each equals the one-process function on
// the whole corpus.
// AlignmentTable::FromCorpus: blocks in order of first appearance in the file.
AlignmentTable GlobalAlignmentTable(const boost::mpi::communicator& comm,
                                    const ParallelCorpus& block, bool use_null);
// DiagonalModel::CountLengths.
std::vector<std::pair<std::pair<uint32_t, uint32_t>, int64_t>> GlobalLengthCounts(
    const boost::mpi::communicator& comm, const ParallelCorpus& block);
// HmmModel::MaxSourceLength.
uint32_t GlobalMaxSourceLength(const boost::mpi::communicator& comm, const ParallelCorpus& block);

// Collective: one EM iteration of `model` over every rank's block: the local
// E-step (threads of `trainer`), alignment counts and tallies summed over
// ranks, then the M-step, whose translation part `table` does by owner.
// The report is the whole corpus's (the same on every rank).
IterationReport DistributedIterate(const boost::mpi::communicator& comm, EmTrainer* trainer,
                                   ShardedTranslationTable* table, const TranslationPrior& prior,
                                   AlignmentModel* model, int iteration);

// Collective: sums the E-step's alignment counts and tallies over ranks.
void SumCountsAcrossRanks(const boost::mpi::communicator& comm, ExpectedCounts* counts);

struct DistributedModel {
  // The model over this rank's local table (enough to decode its block).
  std::unique_ptr<AlignmentModel> model;
  std::shared_ptr<TranslationTable> local_table;
  std::unique_ptr<ShardedTranslationTable> sharded_table;
};

// Collective: TrainModel's schedule (Model 1 iterations, then the main
// model) on the whole corpus, each rank holding `block`. Checkpoints and
// resuming are not supported yet.
absl::StatusOr<DistributedModel> DistributedTrainModel(
    const boost::mpi::communicator& comm, const ParallelCorpus& block,
    const TrainingOptions& options, EmTrainer* trainer,
    const std::function<void(const IterationReport&)>& on_iteration);

// Collective: TrainByAgreement's schedule, both directions together, each
// rank holding its block in both orientations.
struct DistributedAgreementModels {
  DistributedModel forward, reverse;
};
absl::StatusOr<DistributedAgreementModels> DistributedTrainByAgreement(
    const boost::mpi::communicator& comm, const ParallelCorpus& forward_block,
    const ParallelCorpus& reverse_block, const TrainingOptions& options,
    AgreementTrainer* trainer,
    const std::function<void(const AgreementIterationReport&)>& on_iteration);

}  // namespace aligner::mpi

#endif  // ALIGNER_MPI_DISTRIBUTED_TRAINING_H_
