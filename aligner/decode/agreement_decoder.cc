#include "aligner/decode/agreement_decoder.h"

#include <algorithm>
#include <vector>

#include "aligner/base/ordered_blocks.h"

namespace aligner {
namespace {

// A DecodedPair with no links yet and the pair's posteriors (none for a pair
// with an empty side), its log_prob log p(target | source).
void PosteriorsOnly(const AlignmentModel& model, const SentencePair& pair, DecodedPair* out,
                    std::vector<double>* posteriors) {
  *out = DecodedPair();
  posteriors->clear();
  if (pair.source.empty() || pair.target.empty()) return;
  out->log_prob = model.Posteriors(pair, posteriors);
}

}  // namespace

void DecodeByAgreement(const AlignmentModel& forward, const AlignmentModel& reverse,
                       const ParallelCorpus& forward_corpus, const ParallelCorpus& reverse_corpus,
                       const DecodeOptions& options, double threshold,
                       const std::function<void(size_t index, const AgreementDecodedPair&)>& sink,
                       const ProgressCallback& progress, const FertilityModel* forward_fertility,
                       const FertilityModel* reverse_fertility, int fertility_sweeps) {
  const bool fertility = forward_fertility != nullptr && reverse_fertility != nullptr;
  const size_t n = std::min(forward_corpus.size(), reverse_corpus.size());
  ProgressCounter counter(progress, "aligning both directions", n);
  DecodeOptions forward_options = options, reverse_options = options;
  forward_options.reverse = false;
  reverse_options.reverse = true;
  if (fertility) {
    // The links come from the reweighted posteriors whatever the threshold;
    // DecodePair then runs only for the Viterbi log-probability.
    forward_options.posterior_threshold = reverse_options.posterior_threshold = -1;
  }
  ForEachInOrder<AgreementDecodedPair>(
      n, kDecodeBlockSize,
      [&](size_t k, AgreementDecodedPair* out) {
        thread_local std::vector<double> p1, p2;
        const SentencePair fp = forward_corpus.pair(k);
        if (fertility && !options.viterbi_log_prob) {
          // The links come from the reweighted posteriors below.
          PosteriorsOnly(forward, fp, &out->forward, &p1);
          PosteriorsOnly(reverse, reverse_corpus.pair(k), &out->reverse, &p2);
        } else {
          DecodePair(forward, fp, forward_options, &out->forward, &p1);
          DecodePair(reverse, reverse_corpus.pair(k), reverse_options, &out->reverse, &p2);
        }
        out->agreement.clear();
        if (p1.empty() || p2.empty()) return;
        const uint32_t l = fp.source.size(), m = fp.target.size();
        const size_t fs = static_cast<size_t>(l) + 1, rs = static_cast<size_t>(m) + 1;
        if (fertility) {
          const SentencePair rp = reverse_corpus.pair(k);
          forward_fertility->Apply(fp.source, m, fertility_sweeps, p1.data());
          reverse_fertility->Apply(rp.source, l, fertility_sweeps, p2.data());
          // Each model's links from its reweighted posteriors, columns in
          // order (as DecodePair orders them).
          // Each link's posterior is the reweighted one it was chosen by.
          auto links_of = [&](const std::vector<double>& p, uint32_t sources, uint32_t targets,
                              bool reversed, DecodedPair* decoded) {
            SentenceLinks& links = decoded->links;
            std::vector<double>& link_posteriors = decoded->link_posteriors;
            links.clear();
            link_posteriors.clear();
            auto add = [&](uint32_t i, uint32_t j, double posterior) {
              links.push_back(reversed ? Link{j, i - 1} : Link{i - 1, j});
              if (options.link_posteriors) link_posteriors.push_back(posterior);
            };
            const size_t stride = static_cast<size_t>(sources) + 1;
            for (uint32_t j = 0; j < targets; ++j) {
              const double* column = p.data() + j * stride;
              if (options.posterior_threshold >= 0) {
                for (uint32_t i = 1; i <= sources; ++i) {
                  if (column[i] >= options.posterior_threshold && column[i] > 0) {
                    add(i, j, column[i]);
                  }
                }
                continue;
              }
              uint32_t best = 0;
              for (uint32_t i = 1; i <= sources; ++i) {
                if (column[i] > column[best]) best = i;
              }
              if (best > 0) add(best, j, column[best]);
            }
          };
          links_of(p1, l, m, false, &out->forward);
          links_of(p2, m, l, true, &out->reverse);
        }
        for (uint32_t j = 0; j < m; ++j) {
          for (uint32_t i = 1; i <= l; ++i) {
            const double q = p1[j * fs + i] * p2[(i - 1) * rs + (j + 1)];
            if (q >= threshold && q > 0) out->agreement.push_back(Link{i - 1, j});
          }
        }
      },
      sink, counter.enabled() ? &counter : nullptr,
      [&](size_t k) { return LengthsKey(forward_corpus.pair(k)); });
}

}  // namespace aligner
