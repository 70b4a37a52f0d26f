#include "aligner/model/slot_cache.h"

#include <algorithm>

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
  cache->state_.reset(new std::atomic<uint8_t>[cache->num_cached_pairs()]());
  return cache;
}

void SlotCache::Store(const SentencePair& pair, const TranslationTable& table,
                      absl::Span<const WordId> sources, size_t width,
                      absl::Span<const TranslationTable::Slot> slots) const {
  if (pair.corpus_id != corpus_id_ || pair.index >= num_cached_pairs()) return;
  const size_t k = pair.index;
  if (offsets_[k + 1] - offsets_[k] != slots.size() || sources.size() * width != slots.size()) {
    return;
  }
  uint8_t empty = kEmpty;
  if (!state_[k].compare_exchange_strong(empty, kStoring, std::memory_order_relaxed)) return;
  Position* out = positions_.data() + offsets_[k];
  for (size_t row = 0; row < sources.size(); ++row) {
    const uint64_t begin = table.row_begin(sources[row]);
    const bool cached = Caches(table, sources[row]);
    for (size_t c = row * width; c < (row + 1) * width; ++c) {
      out[c] = !cached || slots[c] == TranslationTable::kNoSlot
                   ? kNone
                   : static_cast<Position>(slots[c] - begin);
    }
  }
  state_[k].store(kStored, std::memory_order_release);
}

bool SlotCache::Load(const SentencePair& pair, const TranslationTable& table,
                     absl::Span<const WordId> sources, const WordId* targets, size_t width,
                     bool with_null, TranslationTable::Slot* out) const {
  const absl::Span<const Position> positions = Positions(pair);
  if (positions.empty() || positions.size() != sources.size() * width) return false;
  for (size_t row = 0; row < sources.size(); ++row) {
    TranslationTable::Slot* slots = out + row * width;
    const WordId e = sources[row];
    if (row == 0 && !with_null) {
      std::fill_n(slots, width, TranslationTable::kNoSlot);
    } else if (!Caches(table, e)) {
      table.FindBatch(e, targets, width, slots, 1);
    } else {
      const uint64_t begin = table.row_begin(e);
      const Position* in = positions.data() + row * width;
      for (size_t c = 0; c < width; ++c) {
        slots[c] = in[c] == kNone ? TranslationTable::kNoSlot : begin + in[c];
      }
    }
  }
  return true;
}

}  // namespace aligner
