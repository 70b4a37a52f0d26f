// Every training pair's translation-table slots, searched for once.
#ifndef ALIGNER_MODEL_SLOT_CACHE_H_
#define ALIGNER_MODEL_SLOT_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "aligner/base/huge_pages.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/translation_table.h"

namespace aligner {

// The set of (e, f) pairs a table holds is fixed when it is built, so the
// slots a sentence pair touches are the same in every iteration. Finding
// them (TranslationTable::FindBatch, a chain of dependent cache misses per
// lookup) was the E-step's largest single cost, paid again every iteration
// and again when decoding. The cache keeps each pair's slots in PairLookup's
// layout (its distinct (e, f), the NULL row first) as positions within their
// rows, 2 bytes each, for the rows it caches: those short enough for 16-bit
// positions, and, unless built `with_dense_rows`, without a direct index.
// Rows with a direct index (NULL's and the most frequent words',
// TranslationTable::has_dense_row) hold more than half of a pair's (e, f)
// (56% on Hansards 100,000 with words cut to 4 characters): leaving them out
// halves the cache (79 -> 35 MB there, in one direction), and costs a load
// from the row's index per lookup instead of reading 2 bytes in sequence.
// The HMM's arithmetic hides that load; Model 1's and the diagonal model's
// E-steps wait on memory, and were 7-10% slower without those rows.
// Rows too long for 16-bit positions (once a corpus has more than 65,535
// target words) are searched as before; most of them have a direct index.
//
// Pairs are cached in corpus order while the cache fits its byte budget;
// the others are searched as before, so any budget gives the same results.
// Training fills it when it is attached (Fill: a table row at a time, through
// a direct index of the row, so nothing is searched; its writes land at random
// pairs, which is what it costs: 4 s of the 6 s of searching it saves on all
// 1.13M Hansards pairs); a pair not filled is stored by its first lookup
// (Store).
// A table holds its cache (TranslationTable::set_slot_cache) and PairLookup
// uses it for the pairs of that corpus, known by its id (SentencePair), so
// the pairs of another corpus, or of a copy, miss it.
class SlotCache {
 public:
  using Position = uint16_t;
  // A pair that never co-occurred, or a row too long to cache.
  static constexpr Position kNone = std::numeric_limits<Position>::max();
  // Rows at most this long are cached: their positions are below kNone.
  static constexpr uint64_t kMaxRowLength = kNone;

  // An empty cache for `table`, built from `corpus` (read in the table's
  // direction), and its copies, at most `budget_bytes` of it; null when not
  // even the first pair fits. `with_dense_rows`: also the rows with a direct
  // index. Sizes the pairs in parallel in the calling task arena.
  static std::shared_ptr<const SlotCache> Build(const ParallelCorpus& corpus,
                                                const TranslationTable& table,
                                                uint64_t budget_bytes, bool with_dense_rows);

  // The slots of `pair` in `table`, when stored: its distinct source words
  // `sources` (NULL first), each a row of out over the `width` distinct
  // `targets`, the rows not cached searched; without `with_null` the NULL
  // row has no slots. False when the pair is not stored, or was stored with
  // other rows than `sources` gives (out may then be partly written).
  bool Load(const SentencePair& pair, const TranslationTable& table,
            absl::Span<const WordId> sources, const WordId* targets, size_t width, bool with_null,
            TranslationTable::Slot* out) const;

  // Stores the positions of every cached pair of `corpus` (the one the cache
  // was built for) in `table` at once, a row of the table at a time: each
  // row's positions go in a direct index over the target words, so no pair
  // needs a search (the first E-step would otherwise search them all, then
  // Store). Pairs already stored are left as they are. Runs in parallel in
  // the calling task arena; not while lookups use the cache.
  void Fill(const ParallelCorpus& corpus, const TranslationTable& table) const;

  // Stores the slots PairLookup found for `pair` (its distinct source words
  // `sources`, NULL first, each with a row of `width` slots) unless the
  // pair is not cached or already stored or being stored. Safe to call from
  // several threads at once, also for the same pair; a pair's positions are
  // seen by Positions only once they are complete.
  void Store(const SentencePair& pair, const TranslationTable& table,
             absl::Span<const WordId> sources, size_t width,
             absl::Span<const TranslationTable::Slot> slots) const;

  // The positions in their rows of `pair`'s slots, in PairLookup's layout
  // (NULL row first) without the rows not cached (Caches), kNone for a pair
  // (e, f) the row lacks; or an empty span when the pair is not cached (or
  // comes from another corpus), or not stored yet, or when it has no cached
  // rows. A pair with an empty side also gives an empty span; it has
  // nothing to look up.
  absl::Span<const Position> Positions(const SentencePair& pair) const {
    if (!IsStored(pair)) return {};
    return absl::MakeConstSpan(positions_.get() + offsets_[pair.index],
                               offsets_[pair.index + 1] - offsets_[pair.index]);
  }

  size_t num_cached_pairs() const { return offsets_.size() - 1; }
  size_t num_positions() const { return offsets_.back(); }

  // Whether the positions of row e are stored: a row of the table, short
  // enough for 16-bit positions, and without a direct index unless the cache
  // holds those too.
  bool Caches(const TranslationTable& table, WordId e) const {
    return e < table.num_source_words() && (with_dense_rows_ || !table.has_dense_row(e)) &&
           table.row_end(e) - table.row_begin(e) <= kMaxRowLength;
  }

 private:
  // Whether `pair` is one of this cache's and its positions are stored.
  bool IsStored(const SentencePair& pair) const {
    return pair.corpus_id == corpus_id_ && pair.index < num_cached_pairs() &&
           state_[pair.index].load(std::memory_order_acquire) == kStored;
  }
  // The rows a pair with distinct sources `sources` (NULL first) has
  // stored, each as wide as its distinct targets.
  size_t CachedRows(const TranslationTable& table, absl::Span<const WordId> sources) const;

  enum : uint8_t { kEmpty, kStoring, kStored };
  uint64_t corpus_id_ = 0;
  bool with_dense_rows_ = true;
  std::vector<uint64_t> offsets_{0};  // pair k's: [offsets_[k], offsets_[k + 1])
  // Written by Store, through a const cache: each pair's range by the one
  // thread that claimed it (state kEmpty -> kStoring), then published. Not
  // cleared when allocated (a pair's range is read only once stored): the
  // first writes, spread over Fill's threads, fault its pages in, instead of
  // one thread zeroing the whole array (1.5 of Build's 1.9 s on all 1.13M
  // Hansards pairs).
  std::unique_ptr<Position[], FreeLargeArray<Position>> positions_;
  std::unique_ptr<std::atomic<uint8_t>[]> state_;
};

}  // namespace aligner

#endif  // ALIGNER_MODEL_SLOT_CACHE_H_
