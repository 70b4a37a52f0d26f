// Decoding two models trained by agreement together: each direction's own
// links and the links both agree on, from one pass over the corpus.
#ifndef ALIGNER_DECODE_AGREEMENT_DECODER_H_
#define ALIGNER_DECODE_AGREEMENT_DECODER_H_

#include <cstddef>
#include <functional>

#include "aligner/base/types.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/decode/decoder.h"
#include "aligner/model/alignment_model.h"
#include "aligner/model/fertility_model.h"

namespace aligner {

// What decoding by agreement gives for one sentence pair.
struct AgreementDecodedPair {
  // Each model on its own, as DecodePair decodes it (the reverse one in
  // source-target orientation).
  DecodedPair forward, reverse;
  // Posterior decoding of both models together: the links (i, j), in
  // source-target orientation of the forward corpus, whose combined
  // posterior p1(a_j = i) p2(b_i = j) is at least the threshold, ordered by
  // target position.
  SentenceLinks agreement;
};

// Decodes every pair with both models, each pair's lookups shared by the
// three results, and hands them to `sink` in corpus order. `options` apply
// to each model's own decoding (its `reverse` is set here); `threshold`
// (> 0) to the agreement links. Call inside the trainer's arena to bound
// threads. `progress` (when set) hears how many pairs are decoded.
//
// With `forward_fertility` and `reverse_fertility` (both or neither), each
// model's posteriors are first reweighted by its fertility model
// (FertilityModel::Apply, `fertility_sweeps`) and all three results come
// from them: each model's links are, per target word, its most probable
// source position (none if NULL), or with options.posterior_threshold >= 0
// every link reaching it, and with options.link_posteriors each link's
// posterior is its reweighted one. (DecodedPair::alignment and log_prob stay
// the model's own Viterbi ones.)
void DecodeByAgreement(const AlignmentModel& forward, const AlignmentModel& reverse,
                       const ParallelCorpus& forward_corpus, const ParallelCorpus& reverse_corpus,
                       const DecodeOptions& options, double threshold,
                       const std::function<void(size_t index, const AgreementDecodedPair&)>& sink,
                       const ProgressCallback& progress = nullptr,
                       const FertilityModel* forward_fertility = nullptr,
                       const FertilityModel* reverse_fertility = nullptr, int fertility_sweeps = 2);

}  // namespace aligner

#endif  // ALIGNER_DECODE_AGREEMENT_DECODER_H_
