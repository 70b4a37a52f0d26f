#include "aligner/model/slot_cache.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>

#include "tbb/blocked_range.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/parallel_for.h"

namespace aligner {
namespace {

// How far ahead of the pair in hand a loop over scattered pairs asks for
// the next pairs' offsets, and then for their words.
constexpr size_t kPrefetchFar = 16, kPrefetchNear = 8;

// Sorts the distinct words of `words` that `keep` accepts into the front of
// *scratch, and counts them.
template <typename Keep>
size_t CountDistinct(absl::Span<const WordId> words, Keep keep, std::vector<WordId>* scratch) {
  scratch->clear();
  for (WordId w : words) {
    if (keep(w)) scratch->push_back(w);
  }
  std::sort(scratch->begin(), scratch->end());
  return static_cast<size_t>(std::unique(scratch->begin(), scratch->end()) - scratch->begin());
}
size_t CountDistinct(absl::Span<const WordId> words, std::vector<WordId>* scratch) {
  return CountDistinct(
      words, [](WordId) { return true; }, scratch);
}

// Counts a sentence's distinct words in O(length), without sorting: seen_
// holds, for each word id, the last call that saw it.
class DistinctCounter {
 public:
  size_t Count(absl::Span<const WordId> words) {
    return Count(words, [](WordId) { return true; });
  }
  // The distinct words that `keep` accepts.
  template <typename Keep>
  size_t Count(absl::Span<const WordId> words, Keep keep) {
    if (++call_ == 0) {  // 2^32 calls: start the marks over
      std::fill(seen_.begin(), seen_.end(), 0);
      call_ = 1;
    }
    size_t count = 0;
    for (WordId w : words) {
      if (w >= seen_.size()) seen_.resize(static_cast<size_t>(w) + 1, 0);
      if (seen_[w] != call_) {
        seen_[w] = call_;
        count += keep(w) ? 1 : 0;
      }
    }
    return count;
  }

 private:
  std::vector<uint32_t> seen_;
  uint32_t call_ = 0;
};

}  // namespace

size_t SlotCache::CachedRows(const TranslationTable& table,
                             absl::Span<const WordId> sources) const {
  size_t rows = 0;
  for (WordId e : sources) rows += Caches(table, e) ? 1 : 0;
  return rows;
}

std::shared_ptr<const SlotCache> SlotCache::Build(const ParallelCorpus& corpus,
                                                  const TranslationTable& table,
                                                  uint64_t budget_bytes, bool with_dense_rows) {
  const size_t n = corpus.size();
  auto cache = std::make_shared<SlotCache>();
  cache->corpus_id_ = corpus.id();
  cache->with_dense_rows_ = with_dense_rows;
  // Each pair's share: its distinct cached sources (and NULL, if cached) x
  // its distinct targets.
  const size_t null_row = cache->Caches(table, kNullWord) ? 1 : 0;
  auto cached = [&](WordId e) { return cache->Caches(table, e); };
  std::vector<uint64_t> sizes(n);
  tbb::enumerable_thread_specific<DistinctCounter> counters;
  tbb::parallel_for(
      tbb::blocked_range<size_t>(0, n, 256), [&](const tbb::blocked_range<size_t>& r) {
        DistinctCounter& counter = counters.local();
        for (size_t k = r.begin(); k != r.end(); ++k) {
          const SentencePair pair = corpus.pair(k);
          sizes[k] =
              pair.source.empty() || pair.target.empty()
                  ? 0
                  : (counter.Count(pair.source, cached) + null_row) * counter.Count(pair.target);
        }
      });
  const uint64_t budget_slots = budget_bytes / sizeof(Position);
  for (size_t k = 0; k < n && cache->offsets_.back() + sizes[k] <= budget_slots; ++k) {
    cache->offsets_.push_back(cache->offsets_.back() + sizes[k]);
  }
  if (cache->offsets_.size() == 1) return nullptr;
  cache->offsets_.shrink_to_fit();
  const size_t count = cache->offsets_.back();
  cache->positions_ = std::unique_ptr<Position[], FreeLargeArray<Position>>(
      static_cast<Position*>(AllocateLarge(count * sizeof(Position))),
      FreeLargeArray<Position>{count});
  cache->state_.reset(new std::atomic<uint8_t>[cache->num_cached_pairs()]());
  return cache;
}

void SlotCache::Fill(const ParallelCorpus& corpus, const TranslationTable& table) const {
  if (corpus.id() != corpus_id_) return;
  const size_t n = num_cached_pairs();
  const size_t num_rows = table.num_source_words();
  const bool null_row = Caches(table, kNullWord);
  auto cached = [&](WordId e) { return Caches(table, e); };
  // Each pair's distinct cached sources and distinct targets by id (its
  // rows and columns), counted, then written, in parallel.
  auto wanted = [&](size_t k, const SentencePair& pair) {
    return state_[k].load(std::memory_order_relaxed) == kEmpty && !pair.source.empty() &&
           !pair.target.empty();
  };
  // (Temporaries in memory of their own, returned when done: from the heap
  // they would stay in the process, beside the counts allocated next.)
  HugePageVector<uint64_t> source_offsets(n + 1, 0), target_offsets(n + 1, 0);
  {
    tbb::enumerable_thread_specific<DistinctCounter> counters;
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 256),
                      [&](const tbb::blocked_range<size_t>& r) {
                        DistinctCounter& counter = counters.local();
                        for (size_t k = r.begin(); k != r.end(); ++k) {
                          const SentencePair pair = corpus.pair(k);
                          if (!wanted(k, pair)) continue;
                          source_offsets[k + 1] = counter.Count(pair.source, cached);
                          target_offsets[k + 1] = counter.Count(pair.target);
                        }
                      });
  }
  for (size_t k = 0; k < n; ++k) {
    source_offsets[k + 1] += source_offsets[k];
    target_offsets[k + 1] += target_offsets[k];
  }
  HugePageVector<WordId> sources(source_offsets[n]), targets(target_offsets[n]);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 256),
                    [&](const tbb::blocked_range<size_t>& r) {
                      thread_local std::vector<WordId> scratch;
                      for (size_t k = r.begin(); k != r.end(); ++k) {
                        if (target_offsets[k + 1] == target_offsets[k]) continue;
                        const SentencePair pair = corpus.pair(k);
                        CountDistinct(pair.source, cached, &scratch);
                        std::copy_n(scratch.begin(), source_offsets[k + 1] - source_offsets[k],
                                    sources.begin() + source_offsets[k]);
                        CountDistinct(pair.target, &scratch);
                        std::copy_n(scratch.begin(), target_offsets[k + 1] - target_offsets[k],
                                    targets.begin() + target_offsets[k]);
                      }
                    });
  // Inverted index: for each cached source word, the pairs it occurs in;
  // NULL (row 0, no word's id) occurs in all of them.
  HugePageVector<uint64_t> index_offsets(num_rows + 1, 0);
  for (WordId e : sources) ++index_offsets[e + 1];
  for (size_t e = 0; e < num_rows; ++e) index_offsets[e + 1] += index_offsets[e];
  HugePageVector<uint32_t> index(index_offsets[num_rows]);
  {
    HugePageVector<uint64_t> fill(index_offsets.begin(), index_offsets.end() - 1);
    for (size_t k = 0; k < n; ++k) {
      for (uint64_t p = source_offsets[k]; p < source_offsets[k + 1]; ++p) {
        index[fill[sources[p]]++] = static_cast<uint32_t>(k);
      }
    }
  }
  // Writes row e's positions into every pair of `pairs` that has e as its
  // distinct cached source `row` (NULL, if cached: 0), from `position`, the
  // direct index of row e over the target words (kNone off the row).
  auto write_row = [&](WordId e, const uint32_t* pairs, size_t num_pairs, bool is_null,
                       const std::vector<Position>& position) {
    for (size_t q = 0; q < num_pairs; ++q) {
      if (pairs != nullptr) {
        // The pairs of a row are scattered over the corpus: each costs
        // several cache misses (its offsets, then its words and positions),
        // so ask for them ahead, the offsets first.
        if (q + kPrefetchFar < num_pairs) {
          const size_t ahead = pairs[q + kPrefetchFar];
          __builtin_prefetch(&target_offsets[ahead]);
          __builtin_prefetch(&source_offsets[ahead]);
          __builtin_prefetch(&offsets_[ahead]);
        }
        if (q + kPrefetchNear < num_pairs) {
          const size_t ahead = pairs[q + kPrefetchNear];
          __builtin_prefetch(targets.data() + target_offsets[ahead]);
          __builtin_prefetch(sources.data() + source_offsets[ahead]);
          __builtin_prefetch(positions_.get() + offsets_[ahead], 1);
        }
      }
      const size_t k = pairs == nullptr ? q : pairs[q];
      const uint64_t width = target_offsets[k + 1] - target_offsets[k];
      if (width == 0) continue;
      size_t row = 0;
      if (!is_null) {
        const WordId* first = sources.data() + source_offsets[k];
        const WordId* last = sources.data() + source_offsets[k + 1];
        row = (null_row ? 1 : 0) + static_cast<size_t>(std::lower_bound(first, last, e) - first);
      }
      Position* out = positions_.get() + offsets_[k] + row * width;
      const WordId* columns = targets.data() + target_offsets[k];
      for (uint64_t c = 0; c < width; ++c) {
        out[c] = columns[c] < position.size() ? position[columns[c]] : kNone;
      }
    }
  };
  const size_t num_targets =
      std::max<size_t>(corpus.target_vocabulary().size(),
                       targets.empty() ? 0 : *std::max_element(targets.begin(), targets.end()) + 1);
  tbb::enumerable_thread_specific<std::vector<Position>> positions_of(num_targets, kNone);
  // Every cached row, NULL's (row 0, in all pairs) too; each pair's rows
  // are disjoint ranges, so rows can be written concurrently.
  tbb::parallel_for(
      tbb::blocked_range<size_t>(0, num_rows, 1), [&](const tbb::blocked_range<size_t>& range) {
        std::vector<Position>& position = positions_of.local();
        for (size_t e = range.begin(); e != range.end(); ++e) {
          const WordId word = static_cast<WordId>(e);
          const bool is_null = word == kNullWord;
          if (!Caches(table, word)) continue;
          const size_t num_pairs = is_null ? n : index_offsets[e + 1] - index_offsets[e];
          if (num_pairs == 0) continue;
          for (uint64_t s = table.row_begin(word); s < table.row_end(word); ++s) {
            if (table.target(s) < num_targets) {
              position[table.target(s)] = static_cast<Position>(s - table.row_begin(word));
            }
          }
          write_row(word, is_null ? nullptr : index.data() + index_offsets[e], num_pairs, is_null,
                    position);
          for (uint64_t s = table.row_begin(word); s < table.row_end(word); ++s) {
            if (table.target(s) < num_targets) position[table.target(s)] = kNone;
          }
        }
      });
  for (size_t k = 0; k < n; ++k) {
    if (target_offsets[k + 1] == target_offsets[k]) continue;
    state_[k].store(kStored, std::memory_order_release);
  }
#ifdef __GLIBC__
  // The temporaries below 8 MiB came from the heap, which keeps what is
  // freed; returned now, they do not add to the peak that the counts,
  // allocated next, make (9 MB at 100,000 pairs).
  malloc_trim(0);
#endif
}

void SlotCache::Store(const SentencePair& pair, const TranslationTable& table,
                      absl::Span<const WordId> sources, size_t width,
                      absl::Span<const TranslationTable::Slot> slots) const {
  if (pair.corpus_id != corpus_id_ || pair.index >= num_cached_pairs()) return;
  const size_t k = pair.index;
  if (sources.size() * width != slots.size() ||
      offsets_[k + 1] - offsets_[k] != CachedRows(table, sources) * width) {
    return;
  }
  uint8_t empty = kEmpty;
  if (!state_[k].compare_exchange_strong(empty, kStoring, std::memory_order_relaxed)) return;
  Position* out = positions_.get() + offsets_[k];
  for (size_t row = 0; row < sources.size(); ++row) {
    if (!Caches(table, sources[row])) continue;
    const uint64_t begin = table.row_begin(sources[row]);
    for (size_t c = row * width; c < (row + 1) * width; ++c) {
      *out++ =
          slots[c] == TranslationTable::kNoSlot ? kNone : static_cast<Position>(slots[c] - begin);
    }
  }
  state_[k].store(kStored, std::memory_order_release);
}

bool SlotCache::Load(const SentencePair& pair, const TranslationTable& table,
                     absl::Span<const WordId> sources, const WordId* targets, size_t width,
                     bool with_null, TranslationTable::Slot* out) const {
  if (!IsStored(pair)) return false;
  const Position* in = positions_.get() + offsets_[pair.index];
  const Position* const end = positions_.get() + offsets_[pair.index + 1];
  for (size_t row = 0; row < sources.size(); ++row) {
    TranslationTable::Slot* slots = out + row * width;
    const WordId e = sources[row];
    const bool cached = Caches(table, e);
    if (cached && static_cast<size_t>(end - in) < width) return false;
    if (row == 0 && !with_null) {
      std::fill_n(slots, width, TranslationTable::kNoSlot);
    } else if (!cached) {
      table.FindBatch(e, targets, width, slots, 1);
    } else {
      const uint64_t begin = table.row_begin(e);
      for (size_t c = 0; c < width; ++c) {
        slots[c] = in[c] == kNone ? TranslationTable::kNoSlot : begin + in[c];
      }
    }
    if (cached) in += width;
  }
  return in == end;
}

}  // namespace aligner
