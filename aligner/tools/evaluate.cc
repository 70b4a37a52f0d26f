#include "aligner/tools/evaluate.h"

#include <algorithm>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aligner {
namespace {

SentenceLinks SortedUnique(SentenceLinks links) {
  std::sort(links.begin(), links.end());
  links.erase(std::unique(links.begin(), links.end()), links.end());
  return links;
}

// |a ∩ b| for sorted, duplicate-free lists.
int64_t CountCommon(const SentenceLinks& a, const SentenceLinks& b) {
  int64_t count = 0;
  auto i = a.begin();
  auto j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++count;
      ++i;
      ++j;
    }
  }
  return count;
}

double Ratio(int64_t numerator, int64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

}  // namespace

double AlignmentScores::precision() const { return Ratio(predicted_and_possible, predicted); }

double AlignmentScores::recall() const { return Ratio(predicted_and_sure, sure); }

double AlignmentScores::f1() const {
  const double p = precision();
  const double r = recall();
  return p + r == 0.0 ? 0.0 : 2.0 * p * r / (p + r);
}

double AlignmentScores::aer() const {
  if (predicted + sure == 0) return 1.0;
  return 1.0 - Ratio(predicted_and_sure + predicted_and_possible, predicted + sure);
}

AlignmentScores& AlignmentScores::operator+=(const AlignmentScores& other) {
  predicted += other.predicted;
  sure += other.sure;
  possible += other.possible;
  predicted_and_sure += other.predicted_and_sure;
  predicted_and_possible += other.predicted_and_possible;
  return *this;
}

void AddSentence(const SentenceLinks& predicted, const GoldAlignment& gold,
                 AlignmentScores* scores) {
  // Normalised here rather than trusted, so hand-built gold works too.
  const SentenceLinks a = SortedUnique(predicted);
  const SentenceLinks sure = SortedUnique(gold.sure);
  SentenceLinks all_possible = sure;
  all_possible.insert(all_possible.end(), gold.possible.begin(), gold.possible.end());
  all_possible = SortedUnique(std::move(all_possible));

  scores->predicted += static_cast<int64_t>(a.size());
  scores->sure += static_cast<int64_t>(sure.size());
  scores->possible += static_cast<int64_t>(all_possible.size());
  scores->predicted_and_sure += CountCommon(a, sure);
  scores->predicted_and_possible += CountCommon(a, all_possible);
}

absl::StatusOr<AlignmentScores> Evaluate(const std::vector<SentenceLinks>& predicted,
                                         const std::vector<GoldAlignment>& gold) {
  if (predicted.size() != gold.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the predicted alignments have ", predicted.size(),
                     " sentence pairs but the gold ", "alignments have ", gold.size()));
  }
  AlignmentScores scores;
  for (size_t k = 0; k < predicted.size(); ++k) AddSentence(predicted[k], gold[k], &scores);
  return scores;
}

}  // namespace aligner
