#include "aligner/model/positional_model.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "aligner/base/scratch.h"

namespace aligner {
PositionalModel::PositionalModel(std::shared_ptr<TranslationTable> table, bool use_null,
                                 TranslationPrior prior)
    : table_(std::move(table)), use_null_(use_null), prior_(prior) {}

void PositionalModel::InitCounts(ExpectedCounts* counts) const {
  counts->Reset(table_->num_entries(), AlignmentCountsSize());
}

void PositionalModel::JointProbabilities(const SentencePair& pair, std::vector<double>* joint,
                                         PairLookup* lookup) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  ResizeScratch(joint, static_cast<size_t>(l + 1) * m);
  AlignmentMatrix(l, m, joint->data());
  lookup->Lookup(*table_, pair, use_null_);
  lookup->MultiplyProbabilities(joint->data());
}

void PositionalModel::AddExpectedCounts(const SentencePair& pair, ExpectedCounts* counts) const {
  const uint32_t l = pair.source.size(), m = pair.target.size(), stride = l + 1;
  if (l == 0 || m == 0) return;
  thread_local std::vector<double> posteriors;
  thread_local PairLookup lookup;
  JointProbabilities(pair, &posteriors, &lookup);
  // The count updates are atomic, and an atomic add that misses the cache
  // stalls everything behind it: fetch their lines now, while the
  // posteriors are computed.
  lookup.PrefetchCounts(*counts);
  for (uint32_t j = 0; j < m; ++j) {
    // Rounded to fixed point per target word, not per pair, so that the E-step
    // by target word (AddExpectedCountsByTargetWord) sums the same.
    counts->AddLogLikelihood(
        ScaleColumnToPosteriors(l, posteriors.data() + static_cast<size_t>(j) * stride));
  }
  lookup.AddCounts(posteriors.data(), counts);
  AddAlignmentCounts(l, m, posteriors.data(), counts);
  counts->AddPair(0.0, l, m);
}

void PositionalModel::AddExpectedCountsExceptTranslation(const SentencePair& pair,
                                                         std::vector<double>* posteriors,
                                                         PairLookup* lookup,
                                                         ExpectedCounts* counts) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  if (l == 0 || m == 0) {
    posteriors->clear();
    return;
  }
  JointProbabilities(pair, posteriors, lookup);
  // The caller adds the translation counts next (PairLookup::AddCounts).
  lookup->PrefetchCounts(*counts);
  NormalizeColumns(l, m, posteriors->data(), counts);
  AddAlignmentCounts(l, m, posteriors->data(), counts);
  counts->AddPair(0.0, l, m);
}

void PositionalModel::AddViterbiCounts(const SentencePair& pair, ExpectedCounts* counts) const {
  const uint32_t l = pair.source.size(), m = pair.target.size(), stride = l + 1;
  if (l == 0 || m == 0) return;
  thread_local std::vector<double> links;
  thread_local std::vector<uint32_t> alignment;
  thread_local PairLookup lookup;
  JointProbabilities(pair, &links, &lookup);
  lookup.PrefetchCounts(*counts);
  alignment.assign(m, 0);
  const double log_prob = ViterbiFromJoint(l, m, links.data(), &alignment);
  std::fill(links.begin(), links.end(), 0.0);
  for (uint32_t j = 0; j < m; ++j) links[static_cast<size_t>(j) * stride + alignment[j]] = 1.0;
  lookup.AddCounts(links.data(), counts);
  AddAlignmentCounts(l, m, links.data(), counts);
  counts->AddPair(log_prob, l, m);
}

void PositionalModel::Maximize(const ExpectedCounts& counts) {
  EstimateTranslationTable(counts.translation(), prior_, table_.get());
  MaximizeAlignment(counts);
}

double PositionalModel::Posteriors(const SentencePair& pair,
                                   std::vector<double>* posteriors) const {
  thread_local PairLookup lookup;
  JointProbabilities(pair, posteriors, &lookup);
  return NormalizeColumns(pair.source.size(), pair.target.size(), posteriors->data());
}

double PositionalModel::ViterbiAlign(const SentencePair& pair,
                                     std::vector<uint32_t>* alignment) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  thread_local std::vector<double> joint;
  thread_local PairLookup lookup;
  alignment->assign(m, 0);
  if (l == 0 || m == 0) return 0;
  JointProbabilities(pair, &joint, &lookup);
  return ViterbiFromJoint(l, m, joint.data(), alignment);
}

double PositionalModel::ViterbiAndPosteriors(const SentencePair& pair,
                                             std::vector<uint32_t>* alignment,
                                             std::vector<double>* posteriors) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  alignment->assign(m, 0);
  if (l == 0 || m == 0) {
    AssignScratch(posteriors, static_cast<size_t>(l + 1) * m, 0.0);
    return 0;
  }
  thread_local PairLookup lookup;
  JointProbabilities(pair, posteriors, &lookup);
  const double log_prob = ViterbiFromJoint(l, m, posteriors->data(), alignment);
  NormalizeColumns(l, m, posteriors->data());
  return log_prob;
}

double PositionalModel::NormalizeColumns(uint32_t l, uint32_t m, double* joint,
                                         ExpectedCounts* counts) {
  const uint32_t stride = l + 1;
  double log_likelihood = 0;
  for (uint32_t j = 0; j < m; ++j) {
    double* column = joint + static_cast<size_t>(j) * stride;
    double sum = 0;
    for (uint32_t i = 0; i <= l; ++i) sum += column[i];
    sum = std::max(sum, kMinColumnMass);
    const double log_sum = std::log(sum);
    log_likelihood += log_sum;
    if (counts != nullptr) counts->AddLogLikelihood(log_sum);
    for (uint32_t i = 0; i <= l; ++i) column[i] /= sum;
  }
  return log_likelihood;
}

double PositionalModel::ViterbiFromJoint(uint32_t l, uint32_t m, const double* joint,
                                         std::vector<uint32_t>* alignment) const {
  const uint32_t stride = l + 1;
  double log_prob = 0;
  for (uint32_t j = 0; j < m; ++j) {
    const double* column = joint + static_cast<size_t>(j) * stride;
    const uint32_t best = BestInColumn(l, column);
    (*alignment)[j] = best;
    log_prob += std::log(std::max(column[best], kMinColumnMass));
  }
  return log_prob;
}

double PositionalModel::ScaleColumnToPosteriors(uint32_t l, double* column) {
  double sum = 0;
  for (uint32_t i = 0; i <= l; ++i) sum += column[i];
  sum = std::max(sum, kMinColumnMass);
  const double scale = 1.0 / sum;
  for (uint32_t i = 0; i <= l; ++i) column[i] *= scale;
  return std::log(sum);
}

uint32_t PositionalModel::BestInColumn(uint32_t l, const double* column) const {
  uint32_t best = use_null_ ? 0 : 1;
  for (uint32_t i = best + 1; i <= l; ++i) {
    if (column[i] > column[best]) best = i;
  }
  return best;
}

}  // namespace aligner
