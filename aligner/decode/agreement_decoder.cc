#include "aligner/decode/agreement_decoder.h"

#include <algorithm>
#include <vector>

#include "aligner/base/ordered_blocks.h"

namespace aligner {

void DecodeByAgreement(const AlignmentModel& forward, const AlignmentModel& reverse,
                       const ParallelCorpus& forward_corpus, const ParallelCorpus& reverse_corpus,
                       const DecodeOptions& options, double threshold,
                       const std::function<void(size_t index, const AgreementDecodedPair&)>& sink,
                       const ProgressCallback& progress) {
  const size_t n = std::min(forward_corpus.size(), reverse_corpus.size());
  ProgressCounter counter(progress, "aligning both directions", n);
  DecodeOptions forward_options = options, reverse_options = options;
  forward_options.reverse = false;
  reverse_options.reverse = true;
  ForEachInOrder<AgreementDecodedPair>(
      n, kDecodeBlockSize,
      [&](size_t k, AgreementDecodedPair* out) {
        thread_local std::vector<double> p1, p2;
        const SentencePair fp = forward_corpus.pair(k);
        DecodePair(forward, fp, forward_options, &out->forward, &p1);
        DecodePair(reverse, reverse_corpus.pair(k), reverse_options, &out->reverse, &p2);
        out->agreement.clear();
        if (p1.empty() || p2.empty()) return;
        const uint32_t l = fp.source.size(), m = fp.target.size();
        const size_t fs = static_cast<size_t>(l) + 1, rs = static_cast<size_t>(m) + 1;
        for (uint32_t j = 0; j < m; ++j) {
          for (uint32_t i = 1; i <= l; ++i) {
            const double q = p1[j * fs + i] * p2[(i - 1) * rs + (j + 1)];
            if (q >= threshold && q > 0) out->agreement.push_back(Link{i - 1, j});
          }
        }
      },
      sink, counter.enabled() ? &counter : nullptr);
}

}  // namespace aligner
