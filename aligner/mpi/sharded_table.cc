#include "aligner/mpi/sharded_table.h"

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <queue>
#include <utility>

#include "absl/strings/str_cat.h"
#include "aligner/mpi/collectives.h"
#include "boost/mpi/collectives.hpp"

namespace aligner::mpi {
namespace {

constexpr int kExchangeTag = 16;

// Sends `sent` to rank `to` while receiving `received` (sized by the
// caller) from rank `from`, in pieces below 2^31 elements (MPI counts are
// ints). Exchanges go round the ranks one partner at a time (step d: to
// rank + d, from rank - d), so a rank holds one partner's data at a time
// rather than everyone's.
template <typename T>
void Exchange(const boost::mpi::communicator& comm, int to, const std::vector<T>& sent, int from,
              std::vector<T>* received) {
  const MPI_Datatype type = boost::mpi::get_mpi_datatype<T>();
  constexpr size_t kPiece = size_t{1} << 30;
  // Each side knows the size of both directions, so sender and receiver cut
  // the same pieces.
  std::vector<MPI_Request> requests;
  for (size_t begin = 0; begin < received->size(); begin += kPiece) {
    requests.emplace_back();
    MPI_Irecv(received->data() + begin,
              static_cast<int>(std::min(kPiece, received->size() - begin)), type, from,
              kExchangeTag, comm, &requests.back());
  }
  for (size_t begin = 0; begin < sent.size(); begin += kPiece) {
    requests.emplace_back();
    MPI_Isend(sent.data() + begin, static_cast<int>(std::min(kPiece, sent.size() - begin)), type,
              to, kExchangeTag, comm, &requests.back());
  }
  MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
}

}  // namespace

template <typename Visit>
void ShardedTranslationTable::ForEachSlotOwnedBy(int owner, Visit visit) const {
  const size_t num_rows = local_->num_source_words();
  for (size_t e = owner; e < num_rows; e += comm_.size()) {
    for (uint64_t s = local_->row_begin(e); s < local_->row_end(e); ++s) visit(e, s);
  }
}

ShardedTranslationTable::ShardedTranslationTable(const boost::mpi::communicator& comm,
                                                 std::shared_ptr<TranslationTable> local)
    : comm_(comm), local_(std::move(local)) {
  const int num_ranks = comm_.size(), self = comm_.rank();
  send_counts_.assign(num_ranks, 0);
  for (int owner = 0; owner < num_ranks; ++owner) {
    ForEachSlotOwnedBy(owner, [&](size_t, uint64_t) { ++send_counts_[owner]; });
  }
  receive_counts_.assign(num_ranks, 0);
  MPI_Alltoall(send_counts_.data(), 1, MPI_INT64_T, receive_counts_.data(), 1, MPI_INT64_T, comm_);
  receive_offsets_.assign(num_ranks + 1, 0);
  for (int r = 0; r < num_ranks; ++r)
    receive_offsets_[r + 1] = receive_offsets_[r] + receive_counts_[r];

  // Tell each owner which (e, f) this rank has in its rows: each rank's
  // list comes sorted by (e, f).
  std::vector<uint64_t> keys(receive_offsets_[num_ranks]);
  for (int d = 0; d < num_ranks; ++d) {
    const int to = (self + d) % num_ranks, from = (self - d + num_ranks) % num_ranks;
    std::vector<uint64_t> sent;
    sent.reserve(send_counts_[to]);
    ForEachSlotOwnedBy(to, [&](size_t e, uint64_t s) {
      sent.push_back(static_cast<uint64_t>(e) << 32 | local_->target(s));
    });
    std::vector<uint64_t> received(receive_counts_[from]);
    Exchange(comm_, to, sent, from, &received);
    std::copy(received.begin(), received.end(), keys.begin() + receive_offsets_[from]);
  }

  // The owned rows are the union of the ranks' sorted lists: merged, each
  // (e, f) gets the next slot the first time it comes up, and every list
  // entry learns its slot.
  const size_t num_rows = local_->num_source_words();
  std::vector<uint64_t> row_offsets(num_rows + 1, 0);
  std::vector<WordId> targets;
  received_slots_.resize(keys.size());
  using Head = std::pair<uint64_t, int>;  // (key, rank), smallest first
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heads;
  std::vector<int64_t> next(receive_offsets_.begin(), receive_offsets_.end() - 1);
  for (int r = 0; r < num_ranks; ++r) {
    if (next[r] < receive_offsets_[r + 1]) heads.push({keys[next[r]], r});
  }
  uint64_t last_key = 0;
  while (!heads.empty()) {
    const auto [key, r] = heads.top();
    heads.pop();
    if (targets.empty() || key != last_key) {
      if (targets.size() >= UINT32_MAX) {
        std::fprintf(stderr,
                     "aligner-mpi: rank %d owns more than 2^32 table entries; use more "
                     "ranks\n",
                     self);
        std::abort();
      }
      targets.push_back(static_cast<WordId>(key));
      ++row_offsets[(key >> 32) + 1];
      last_key = key;
    }
    received_slots_[next[r]] = static_cast<uint32_t>(targets.size() - 1);
    if (++next[r] < receive_offsets_[r + 1]) heads.push({keys[next[r]], r});
  }
  keys = std::vector<uint64_t>();
  uint64_t longest_row = 0;
  for (size_t e = 0; e < num_rows; ++e) {
    longest_row = std::max(longest_row, row_offsets[e + 1]);
    row_offsets[e + 1] += row_offsets[e];
  }
  std::vector<float> probs(targets.size(), 0.0f);
  // Consistent by construction (rows sorted, sizes matching).
  owned_ =
      *TranslationTable::FromArrays(std::move(row_offsets), std::move(targets), std::move(probs));
  // One process's uniform start: 1 / the longest row of the whole table
  // (TranslationTable::SetUniform).
  const uint64_t num_targets = Max(comm_, static_cast<int64_t>(longest_row));
  owned_.SetUniform(num_targets);
  local_->SetUniform(num_targets);
}

void ShardedTranslationTable::Maximize(const FixedPointArray& local_counts,
                                       const TranslationPrior& prior) {
  const int num_ranks = comm_.size(), self = comm_.rank();
  // Counts to their owners, who sum them.
  owned_counts_.Resize(owned_.num_entries());
  for (int d = 0; d < num_ranks; ++d) {
    const int to = (self + d) % num_ranks, from = (self - d + num_ranks) % num_ranks;
    std::vector<int64_t> sent;
    sent.reserve(send_counts_[to]);
    ForEachSlotOwnedBy(to, [&](size_t, uint64_t s) { sent.push_back(local_counts.raw(s)); });
    std::vector<int64_t> received(receive_counts_[from]);
    Exchange(comm_, to, sent, from, &received);
    const uint32_t* slots = received_slots_.data() + receive_offsets_[from];
    for (size_t p = 0; p < received.size(); ++p)
      owned_counts_.AtomicAddFixed(slots[p], received[p]);
  }
  EstimateTranslationTable(owned_counts_, prior, &owned_);
  // The probabilities back to every rank that has the entries.
  absl::Span<float> local_probs = local_->mutable_probs();
  for (int d = 0; d < num_ranks; ++d) {
    // Answers go to the rank whose counts came in at step d, and come from
    // the rank the counts went to.
    const int to = (self - d + num_ranks) % num_ranks, from = (self + d) % num_ranks;
    std::vector<float> answers(receive_counts_[to]);
    const uint32_t* slots = received_slots_.data() + receive_offsets_[to];
    for (size_t p = 0; p < answers.size(); ++p) answers[p] = owned_.prob(slots[p]);
    std::vector<float> probs(send_counts_[from]);
    Exchange(comm_, to, answers, from, &probs);
    size_t k = 0;
    ForEachSlotOwnedBy(from, [&](size_t, uint64_t s) { local_probs[s] = probs[k++]; });
  }
}

absl::Status ShardedTranslationTable::SetProbabilities(const TranslationTable& whole) {
  for (TranslationTable* part : {local_.get(), &owned_}) {
    const absl::Span<float> probs = part->mutable_probs();
    for (size_t e = 0; e < part->num_source_words(); ++e) {
      for (uint64_t s = part->row_begin(e); s < part->row_end(e); ++s) {
        const TranslationTable::Slot slot = whole.Find(static_cast<WordId>(e), part->target(s));
        if (slot == TranslationTable::kNoSlot) {
          return absl::InvalidArgumentError(
              absl::StrCat("its table has no entry for word pair (", e, ", ", part->target(s),
                           ") of this corpus: not a checkpoint of this corpus"));
        }
        probs[s] = whole.prob(slot);
      }
    }
  }
  return absl::OkStatus();
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
  uint64_t counts = 0, answers = 0;
  for (int r = 0; r < comm_.size(); ++r) {
    if (r == self) continue;
    counts += send_counts_[r];
    answers += receive_counts_[r];
  }
  return counts * sizeof(int64_t) + answers * sizeof(float);
}

}  // namespace aligner::mpi
