#include "aligner/mpi/sharded_table.h"

#include <malloc.h>
#include <mpi.h>

#include <algorithm>
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

// Messages of the exchanges in Maximize: at most this many values (32 KiB
// of counts), so a rank holds a few small buffers rather than a partner's
// whole share. Measured on Hansards 100k at 4 ranks: 2^16-value messages
// and slices of 2^18 entries left the M-step 6 MB above the E-step (most of
// it Open MPI's own buffering of the large messages); these, under 1 MB.
constexpr size_t kChunk = size_t{1} << 12;
// Owned entries re-estimated at a time: the owner holds the counts of one
// slice of its rows (512 KiB), not of all of them.
constexpr uint64_t kSliceEntries = uint64_t{1} << 16;

// The local slots of the rows `owner` owns, in the order they are sent: by
// row, then by target.
class LocalSlotCursor {
 public:
  LocalSlotCursor(const TranslationTable& table, int owner, int num_ranks)
      : table_(table), step_(num_ranks), e_(owner) {
    Settle();
  }
  uint64_t Next() {
    const uint64_t slot = slot_++;
    if (slot_ == end_) {
      e_ += step_;
      Settle();
    }
    return slot;
  }

 private:
  // Moves to the first non-empty row from e_ on.
  void Settle() {
    for (; e_ < table_.num_source_words(); e_ += step_) {
      slot_ = table_.row_begin(e_);
      end_ = table_.row_end(e_);
      if (slot_ < end_) return;
    }
  }
  const TranslationTable& table_;
  const size_t step_;
  size_t e_;
  uint64_t slot_ = 0, end_ = 0;
};

// The owned slots a rank has, in order: the set bits of its membership
// bitmap.
class OwnedSlotCursor {
 public:
  explicit OwnedSlotCursor(const std::vector<uint64_t>& bits) : bits_(bits) {}
  uint64_t Next() {
    while (word_ == 0) word_ = bits_[++index_];
    const uint64_t slot = index_ * 64 + static_cast<uint64_t>(__builtin_ctzll(word_));
    word_ &= word_ - 1;
    return slot;
  }

 private:
  const std::vector<uint64_t>& bits_;
  size_t index_ = 0;
  uint64_t word_ = bits_.empty() ? 0 : bits_[0];
};

// The set bits of `bits` in [begin, end).
uint64_t CountBits(const std::vector<uint64_t>& bits, uint64_t begin, uint64_t end) {
  uint64_t count = 0;
  for (uint64_t b = begin; b < end;) {
    const uint64_t word = b / 64, offset = b % 64;
    const uint64_t n = std::min<uint64_t>(64 - offset, end - b);
    const uint64_t mask = n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1) << offset;
    count += static_cast<uint64_t>(__builtin_popcountll(bits[word] & mask));
    b += n;
  }
  return count;
}

// Exchanges `num_sent` values made by make() with rank `to` and
// `num_received` given to take(value) from rank `from`, in messages of
// at most kChunk values (both sides of a pair cut the same ones).
template <typename T, typename Make, typename Take>
void ExchangeInChunks(const boost::mpi::communicator& comm, int to, uint64_t num_sent, Make make,
                      int from, uint64_t num_received, Take take) {
  std::vector<T> sent, received;
  for (uint64_t out = 0, in = 0; out < num_sent || in < num_received;) {
    const uint64_t n_out = std::min<uint64_t>(kChunk, num_sent - out);
    const uint64_t n_in = std::min<uint64_t>(kChunk, num_received - in);
    sent.resize(n_out);
    for (T& value : sent) value = make();
    received.resize(n_in);
    Exchange(comm, to, sent, from, &received);
    for (const T& value : received) take(value);
    out += n_out;
    in += n_in;
  }
}

}  // namespace

template <typename Visit>
void ShardedTranslationTable::ForEachSlotOwnedBy(int owner, Visit visit) const {
  const size_t num_rows = local_->num_source_words();
  for (size_t e = owner; e < num_rows; e += comm_.size()) {
    for (uint64_t s = local_->row_begin(e); s < local_->row_end(e); ++s) visit(e, s);
  }
}

uint64_t ShardedTranslationTable::MergeOwnedRows(
    std::vector<uint64_t>* row_offsets, std::vector<WordId>* targets,
    std::vector<std::vector<uint64_t>>* membership) const {
  const int num_ranks = comm_.size(), self = comm_.rank();
  std::vector<uint64_t> receive_offsets(num_ranks + 1, 0);
  for (int r = 0; r < num_ranks; ++r) {
    receive_offsets[r + 1] = receive_offsets[r] + receive_counts_[r];
  }
  // Tell each owner which targets this rank has in each of its rows: the
  // rows' lengths, then their targets (sorted within each row), 4 bytes an
  // entry.
  const size_t num_rows = local_->num_source_words();
  const auto rows_of = [&](int owner) -> size_t {
    return num_rows > static_cast<size_t>(owner) ? (num_rows - owner + num_ranks - 1) / num_ranks
                                                 : 0;
  };
  const size_t num_owned_rows = rows_of(self);
  std::vector<uint32_t> lengths(static_cast<size_t>(num_ranks) * num_owned_rows);
  std::vector<WordId> received(receive_offsets[num_ranks]);
  for (int d = 0; d < num_ranks; ++d) {
    const int to = (self + d) % num_ranks, from = (self - d + num_ranks) % num_ranks;
    std::vector<uint32_t> sent_lengths;
    std::vector<WordId> sent;
    sent_lengths.reserve(rows_of(to));
    sent.reserve(send_counts_[to]);
    for (size_t e = to; e < num_rows; e += num_ranks) {
      sent_lengths.push_back(static_cast<uint32_t>(local_->row_end(e) - local_->row_begin(e)));
      for (uint64_t s = local_->row_begin(e); s < local_->row_end(e); ++s) {
        sent.push_back(local_->target(s));
      }
    }
    std::vector<uint32_t> their_lengths(num_owned_rows);
    Exchange(comm_, to, sent_lengths, from, &their_lengths);
    std::copy(their_lengths.begin(), their_lengths.end(),
              lengths.begin() + static_cast<size_t>(from) * num_owned_rows);
    std::vector<WordId> theirs(receive_counts_[from]);
    Exchange(comm_, to, sent, from, &theirs);
    std::copy(theirs.begin(), theirs.end(), received.begin() + receive_offsets[from]);
  }

  // Each owned row is the union of the ranks' sorted lists for it. No union
  // is longer than all lists together: the unused tail of a reservation of
  // that size is never touched.
  row_offsets->assign(num_rows + 1, 0);
  if (targets != nullptr) {
    targets->clear();
    targets->reserve(received.size());
  }
  if (membership != nullptr) {
    membership->assign(num_ranks, std::vector<uint64_t>(received.size() / 64 + 1, 0));
  }
  std::vector<uint64_t> cursor(receive_offsets.begin(), receive_offsets.end() - 1);
  std::vector<uint64_t> row_end(num_ranks);
  uint64_t slot = 0, longest_row = 0;
  for (size_t row = 0; row < num_owned_rows; ++row) {
    const size_t e = self + row * num_ranks;
    for (int r = 0; r < num_ranks; ++r) {
      row_end[r] = cursor[r] + lengths[static_cast<size_t>(r) * num_owned_rows + row];
    }
    const uint64_t row_begin = slot;
    while (true) {
      WordId next = 0;
      bool any = false;
      for (int r = 0; r < num_ranks; ++r) {
        if (cursor[r] < row_end[r] && (!any || received[cursor[r]] < next)) {
          next = received[cursor[r]];
          any = true;
        }
      }
      if (!any) break;
      if (targets != nullptr) targets->push_back(next);
      for (int r = 0; r < num_ranks; ++r) {
        if (cursor[r] < row_end[r] && received[cursor[r]] == next) {
          if (membership != nullptr) (*membership)[r][slot / 64] |= uint64_t{1} << (slot % 64);
          ++cursor[r];
        }
      }
      ++slot;
    }
    (*row_offsets)[e + 1] = slot - row_begin;
    longest_row = std::max(longest_row, slot - row_begin);
  }
  if (membership != nullptr) {
    for (std::vector<uint64_t>& bits : *membership) {
      bits.resize(slot / 64 + 1);
      bits.shrink_to_fit();
    }
  }
  for (size_t e = 0; e < num_rows; ++e) (*row_offsets)[e + 1] += (*row_offsets)[e];
  return longest_row;
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

  // The owned rows' shape and every rank's membership bitmap, which is all
  // the owner needs to place the counts a rank sends (in slot order) and to
  // answer with probabilities; their targets are rebuilt only when the rows
  // are wanted whole (OwnedRows).
  const uint64_t longest_row = MergeOwnedRows(&owned_offsets_, nullptr, &membership_);
  const size_t num_rows = local_->num_source_words();
  const size_t num_owned_rows =
      num_rows > static_cast<size_t>(self) ? (num_rows - self + num_ranks - 1) / num_ranks : 0;

  // The slices of the M-step: runs of owned rows of at most kSliceEntries
  // entries (or one longer row), their first row indexes gathered by all.
  std::vector<uint64_t> bounds = {0};
  uint64_t in_slice = 0;
  for (size_t row = 0; row < num_owned_rows; ++row) {
    const size_t e = self + row * num_ranks;
    const uint64_t length = owned_offsets_[e + 1] - owned_offsets_[e];
    if (in_slice > 0 && in_slice + length > kSliceEntries) {
      bounds.push_back(row);
      in_slice = 0;
    }
    in_slice += length;
  }
  bounds.push_back(num_owned_rows);
  std::vector<int> sizes;
  const std::vector<uint64_t> all_bounds = AllGatherV(comm_, bounds, &sizes);
  slice_rows_.resize(num_ranks);
  num_slices_ = 0;
  for (int r = 0, at = 0; r < num_ranks; at += sizes[r], ++r) {
    slice_rows_[r].assign(all_bounds.begin() + at, all_bounds.begin() + at + sizes[r]);
    num_slices_ = std::max(num_slices_, sizes[r] - 1);
  }
  // One process's uniform start: 1 / the longest row of the whole table
  // (TranslationTable::SetUniform).
  local_->SetUniform(Max(comm_, static_cast<int64_t>(longest_row)));
  owned_probs_.assign(owned_offsets_.back(), local_->uniform_prob());
  // The heap's free space after building both tables (the local table's
  // rows, the lists received here) is as large as the owned rows; glibc
  // keeps it mapped unless asked, and the M-step's counts would come on top.
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

TranslationTable ShardedTranslationTable::OwnedRows() const {
  std::vector<uint64_t> row_offsets;
  std::vector<WordId> targets;
  MergeOwnedRows(&row_offsets, &targets, nullptr);
  // Consistent by construction (rows sorted, sizes matching).
  return *TranslationTable::FromArrays(
      std::move(row_offsets), std::move(targets),
      std::vector<float>(owned_probs_.begin(), owned_probs_.end()));
}

ShardedTranslationTable::RowRange ShardedTranslationTable::SliceRows(int owner, int k) const {
  const std::vector<uint64_t>& bounds = slice_rows_[owner];
  const size_t last = bounds.size() - 1;
  const size_t first = bounds[std::min<size_t>(k, last)];
  const size_t end = bounds[std::min<size_t>(k + 1, last)];
  const size_t num_rows = local_->num_source_words(), n = comm_.size();
  return {std::min(num_rows, owner + first * n), std::min(num_rows, owner + end * n)};
}

uint64_t ShardedTranslationTable::LocalEntriesIn(const RowRange& rows) const {
  uint64_t entries = 0;
  for (size_t e = rows.first; e < rows.end; e += comm_.size()) {
    entries += local_->row_end(e) - local_->row_begin(e);
  }
  return entries;
}

void ShardedTranslationTable::Maximize(const FixedPointArray& local_counts,
                                       const TranslationPrior& prior) {
  const int num_ranks = comm_.size(), self = comm_.rank();
  // Where each exchange left off: every rank's entries of every owner's rows
  // go slice after slice in the same order (by row, then by target).
  std::vector<LocalSlotCursor> counts_out, probs_in;
  std::vector<OwnedSlotCursor> counts_in, probs_out;
  for (int r = 0; r < num_ranks; ++r) {
    counts_out.emplace_back(*local_, r, num_ranks);
    probs_in.emplace_back(*local_, r, num_ranks);
    counts_in.emplace_back(membership_[r]);
    probs_out.emplace_back(membership_[r]);
  }
  absl::Span<float> local_probs = local_->mutable_probs();
  FixedPointArray counts;  // of this rank's slice
  for (int k = 0; k < num_slices_; ++k) {
    const RowRange mine = SliceRows(self, k);
    const uint64_t first_slot = owned_offsets_[mine.first];
    const uint64_t end_slot = owned_offsets_[mine.end];
    counts.Resize(end_slot - first_slot);
    // Counts of the slice to its owner, who sums them.
    for (int d = 0; d < num_ranks; ++d) {
      const int to = (self + d) % num_ranks, from = (self - d + num_ranks) % num_ranks;
      ExchangeInChunks<int64_t>(
          comm_, to, LocalEntriesIn(SliceRows(to, k)),
          [&] { return local_counts.raw(counts_out[to].Next()); }, from,
          CountBits(membership_[from], first_slot, end_slot),
          [&](int64_t count) {
            counts.AtomicAddFixed(counts_in[from].Next() - first_slot, count);
          });
    }
    EstimateTranslationRows(owned_offsets_, counts, first_slot, prior, mine.first, mine.end,
                            absl::MakeSpan(owned_probs_));
    // The probabilities back to every rank that has the entries.
    for (int d = 0; d < num_ranks; ++d) {
      // Answers go to the rank whose counts came in at step d, and come from
      // the rank the counts went to.
      const int to = (self - d + num_ranks) % num_ranks, from = (self + d) % num_ranks;
      ExchangeInChunks<float>(
          comm_, to, CountBits(membership_[to], first_slot, end_slot),
          [&] { return owned_probs_[probs_out[to].Next()]; }, from,
          LocalEntriesIn(SliceRows(from, k)),
          [&](float prob) { local_probs[probs_in[from].Next()] = prob; });
    }
  }
}

absl::Status ShardedTranslationTable::SetProbabilities(const TranslationTable& whole) {
  TranslationTable owned = OwnedRows();
  for (TranslationTable* part : {local_.get(), &owned}) {
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
  owned_probs_.assign(owned.probs().begin(), owned.probs().end());
  return absl::OkStatus();
}

TranslationTable ShardedTranslationTable::GatherAtRoot() const {
  const TranslationTable owned = OwnedRows();
  // Owned rows as (e, length), with their targets and probabilities.
  std::vector<uint64_t> rows;
  std::vector<uint32_t> targets(owned.targets().begin(), owned.targets().end());
  std::vector<float> probs(owned.probs().begin(), owned.probs().end());
  for (size_t e = 0; e < owned.num_source_words(); ++e) {
    const uint64_t length = owned.row_end(e) - owned.row_begin(e);
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
