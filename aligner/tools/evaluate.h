// Scoring predicted alignments against gold sure/possible links: precision,
// recall, F1 and alignment error rate (Och & Ney 2003).
#ifndef ALIGNER_TOOLS_EVALUATE_H_
#define ALIGNER_TOOLS_EVALUATE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "aligner/base/types.h"
#include "aligner/io/gold.h"

namespace aligner {

// Link counts summed over sentence pairs, from which the scores follow. With
// A the predicted links, S the sure and P the possible ones (S is within P):
//   precision = |A∩P| / |A|
//   recall    = |A∩S| / |S|
//   F1        = 2 * precision * recall / (precision + recall)
//   AER       = 1 - (|A∩S| + |A∩P|) / (|A| + |S|)
// A ratio with an empty denominator scores as the worst value instead of NaN:
// precision, recall and F1 are then 0 and AER is 1.
struct AlignmentScores {
  int64_t predicted = 0;               // |A|
  int64_t sure = 0;                    // |S|
  int64_t possible = 0;                // |P|: sure plus possible-only links
  int64_t predicted_and_sure = 0;      // |A∩S|
  int64_t predicted_and_possible = 0;  // |A∩P|

  double precision() const;
  double recall() const;
  double f1() const;
  double aer() const;

  AlignmentScores& operator+=(const AlignmentScores& other);
};

// Adds one sentence pair's counts to `scores`. Duplicate links count once,
// both in `predicted` and in the gold lists, and a link listed as both sure
// and possible counts as sure.
void AddSentence(const SentenceLinks& predicted, const GoldAlignment& gold,
                 AlignmentScores* scores);

// Scores a corpus; the two lists must have one entry per sentence pair each.
absl::StatusOr<AlignmentScores> Evaluate(const std::vector<SentenceLinks>& predicted,
                                         const std::vector<GoldAlignment>& gold);

}  // namespace aligner

#endif  // ALIGNER_TOOLS_EVALUATE_H_
