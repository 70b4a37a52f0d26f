#include "aligner/decode/decoder.h"

#include <algorithm>

#include "aligner/base/huge_pages.h"
#include "aligner/base/ordered_blocks.h"
#include "aligner/model/target_columns.h"

namespace aligner {
namespace {

Link Oriented(uint32_t source_position, uint32_t target_position, bool reverse) {
  return reverse ? Link{target_position, source_position} : Link{source_position, target_position};
}

// Empties `out` (keeping its buffers) for the next pair.
void Clear(DecodedPair* out) {
  out->links.clear();
  out->link_posteriors.clear();
  out->alignment.clear();
  out->log_prob = 0;
}

}  // namespace

void DecodePair(const AlignmentModel& model, const SentencePair& pair, const DecodeOptions& options,
                DecodedPair* out, std::vector<double>* posteriors_out) {
  Clear(out);
  const uint32_t l = pair.source.size(), m = pair.target.size(), stride = l + 1;
  if (posteriors_out != nullptr) posteriors_out->clear();
  if (l == 0 || m == 0) return;
  thread_local std::vector<double> own_posteriors;
  std::vector<double>& posteriors = posteriors_out != nullptr ? *posteriors_out : own_posteriors;
  if (options.posterior_threshold >= 0) {
    out->log_prob = model.Posteriors(pair, &posteriors);
    for (uint32_t j = 0; j < m; ++j) {
      for (uint32_t i = 1; i <= l; ++i) {
        const double p = posteriors[static_cast<size_t>(j) * stride + i];
        if (p >= options.posterior_threshold && p > 0) {
          out->links.push_back(Oriented(i - 1, j, options.reverse));
          if (options.link_posteriors) out->link_posteriors.push_back(p);
        }
      }
    }
    return;
  }
  out->log_prob = options.link_posteriors || posteriors_out != nullptr
                      ? model.ViterbiAndPosteriors(pair, &out->alignment, &posteriors)
                      : model.ViterbiAlign(pair, &out->alignment);
  for (uint32_t j = 0; j < m; ++j) {
    const uint32_t i = out->alignment[j];
    if (i == 0) continue;
    out->links.push_back(Oriented(i - 1, j, options.reverse));
    if (options.link_posteriors) {
      out->link_posteriors.push_back(posteriors[static_cast<size_t>(j) * stride + i]);
    }
  }
}

namespace {

// DecodeCorpus's Viterbi links target word by target word, when the model's
// table carries `corpus` so arranged (AttachTargetColumns) and the model can:
// the same links and log-probabilities as DecodePair's, in less time (the
// table's columns stay in the cache). False, having done nothing, otherwise.
bool DecodeByTargetWord(const AlignmentModel& model, const ParallelCorpus& corpus,
                        const DecodeOptions& options,
                        const std::function<void(size_t index, const DecodedPair&)>& sink,
                        const ProgressCallback& progress) {
  TargetColumns* columns = model.translation_table().target_columns();
  if (columns == nullptr || columns->corpus_id() != corpus.id() ||
      options.posterior_threshold >= 0 || options.link_posteriors) {
    return false;
  }
  // Written in the columns' order, each thread its own runs of it; read
  // back here pair by pair, in parallel, ahead of the writing.
  HugePageVector<ViterbiChoice> choices(columns->num_units());
  if (!model.ViterbiByTargetWord(columns, choices.data())) return false;
  ProgressCounter counter(progress, "aligning", corpus.size());
  ForEachInOrder<DecodedPair>(
      corpus.size(), kDecodeBlockSize,
      [&](size_t k, DecodedPair* out) {
        Clear(out);
        const SentencePair pair = corpus.pair(k);
        if (pair.source.empty() || pair.target.empty()) return;
        const uint64_t first = columns->token_offset(k);
        out->alignment.resize(pair.target.size());
        for (uint32_t j = 0; j < pair.target.size(); ++j) {
          const ViterbiChoice& choice = choices[columns->unit_of_token(first + j)];
          out->log_prob += choice.log_prob;
          const uint32_t i = out->alignment[j] = choice.source;
          if (i != 0) out->links.push_back(Oriented(i - 1, j, options.reverse));
        }
      },
      sink, counter.enabled() ? &counter : nullptr);
  return true;
}

}  // namespace

void DecodeCorpus(const AlignmentModel& model, const ParallelCorpus& corpus,
                  const DecodeOptions& options,
                  const std::function<void(size_t index, const DecodedPair&)>& sink,
                  const ProgressCallback& progress) {
  if (DecodeByTargetWord(model, corpus, options, sink, progress)) return;
  ProgressCounter counter(progress, "aligning", corpus.size());
  ForEachInOrder<DecodedPair>(
      corpus.size(), kDecodeBlockSize,
      [&](size_t k, DecodedPair* out) { DecodePair(model, corpus.pair(k), options, out); }, sink,
      counter.enabled() ? &counter : nullptr, [&](size_t k) { return LengthsKey(corpus.pair(k)); });
}

}  // namespace aligner
