#include "aligner/model/target_columns.h"

#include <algorithm>
#include <limits>

#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace aligner {
namespace {

// Units per chunk: a few hundred chunks, so that threads that finish early
// find work left; a column with more units than that is a chunk of its own.
constexpr uint64_t kChunksWanted = 512;

// A stable counting sort of the items of `num_sources` sources (source s
// yields its items in order through for_each(s, emit), emit(bucket, item))
// into buckets [offsets[b], offsets[b + 1]) of an output that allocate(n)
// sizes and place(position, item) writes, in parallel over runs
// of sources: each run counts its items per bucket, then writes them from
// its own start in each bucket, so the order within a bucket is the
// sources'. emit returns where the item went, or kCounting in the first,
// counting pass.
constexpr uint64_t kCounting = std::numeric_limits<uint64_t>::max();
template <typename Item, typename ForEach, typename Allocate, typename Place>
void BucketSort(size_t num_sources, size_t num_buckets, const ForEach& for_each,
                std::vector<uint64_t>* offsets, const Allocate& allocate, const Place& place) {
  const size_t num_runs = std::max<size_t>(
      1, std::min<size_t>(num_sources, 2 * tbb::this_task_arena::max_concurrency()));
  auto run_begin = [&](size_t r) { return num_sources * r / num_runs; };
  std::vector<std::vector<uint64_t>> counts(num_runs, std::vector<uint64_t>(num_buckets, 0));
  tbb::parallel_for(size_t{0}, num_runs, [&](size_t r) {
    std::vector<uint64_t>& count = counts[r];
    for (size_t s = run_begin(r); s < run_begin(r + 1); ++s) {
      for_each(s, [&](size_t bucket, const Item&) {
        ++count[bucket];
        return kCounting;
      });
    }
  });
  offsets->assign(num_buckets + 1, 0);
  for (size_t b = 0; b < num_buckets; ++b) {
    uint64_t next = (*offsets)[b];
    for (size_t r = 0; r < num_runs; ++r) {
      const uint64_t n = counts[r][b];
      counts[r][b] = next;  // now run r's first position in bucket b
      next += n;
    }
    (*offsets)[b + 1] = next;
  }
  allocate(offsets->back());
  tbb::parallel_for(size_t{0}, num_runs, [&](size_t r) {
    std::vector<uint64_t>& next = counts[r];
    for (size_t s = run_begin(r); s < run_begin(r + 1); ++s) {
      for_each(s, [&](size_t bucket, const Item& item) {
        const uint64_t position = next[bucket]++;
        place(position, item);
        return position;
      });
    }
  });
}

bool Usable(const SentencePair& pair) { return !pair.source.empty() && !pair.target.empty(); }

}  // namespace

std::unique_ptr<TargetColumns> TargetColumns::Build(const ParallelCorpus& corpus,
                                                    const TranslationTable& table) {
  constexpr uint64_t kMax32 = std::numeric_limits<uint32_t>::max();
  if (table.num_entries() >= kMax32 || corpus.size() >= kMax32 ||
      corpus.target_text().num_tokens() >= kMax32) {
    return nullptr;
  }
  auto columns = std::make_unique<TargetColumns>();
  TargetColumns& c = *columns;
  c.corpus_id_ = corpus.id();
  size_t num_columns = corpus.target_vocabulary().size();
  for (WordId f : table.targets()) num_columns = std::max<size_t>(num_columns, size_t{f} + 1);

  // The table's entries by target word, each column sorted by source word
  // (rows are visited in order), with their slots.
  struct Entry {
    WordId source;
    uint32_t slot;
  };
  BucketSort<Entry>(
      table.num_source_words(), num_columns,
      [&](size_t e, const auto& emit) {
        for (uint64_t s = table.row_begin(e); s < table.row_end(e); ++s) {
          emit(table.target(s), Entry{static_cast<WordId>(e), static_cast<uint32_t>(s)});
        }
      },
      &c.column_offsets_,
      [&](uint64_t n) {
        c.column_sources_.resize(n);
        c.column_slots_.resize(n);
      },
      [&](uint64_t x, const Entry& entry) {
        c.column_sources_[x] = entry.source;
        c.column_slots_[x] = entry.slot;
      });
  c.probs_.resize(c.column_sources_.size());

  // Every usable pair's target tokens by word, in corpus order.
  c.pairs_.resize(corpus.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, corpus.size(), 1 << 12),
                    [&](const tbb::blocked_range<size_t>& r) {
                      for (size_t k = r.begin(); k != r.end(); ++k) {
                        const SentencePair pair = corpus.pair(k);
                        c.pairs_[k] =
                            PairInfo{pair.source.data(), static_cast<uint32_t>(pair.source.size()),
                                     static_cast<uint32_t>(pair.target.size())};
                      }
                    });
  c.token_offsets_.assign(corpus.size() + 1, 0);
  for (size_t k = 0; k < corpus.size(); ++k) {
    const SentencePair pair = corpus.pair(k);
    c.token_offsets_[k + 1] = c.token_offsets_[k] + pair.target.size();
    if (!Usable(pair)) continue;
    ++c.num_pairs_;
    c.max_source_length_ =
        std::max(c.max_source_length_, static_cast<uint32_t>(pair.source.size()));
  }
  c.unit_of_token_.resize(c.token_offsets_.back());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, corpus.size(), 1 << 12),
                    [&](const tbb::blocked_range<size_t>& r) {
                      std::fill(c.unit_of_token_.begin() + c.token_offsets_[r.begin()],
                                c.unit_of_token_.begin() + c.token_offsets_[r.end()], kNoUnit);
                    });
  BucketSort<Unit>(
      corpus.size(), num_columns,
      [&](size_t k, const auto& emit) {
        const SentencePair pair = corpus.pair(k);
        if (!Usable(pair)) return;
        uint32_t* unit_of = c.unit_of_token_.data() + c.token_offsets_[k];
        for (uint32_t j = 0; j < pair.target.size(); ++j) {
          const uint64_t u = emit(pair.target[j], Unit{static_cast<uint32_t>(k), j});
          if (u != kCounting) unit_of[j] = static_cast<uint32_t>(u);
        }
      },
      &c.unit_offsets_, [&](uint64_t n) { c.units_.resize(n); },
      [&](uint64_t u, const Unit& unit) { c.units_[u] = unit; });

  const uint64_t per_chunk = std::max<uint64_t>(1, c.units_.size() / kChunksWanted);
  uint64_t in_chunk = 0;
  WordId first = 0;
  for (size_t f = 0; f < num_columns; ++f) {
    in_chunk += c.unit_offsets_[f + 1] - c.unit_offsets_[f];
    if (in_chunk >= per_chunk || f + 1 == num_columns) {
      c.chunks_.push_back(Chunk{first, static_cast<WordId>(f + 1)});
      first = static_cast<WordId>(f + 1);
      in_chunk = 0;
    }
  }
  return columns;
}

void TargetColumns::GatherProbabilities(const TranslationTable& table, bool zero_counts) {
  if (zero_counts) counts_.resize(column_sources_.size());
  const bool uniform = table.is_uniform();
  tbb::parallel_for(tbb::blocked_range<size_t>(0, column_sources_.size(), 1 << 14),
                    [&](const tbb::blocked_range<size_t>& r) {
                      for (size_t x = r.begin(); x != r.end(); ++x) {
                        probs_[x] = uniform ? table.uniform_prob() : table.prob(column_slots_[x]);
                      }
                      if (zero_counts)
                        std::fill(counts_.begin() + r.begin(), counts_.begin() + r.end(), 0);
                    });
}

void TargetColumns::ScatterCounts(FixedPointArray* counts) const {
  tbb::parallel_for(tbb::blocked_range<size_t>(0, counts_.size(), 1 << 14),
                    [&](const tbb::blocked_range<size_t>& r) {
                      for (size_t x = r.begin(); x != r.end(); ++x) {
                        counts->AddFixed(column_slots_[x], counts_[x]);
                      }
                    });
}

size_t TargetColumns::MemoryBytes() const {
  return column_offsets_.capacity() * sizeof(uint64_t) +
         column_sources_.capacity() * sizeof(WordId) + column_slots_.capacity() * sizeof(uint32_t) +
         probs_.capacity() * sizeof(float) + counts_.capacity() * sizeof(int64_t) +
         unit_offsets_.capacity() * sizeof(uint64_t) + units_.capacity() * sizeof(Unit) +
         pairs_.capacity() * sizeof(PairInfo) + chunks_.capacity() * sizeof(Chunk) +
         token_offsets_.capacity() * sizeof(uint64_t) +
         unit_of_token_.capacity() * sizeof(uint32_t);
}

}  // namespace aligner
