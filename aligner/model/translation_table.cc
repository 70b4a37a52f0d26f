#include "aligner/model/translation_table.h"

#include <algorithm>
#include <cmath>

#include "tbb/blocked_range.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/parallel_for.h"

namespace aligner {
namespace {

// How far ahead of the pair in hand FromCorpus asks for a pair's bounds, and
// then for its words.
constexpr size_t kPrefetchFar = 16, kPrefetchNear = 8;

}  // namespace

TranslationTable TranslationTable::FromCorpus(const ParallelCorpus& corpus) {
  const size_t num_source = corpus.source_vocabulary().size();
  const size_t num_target = corpus.target_vocabulary().size();
  const size_t num_pairs = corpus.size();

  // Inverted index: for each source word, the pairs it occurs in (once per
  // pair). Its size is the number of source tokens, not of links.
  std::vector<uint64_t> index_offsets(num_source + 1, 0);
  std::vector<uint32_t> last_seen(num_source, UINT32_MAX);
  for (size_t k = 0; k < num_pairs; ++k) {
    for (WordId e : corpus.pair(k).source) {
      if (last_seen[e] != k) {
        last_seen[e] = static_cast<uint32_t>(k);
        ++index_offsets[e + 1];
      }
    }
  }
  for (size_t e = 0; e < num_source; ++e) index_offsets[e + 1] += index_offsets[e];
  std::vector<uint32_t> index(index_offsets[num_source]);
  {
    std::vector<uint64_t> fill(index_offsets.begin(), index_offsets.end() - 1);
    std::fill(last_seen.begin(), last_seen.end(), UINT32_MAX);
    for (size_t k = 0; k < num_pairs; ++k) {
      for (WordId e : corpus.pair(k).source) {
        if (last_seen[e] != k) {
          last_seen[e] = static_cast<uint32_t>(k);
          index[fill[e]++] = static_cast<uint32_t>(k);
        }
      }
    }
  }

  // Row e = union of the target words of e's pairs. A per-thread marker array
  // over the target vocabulary dedups in O(1) per link, no sorting of links.
  std::vector<std::vector<WordId>> rows(num_source);
  const EncodedText& targets = corpus.target_text();
  struct Scratch {
    std::vector<uint32_t> mark;
  };
  tbb::enumerable_thread_specific<Scratch> scratch;
  tbb::parallel_for(tbb::blocked_range<size_t>(1, num_source, 64),
                    [&](const tbb::blocked_range<size_t>& range) {
                      auto& mark = scratch.local().mark;
                      if (mark.empty()) mark.assign(num_target, UINT32_MAX);
                      for (size_t e = range.begin(); e != range.end(); ++e) {
                        std::vector<WordId>& row = rows[e];
                        const uint64_t end = index_offsets[e + 1];
                        for (uint64_t p = index_offsets[e]; p < end; ++p) {
                          // e's pairs are scattered over the corpus: ask
                          // for their bounds, then their words, ahead.
                          if (p + kPrefetchFar < end)
                            targets.PrefetchBounds(index[p + kPrefetchFar]);
                          if (p + kPrefetchNear < end)
                            targets.PrefetchWords(index[p + kPrefetchNear]);
                          for (WordId f : targets.sentence(index[p])) {
                            if (mark[f] != e) {
                              mark[f] = static_cast<uint32_t>(e);
                              row.push_back(f);
                            }
                          }
                        }
                        std::sort(row.begin(), row.end());
                        row.shrink_to_fit();
                      }
                    });
  // NULL co-occurs with every target word of every usable pair.
  {
    std::vector<bool> seen(num_target, false);
    for (size_t k = 0; k < num_pairs; ++k) {
      for (WordId f : corpus.pair(k).target) seen[f] = true;
    }
    for (size_t f = 0; f < num_target; ++f) {
      if (seen[f]) rows[kNullWord].push_back(static_cast<WordId>(f));
    }
  }
  return FromRows(rows);
}

TranslationTable TranslationTable::FromRows(const std::vector<std::vector<WordId>>& rows) {
  TranslationTable table;
  table.row_offsets_.resize(rows.size() + 1);
  table.row_offsets_[0] = 0;
  for (size_t e = 0; e < rows.size(); ++e) {
    table.row_offsets_[e + 1] = table.row_offsets_[e] + rows[e].size();
  }
  table.targets_.resize(table.row_offsets_.back());
  tbb::parallel_for(size_t{0}, rows.size(), [&](size_t e) {
    std::copy(rows[e].begin(), rows[e].end(), table.targets_.begin() + table.row_offsets_[e]);
  });
  table.probs_.resize(table.targets_.size());
  table.SetUniform();
  table.BuildIndexes();
  return table;
}

absl::StatusOr<TranslationTable> TranslationTable::FromArrays(std::vector<uint64_t> row_offsets,
                                                              std::vector<WordId> targets,
                                                              std::vector<float> probs) {
  if (row_offsets.empty() || row_offsets.front() != 0 || row_offsets.back() != targets.size() ||
      probs.size() != targets.size()) {
    return absl::DataLossError("translation table arrays have inconsistent sizes");
  }
  for (size_t e = 0; e + 1 < row_offsets.size(); ++e) {
    if (row_offsets[e + 1] < row_offsets[e]) {
      return absl::DataLossError("translation table row offsets decrease");
    }
    for (uint64_t s = row_offsets[e] + 1; s < row_offsets[e + 1]; ++s) {
      if (targets[s] <= targets[s - 1]) {
        return absl::DataLossError("translation table row is not sorted");
      }
    }
  }
  for (float p : probs) {
    if (!(p >= 0 && p <= 1)) return absl::DataLossError("translation probability outside [0, 1]");
  }
  TranslationTable table;
  table.row_offsets_ = std::move(row_offsets);
  table.targets_.assign(targets.begin(), targets.end());
  table.probs_.assign(probs.begin(), probs.end());
  table.BuildIndexes();
  return table;
}

void TranslationTable::BuildDenseRows() {
  const size_t num_rows = row_offsets_.size() - 1;
  WordId max_target = 0;
  for (WordId f : targets_) max_target = std::max(max_target, f);
  dense_width_ = max_target + 1;
  std::vector<WordId> by_length(num_rows);
  for (size_t e = 0; e < num_rows; ++e) by_length[e] = static_cast<WordId>(e);
  std::stable_sort(by_length.begin(), by_length.end(), [&](WordId a, WordId b) {
    return row_end(a) - row_begin(a) > row_end(b) - row_begin(b);
  });
  const size_t budget = targets_.size() * sizeof(WordId) / 4;
  size_t num_dense = 0;
  for (WordId e : by_length) {
    const size_t length = row_end(e) - row_begin(e);
    if (length * 16 < dense_width_ || (num_dense + 1) * dense_width_ * sizeof(uint32_t) > budget) {
      break;
    }
    ++num_dense;
  }
  dense_row_.assign(num_dense > 0 ? num_rows : 0, kAbsent);
  dense_index_.assign(num_dense * dense_width_, kAbsent);
  for (size_t d = 0; d < num_dense; ++d) {
    const WordId e = by_length[d];
    dense_row_[e] = static_cast<uint32_t>(d);
    uint32_t* index = dense_index_.data() + d * dense_width_;
    for (uint64_t s = row_begin(e); s < row_end(e); ++s) {
      index[targets_[s]] = static_cast<uint32_t>(s - row_begin(e));
    }
  }
}

void TranslationTable::BuildSeparators() {
  const size_t num_rows = row_offsets_.size() - 1;
  separator_offsets_.assign(num_rows + 1, 0);
  for (size_t e = 0; e < num_rows; ++e) {
    separator_offsets_[e + 1] =
        separator_offsets_[e] + (row_end(e) - row_begin(e) + kGroup - 1) / kGroup;
  }
  separators_.resize(separator_offsets_.back());
  tbb::parallel_for(size_t{0}, num_rows, [&](size_t e) {
    WordId* out = separators_.data() + separator_offsets_[e];
    for (uint64_t s = row_begin(e); s < row_end(e); s += kGroup) *out++ = targets_[s];
  });
}

void TranslationTable::SetUniform() {
  // Uniform over the whole target vocabulary, not over each row: then the
  // first E-step gives every source position the same posterior, as in
  // Brown et al. The NULL row lists every target word in the corpus.
  uint64_t num_targets = row_offsets_.size() > 1 ? row_offsets_[1] - row_offsets_[0] : 0;
  for (size_t e = 0; e + 1 < row_offsets_.size(); ++e) {
    num_targets = std::max(num_targets, row_offsets_[e + 1] - row_offsets_[e]);
  }
  SetUniform(num_targets);
}

void TranslationTable::SetUniform(uint64_t num_targets) {
  if (num_targets == 0) return;
  uniform_prob_ = static_cast<float>(1.0 / num_targets);
  std::fill(probs_.begin(), probs_.end(), uniform_prob_);
  uniform_ = true;
}

double Digamma(double x) {
  // Recurrence up to x >= 6, then the asymptotic series.
  double result = 0;
  while (x < 6) {
    result -= 1 / x;
    x += 1;
  }
  const double f = 1 / (x * x);
  result += std::log(x) - 0.5 / x -
            f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
  return result;
}

void EstimateTranslationRows(absl::Span<const uint64_t> row_offsets, const FixedPointArray& counts,
                             uint64_t first_slot, const TranslationPrior& prior, size_t first_row,
                             size_t end_row, absl::Span<float> probs) {
  const double digamma_alpha = Digamma(0.0 + prior.alpha);  // an entry counted 0
  tbb::parallel_for(
      tbb::blocked_range<size_t>(first_row, end_row, 256),
      [&](const tbb::blocked_range<size_t>& range) {
        for (size_t e = range.begin(); e != range.end(); ++e) {
          const uint64_t begin = row_offsets[e], end = row_offsets[e + 1];
          // Summed exactly, in fixed point: a row's total, and so the
          // model, does not depend on the order of its targets (their ids).
          __int128 raw_total = 0;
          for (uint64_t s = begin; s < end; ++s) raw_total += counts.raw(s - first_slot);
          const double total = static_cast<double>(raw_total) / FixedPointArray::kScale;
          if (total <= 0) continue;
          if (prior.variational_bayes) {
            const double digamma_total = Digamma(total + prior.alpha * (end - begin));
            // Entries with no count all get the same value, computed once
            // per row (the same expression, so the same bits): 40-75% of
            // the entries in Hansards 100k's diagonal iterations 3-5.
            const float uncounted = std::max(
                static_cast<float>(std::exp(digamma_alpha - digamma_total)), kMinTranslationProb);
            for (uint64_t s = begin; s < end; ++s) {
              if (counts.raw(s - first_slot) == 0) {
                probs[s] = uncounted;
                continue;
              }
              const double p =
                  std::exp(Digamma(counts.Get(s - first_slot) + prior.alpha) - digamma_total);
              probs[s] = std::max(static_cast<float>(p), kMinTranslationProb);
            }
          } else {
            for (uint64_t s = begin; s < end; ++s) {
              probs[s] = std::max(static_cast<float>(counts.Get(s - first_slot) / total),
                                  kMinTranslationProb);
            }
          }
        }
      });
}

void EstimateTranslationTable(const FixedPointArray& counts, const TranslationPrior& prior,
                              TranslationTable* table) {
  const absl::Span<float> probs = table->mutable_probs();
  EstimateTranslationRows(table->row_offsets(), counts, 0, prior, 0, table->num_source_words(),
                          probs);
}

TransposedSlots TransposedSlots::Build(const TranslationTable& forward,
                                       const TranslationTable& reverse) {
  TransposedSlots map;
  const size_t num_forward_source = forward.num_source_words();
  const size_t num_reverse_source = reverse.num_source_words();
  if (num_forward_source <= kNullWord + 1 || num_reverse_source <= kNullWord + 1) return map;
  const uint64_t first = forward.row_end(kNullWord);
  const uint64_t entries = forward.num_entries() - first;
  if (entries != reverse.num_entries() - reverse.row_end(kNullWord) ||
      reverse.num_entries() > std::numeric_limits<uint32_t>::max()) {
    return map;
  }
  // next[f]: the reverse slot that (f, e) must have for the next e in order.
  std::vector<uint64_t> next(num_reverse_source);
  for (size_t f = kNullWord + 1; f < num_reverse_source; ++f) next[f] = reverse.row_begin(f);
  map.reverse_slot_.resize(entries);
  for (size_t e = kNullWord + 1; e < num_forward_source; ++e) {
    for (uint64_t slot = forward.row_begin(e); slot < forward.row_end(e); ++slot) {
      const WordId f = forward.target(slot);
      if (f <= kNullWord || f >= num_reverse_source) return TransposedSlots();
      const uint64_t r = next[f]++;
      if (r >= reverse.row_end(f) || reverse.target(r) != e) return TransposedSlots();
      map.reverse_slot_[slot - first] = static_cast<uint32_t>(r);
    }
  }
  for (size_t f = kNullWord + 1; f < num_reverse_source; ++f) {
    if (next[f] != reverse.row_end(f)) return TransposedSlots();
  }
  map.first_ = first;
  map.reverse_ = &reverse;
  return map;
}

}  // namespace aligner
