// The translation table t(f|e) split over MPI ranks.
#ifndef ALIGNER_MPI_SHARDED_TABLE_H_
#define ALIGNER_MPI_SHARDED_TABLE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "aligner/base/huge_pages.h"
#include "aligner/model/expected_counts.h"
#include "aligner/model/translation_table.h"
#include "boost/mpi/communicator.hpp"

namespace aligner::mpi {

// Each rank has two parts of the table:
// - its local table: the (e, f) pairs of its own block of the corpus (what
//   its E-step and decoder look up), built by TranslationTable::FromCorpus
//   on the block;
// - its owned rows: every (e, f) of the whole corpus with e mod N == rank,
//   where the M-step happens (their probabilities; not their targets).
// After each E-step every rank sends the fixed-point counts of its local
// entries to the entries' owners, which sum them (integers: the same sums as
// one process's) and re-estimate their rows with EstimateTranslationRows,
// the same code on the same rows as one process, so the same floats; then
// each owner sends every rank back the probabilities of that rank's entries.
// This goes a slice of rows at a time, in messages of bounded size, so that
// what a rank holds beyond its two tables is small.
// No rank ever holds the whole table (except rank 0 in GatherAtRoot, and
// every rank for a moment when it loads a checkpoint to resume from).
class ShardedTranslationTable {
 public:
  // Collective. `local` is this rank's table (FromCorpus of its block) and
  // is kept updated; its probabilities are set uniform as one process's
  // would be (1 / the number of target words of the whole corpus).
  ShardedTranslationTable(const boost::mpi::communicator& comm,
                          std::shared_ptr<TranslationTable> local);

  // Collective: the M-step of t(f|e) from each rank's counts of its local
  // entries (indexed by local slot). Overwrites every local probability.
  void Maximize(const FixedPointArray& local_counts, const TranslationPrior& prior);

  // Collective: sets every local and owned probability from `whole`, one
  // process's table of the whole corpus (a checkpoint's, to resume from).
  // Fails when `whole` lacks an entry this rank holds (the checkpoint of
  // another corpus).
  absl::Status SetProbabilities(const TranslationTable& whole);

  // Collective: the whole table (exactly one process's) at rank 0; an empty
  // table elsewhere. For model files, checkpoints and -p.
  TranslationTable GatherAtRoot() const;

  const TranslationTable& local() const { return *local_; }
  uint64_t num_owned_entries() const { return owned_probs_.size(); }
  // Collective: this rank's owned rows with their targets and probabilities,
  // as a table over every source word (the others' rows empty). The owner
  // keeps no targets (the M-step needs none): they are merged again from
  // the ranks' local tables.
  TranslationTable OwnedRows() const;
  // Bytes this rank sends to other ranks in one Maximize (counts out,
  // probabilities back).
  uint64_t bytes_sent_per_iteration() const;

 private:
  // Calls visit(slot) for the local slots of the rows `owner` owns, in the
  // order they are sent: by row, then by target.
  template <typename Visit>
  void ForEachSlotOwnedBy(int owner, Visit visit) const;

  // Collective: merges every rank's targets in this rank's rows: the owned
  // rows' offsets (over every source word, as a table's) and, when not null,
  // their targets and each rank's membership bitmap. Returns the longest
  // owned row's length.
  uint64_t MergeOwnedRows(std::vector<uint64_t>* row_offsets, std::vector<WordId>* targets,
                          std::vector<std::vector<uint64_t>>* membership) const;

  // Source words [first, end) (those of one owner, every N-th).
  struct RowRange {
    size_t first = 0, end = 0;
  };
  // The rows of slice k of `owner` (empty past its last slice).
  RowRange SliceRows(int owner, int k) const;
  // This rank's local entries in `rows` (of one owner).
  uint64_t LocalEntriesIn(const RowRange& rows) const;

  boost::mpi::communicator comm_;
  std::shared_ptr<TranslationTable> local_;
  // The owned rows: their offsets over every source word (as a table's row
  // offsets; others' rows empty) and their probabilities.
  std::vector<uint64_t> owned_offsets_;
  HugePageVector<float> owned_probs_;
  // Local entries sent to each owner (and probabilities received back), and
  // entries received from each rank.
  std::vector<int64_t> send_counts_, receive_counts_;
  // Per rank, a bit per owned slot: whether that rank's local table has the
  // entry. A rank sends its entries in the order of the owned slots, so the
  // set bits place what it sends: N bits per owned entry, where a slot per
  // received entry took 32 bits for each rank holding it.
  std::vector<std::vector<uint64_t>> membership_;
  // The M-step goes a slice of rows at a time, every owner's slice k at
  // once, so that an owner holds the counts of one slice rather than of all
  // its rows: per rank, the owned-row indexes ((e - rank) / N) its slices
  // start at, and then its number of owned rows.
  std::vector<std::vector<uint64_t>> slice_rows_;
  int num_slices_ = 0;  // the most of any rank
};

}  // namespace aligner::mpi

#endif  // ALIGNER_MPI_SHARDED_TABLE_H_
