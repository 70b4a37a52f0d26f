#include "aligner/decode/decoder.h"

#include <algorithm>

#include "aligner/base/ordered_blocks.h"

namespace aligner {
namespace {

Link Oriented(uint32_t source_position, uint32_t target_position, bool reverse) {
  return reverse ? Link{target_position, source_position} : Link{source_position, target_position};
}

}  // namespace

void DecodePair(const AlignmentModel& model, const SentencePair& pair, const DecodeOptions& options,
                DecodedPair* out, std::vector<double>* posteriors_out) {
  out->links.clear();
  out->link_posteriors.clear();
  out->alignment.clear();
  out->log_prob = 0;
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

void DecodeCorpus(const AlignmentModel& model, const ParallelCorpus& corpus,
                  const DecodeOptions& options,
                  const std::function<void(size_t index, const DecodedPair&)>& sink,
                  const ProgressCallback& progress) {
  ProgressCounter counter(progress, "aligning", corpus.size());
  ForEachInOrder<DecodedPair>(
      corpus.size(), kDecodeBlockSize,
      [&](size_t k, DecodedPair* out) { DecodePair(model, corpus.pair(k), options, out); }, sink,
      counter.enabled() ? &counter : nullptr, [&](size_t k) { return LengthsKey(corpus.pair(k)); });
}

}  // namespace aligner
