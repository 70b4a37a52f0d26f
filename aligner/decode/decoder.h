// Turning a trained model into links for every sentence pair.
#ifndef ALIGNER_DECODE_DECODER_H_
#define ALIGNER_DECODE_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "aligner/base/progress.h"
#include "aligner/base/types.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/alignment_model.h"

namespace aligner {

// Pairs decoded per block: each block is decoded in parallel and written in
// order while the next one is decoded.
inline constexpr size_t kDecodeBlockSize = 1 << 14;

struct DecodeOptions {
  // Below 0: Viterbi links. Otherwise every link (i > 0) whose posterior is
  // at least this, which may link a word to several.
  double posterior_threshold = -1;
  // The corpus was swapped to train the reverse direction: report links in
  // the original source-target orientation.
  bool reverse = false;
  // Also fill per-link posterior probabilities (costs a posterior pass when
  // decoding by Viterbi).
  bool link_posteriors = false;
  // DecodeByAgreement with fertility models takes each direction's links
  // from its reweighted posteriors, not from the Viterbi alignment; that is
  // then decoded only for its log-probability (--print-scores) when this is
  // set. Otherwise log_prob is log p(target | source).
  bool viterbi_log_prob = true;
};

// Everything decoded for one sentence pair.
struct DecodedPair {
  // In the original orientation, ordered by position in the model's target
  // side (as fast_align prints them).
  SentenceLinks links;
  // Posterior of each link, when asked for.
  std::vector<double> link_posteriors;
  // Model direction: alignment[j] = i (0 = NULL) for the Viterbi alignment;
  // empty for posterior decoding.
  std::vector<uint32_t> alignment;
  // log p(target, alignment | source) for Viterbi, log p(target | source)
  // for posterior decoding.
  double log_prob = 0;
};

// Decodes one pair. When `posteriors` is not null it also receives the
// pair's alignment posteriors (AlignmentModel::Posteriors), computed with
// the same lookups as the links.
void DecodePair(const AlignmentModel& model, const SentencePair& pair, const DecodeOptions& options,
                DecodedPair* out, std::vector<double>* posteriors = nullptr);

// Decodes every pair of `corpus` in parallel, in blocks, and hands them to
// `sink` strictly in corpus order, so writers stream without holding the
// whole corpus's links. Call inside the trainer's arena to bound threads.
// `progress` (when set) hears how many pairs are decoded.
void DecodeCorpus(const AlignmentModel& model, const ParallelCorpus& corpus,
                  const DecodeOptions& options,
                  const std::function<void(size_t index, const DecodedPair&)>& sink,
                  const ProgressCallback& progress = nullptr);

}  // namespace aligner

#endif  // ALIGNER_DECODE_DECODER_H_
