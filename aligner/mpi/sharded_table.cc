#include "aligner/mpi/sharded_table.h"

#include <mpi.h>

#include <algorithm>
#include <utility>

#include "aligner/mpi/collectives.h"
#include "boost/mpi/collectives.hpp"

namespace aligner::mpi {
namespace {

std::vector<int> OffsetsOf(const std::vector<int>& counts) {
  std::vector<int> offsets(counts.size(), 0);
  for (size_t r = 1; r < counts.size(); ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
  return offsets;
}

size_t TotalOf(const std::vector<int>& counts) {
  size_t total = 0;
  for (int c : counts) total += c;
  return total;
}

}  // namespace

template <typename Visit>
void ShardedTranslationTable::ForEachSentSlot(Visit visit) const {
  const size_t num_rows = local_->num_source_words();
  const size_t num_ranks = comm_.size();
  for (size_t owner = 0; owner < num_ranks; ++owner) {
    for (size_t e = owner; e < num_rows; e += num_ranks) {
      for (uint64_t s = local_->row_begin(e); s < local_->row_end(e); ++s) visit(owner, e, s);
    }
  }
}

ShardedTranslationTable::ShardedTranslationTable(const boost::mpi::communicator& comm,
                                                 std::shared_ptr<TranslationTable> local)
    : comm_(comm), local_(std::move(local)) {
  const int num_ranks = comm_.size();
  // Tell each owner which (e, f) this rank has in its rows.
  send_counts_.assign(num_ranks, 0);
  std::vector<uint32_t> pairs;
  pairs.reserve(2 * local_->num_entries());
  ForEachSentSlot([&](size_t owner, size_t e, uint64_t s) {
    ++send_counts_[owner];
    pairs.push_back(static_cast<uint32_t>(e));
    pairs.push_back(local_->target(s));
  });
  receive_counts_.assign(num_ranks, 0);
  MPI_Alltoall(send_counts_.data(), 1, MPI_INT, receive_counts_.data(), 1, MPI_INT, comm_);
  send_offsets_ = OffsetsOf(send_counts_);
  receive_offsets_ = OffsetsOf(receive_counts_);
  std::vector<int> pair_send_counts(num_ranks), pair_send_offsets(num_ranks);
  std::vector<int> pair_receive_counts(num_ranks), pair_receive_offsets(num_ranks);
  for (int r = 0; r < num_ranks; ++r) {
    pair_send_counts[r] = 2 * send_counts_[r];
    pair_send_offsets[r] = 2 * send_offsets_[r];
    pair_receive_counts[r] = 2 * receive_counts_[r];
    pair_receive_offsets[r] = 2 * receive_offsets_[r];
  }
  std::vector<uint32_t> received(2 * TotalOf(receive_counts_));
  MPI_Alltoallv(pairs.data(), pair_send_counts.data(), pair_send_offsets.data(), MPI_UINT32_T,
                received.data(), pair_receive_counts.data(), pair_receive_offsets.data(),
                MPI_UINT32_T, comm_);
  pairs = std::vector<uint32_t>();

  // The owned rows: the union of what every rank sent, sorted by (e, f),
  // which is also the owned table's slot order.
  std::vector<uint64_t> keys(received.size() / 2);
  for (size_t p = 0; p < keys.size(); ++p) {
    keys[p] = static_cast<uint64_t>(received[2 * p]) << 32 | received[2 * p + 1];
  }
  received = std::vector<uint32_t>();
  std::vector<uint64_t> owned_keys = keys;
  std::sort(owned_keys.begin(), owned_keys.end());
  owned_keys.erase(std::unique(owned_keys.begin(), owned_keys.end()), owned_keys.end());
  received_slots_.resize(keys.size());
  for (size_t p = 0; p < keys.size(); ++p) {
    received_slots_[p] =
        std::lower_bound(owned_keys.begin(), owned_keys.end(), keys[p]) - owned_keys.begin();
  }
  keys = std::vector<uint64_t>();
  const size_t num_rows = local_->num_source_words();
  std::vector<uint64_t> row_offsets(num_rows + 1, 0);
  std::vector<WordId> targets(owned_keys.size());
  for (size_t s = 0; s < owned_keys.size(); ++s) {
    ++row_offsets[(owned_keys[s] >> 32) + 1];
    targets[s] = static_cast<WordId>(owned_keys[s]);
  }
  uint64_t longest_row = 0;
  for (size_t e = 0; e < num_rows; ++e) {
    longest_row = std::max(longest_row, row_offsets[e + 1]);
    row_offsets[e + 1] += row_offsets[e];
  }
  std::vector<float> probs(targets.size(), 0.0f);
  owned_keys = std::vector<uint64_t>();
  // Consistent by construction (rows sorted, sizes matching).
  owned_ = *TranslationTable::FromArrays(std::move(row_offsets), std::move(targets),
                                         std::move(probs));
  // One process's uniform start: 1 / the longest row of the whole table
  // (TranslationTable::SetUniform).
  const uint64_t num_targets = Max(comm_, static_cast<int64_t>(longest_row));
  owned_.SetUniform(num_targets);
  local_->SetUniform(num_targets);
}

void ShardedTranslationTable::Maximize(const FixedPointArray& local_counts,
                                       const TranslationPrior& prior) {
  std::vector<int64_t> sent(TotalOf(send_counts_));
  size_t k = 0;
  ForEachSentSlot([&](size_t, size_t, uint64_t s) { sent[k++] = local_counts.raw(s); });
  std::vector<int64_t> received(received_slots_.size());
  MPI_Alltoallv(sent.data(), send_counts_.data(), send_offsets_.data(), MPI_INT64_T,
                received.data(), receive_counts_.data(), receive_offsets_.data(), MPI_INT64_T,
                comm_);
  sent = std::vector<int64_t>();
  owned_counts_.Resize(owned_.num_entries());
  for (size_t p = 0; p < received.size(); ++p) {
    owned_counts_.AtomicAddFixed(received_slots_[p], received[p]);
  }
  received = std::vector<int64_t>();
  EstimateTranslationTable(owned_counts_, prior, &owned_);

  std::vector<float> answers(received_slots_.size());
  for (size_t p = 0; p < answers.size(); ++p) answers[p] = owned_.prob(received_slots_[p]);
  std::vector<float> probs(TotalOf(send_counts_));
  MPI_Alltoallv(answers.data(), receive_counts_.data(), receive_offsets_.data(), MPI_FLOAT,
                probs.data(), send_counts_.data(), send_offsets_.data(), MPI_FLOAT, comm_);
  absl::Span<float> local_probs = local_->mutable_probs();
  k = 0;
  ForEachSentSlot([&](size_t, size_t, uint64_t s) { local_probs[s] = probs[k++]; });
}

TranslationTable ShardedTranslationTable::GatherAtRoot() const {
  // Owned rows as (e, length), with their targets and probabilities.
  std::vector<uint64_t> rows;
  std::vector<uint32_t> targets(owned_.targets().begin(), owned_.targets().end());
  std::vector<float> probs(owned_.probs().begin(), owned_.probs().end());
  for (size_t e = 0; e < owned_.num_source_words(); ++e) {
    const uint64_t length = owned_.row_end(e) - owned_.row_begin(e);
    if (length > 0) {
      rows.push_back(e);
      rows.push_back(length);
    }
  }
  const std::vector<uint64_t> all_rows = GatherVToRoot(comm_, rows);
  const std::vector<uint32_t> all_targets = GatherVToRoot(comm_, targets);
  const std::vector<float> all_probs = GatherVToRoot(comm_, probs);
  if (comm_.rank() != 0) return TranslationTable();
  const size_t num_rows = local_->num_source_words();
  std::vector<uint64_t> row_offsets(num_rows + 1, 0);
  for (size_t r = 0; r < all_rows.size(); r += 2) row_offsets[all_rows[r] + 1] = all_rows[r + 1];
  for (size_t e = 0; e < num_rows; ++e) row_offsets[e + 1] += row_offsets[e];
  std::vector<WordId> table_targets(all_targets.size());
  std::vector<float> table_probs(all_probs.size());
  size_t cursor = 0;
  for (size_t r = 0; r < all_rows.size(); r += 2) {
    const uint64_t begin = row_offsets[all_rows[r]], length = all_rows[r + 1];
    std::copy_n(all_targets.begin() + cursor, length, table_targets.begin() + begin);
    std::copy_n(all_probs.begin() + cursor, length, table_probs.begin() + begin);
    cursor += length;
  }
  return *TranslationTable::FromArrays(std::move(row_offsets), std::move(table_targets),
                                       std::move(table_probs));
}

uint64_t ShardedTranslationTable::bytes_sent_per_iteration() const {
  // Counts (int64) to the other owners, probabilities (float) back to the
  // other ranks; what a rank keeps for itself crosses no network.
  const int self = comm_.rank();
  return (TotalOf(send_counts_) - send_counts_[self]) * sizeof(int64_t) +
         (TotalOf(receive_counts_) - receive_counts_[self]) * sizeof(float);
}

}  // namespace aligner::mpi
