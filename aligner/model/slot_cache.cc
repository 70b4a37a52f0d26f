#include "aligner/model/slot_cache.h"

#include <algorithm>

#include "aligner/model/pair_lookup.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace aligner {
namespace {

size_t CountDistinct(absl::Span<const WordId> words, std::vector<WordId>* scratch) {
  scratch->assign(words.begin(), words.end());
  std::sort(scratch->begin(), scratch->end());
  return static_cast<size_t>(std::unique(scratch->begin(), scratch->end()) - scratch->begin());
}

}  // namespace

std::shared_ptr<const SlotCache> SlotCache::Build(const ParallelCorpus& corpus,
                                                  const TranslationTable& table,
                                                  uint64_t budget_bytes) {
  const size_t n = corpus.size();
  // Each pair's share: (distinct sources + NULL) x distinct targets.
  std::vector<uint64_t> sizes(n);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 256),
                    [&](const tbb::blocked_range<size_t>& r) {
                      thread_local std::vector<WordId> scratch;
                      for (size_t k = r.begin(); k != r.end(); ++k) {
                        const SentencePair pair = corpus.pair(k);
                        sizes[k] = pair.source.empty() || pair.target.empty()
                                       ? 0
                                       : (CountDistinct(pair.source, &scratch) + 1) *
                                             CountDistinct(pair.target, &scratch);
                      }
                    });
  auto cache = std::make_shared<SlotCache>();
  cache->corpus_id_ = corpus.id();
  const uint64_t budget_slots = budget_bytes / sizeof(Position);
  for (size_t k = 0; k < n && cache->offsets_.back() + sizes[k] <= budget_slots; ++k) {
    cache->offsets_.push_back(cache->offsets_.back() + sizes[k]);
  }
  if (cache->offsets_.size() == 1) return nullptr;
  cache->offsets_.shrink_to_fit();
  cache->positions_.resize(cache->offsets_.back());
  const size_t cached = cache->num_cached_pairs();
  tbb::parallel_for(tbb::blocked_range<size_t>(0, cached, 64),
                    [&](const tbb::blocked_range<size_t>& r) {
                      thread_local PairLookup lookup;
                      for (size_t k = r.begin(); k != r.end(); ++k) {
                        if (sizes[k] == 0) continue;
                        // The table has no cache of this corpus yet: this searches.
                        lookup.Lookup(table, corpus.pair(k), /*with_null=*/true);
                        Position* out = cache->positions_.data() + cache->offsets_[k];
                        const size_t width = lookup.num_distinct_targets();
                        const std::vector<TranslationTable::Slot>& slots = lookup.slots();
                        for (size_t row = 0; row * width < slots.size(); ++row) {
                          const WordId e = lookup.distinct_source(row);
                          const uint64_t begin = table.row_begin(e);
                          const bool cached = table.row_end(e) - begin <= kMaxRowLength;
                          for (size_t c = row * width; c < (row + 1) * width; ++c) {
                            out[c] = !cached || slots[c] == TranslationTable::kNoSlot
                                         ? kNone
                                         : static_cast<Position>(slots[c] - begin);
                          }
                        }
                      }
                    });
  return cache;
}

}  // namespace aligner
