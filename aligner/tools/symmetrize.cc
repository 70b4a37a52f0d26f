#include "aligner/tools/symmetrize.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "aligner/base/status_macros.h"
#include "aligner/io/input_file.h"
#include "aligner/io/output_file.h"
#include "aligner/io/pharaoh.h"

namespace aligner {
namespace {

// atools keeps alignments in a dense grid sized by the largest positions of
// both inputs, and both reads its candidates and prints its result by walking
// that grid row by row: in (source, target) order, each link once. A sorted,
// deduplicated vector is the same sequence without the grid, so positions in
// the billions cannot turn into a huge allocation; out-of-grid neighbours are
// simply absent from the hash set below, as they are outside atools' grid.
SentenceLinks SortedUnique(const SentenceLinks& links) {
  SentenceLinks sorted = links;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return sorted;
}

uint64_t Key(int64_t source, int64_t target) {
  return (static_cast<uint64_t>(source) << 32) | static_cast<uint64_t>(target);
}

// The growing state: the links chosen so far and which words they cover.
class Refinement {
 public:
  explicit Refinement(const SentenceLinks& start) {
    for (const Link& link : start) Align(link);
  }

  void Align(const Link& link) {
    links_.insert(Key(link.source, link.target));
    aligned_sources_.insert(link.source);
    aligned_targets_.insert(link.target);
  }

  bool Contains(const Link& link) const { return links_.contains(Key(link.source, link.target)); }

  bool IsNeitherAligned(const Link& link) const {
    return !aligned_sources_.contains(link.source) && !aligned_targets_.contains(link.target);
  }

  bool IsOneOrBothUnaligned(const Link& link) const {
    return !aligned_sources_.contains(link.source) || !aligned_targets_.contains(link.target);
  }

  // Whether any of the 8 surrounding cells is aligned. Positions outside
  // [0, 2^32) cannot be aligned.
  bool IsNeighborAligned(const Link& link) const {
    static constexpr std::array<std::pair<int, int>, 8> kNeighbors = {
        {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {-1, 1}, {1, -1}, {-1, -1}}};
    for (const auto& [ds, dt] : kNeighbors) {
      const int64_t source = static_cast<int64_t>(link.source) + ds;
      const int64_t target = static_cast<int64_t>(link.target) + dt;
      if (source < 0 || target < 0 || source > UINT32_MAX || target > UINT32_MAX) continue;
      if (links_.contains(Key(source, target))) return true;
    }
    return false;
  }

  // Koehn's grow condition: a new link must touch an unaligned word and sit
  // next to an existing link.
  bool CanGrow(const Link& link) const {
    return IsOneOrBothUnaligned(link) && IsNeighborAligned(link);
  }

  SentenceLinks Result() const {
    SentenceLinks result;
    result.reserve(links_.size());
    for (const uint64_t key : links_) {
      result.push_back(Link{static_cast<uint32_t>(key >> 32), static_cast<uint32_t>(key)});
    }
    std::sort(result.begin(), result.end());
    return result;
  }

 private:
  absl::flat_hash_set<uint64_t> links_;
  absl::flat_hash_set<uint32_t> aligned_sources_;
  absl::flat_hash_set<uint32_t> aligned_targets_;
};

// atools' iterative growing: repeated passes over the remaining candidates in
// (source, target) order until a pass adds nothing. `candidates` is sorted.
void GrowDiag(SentenceLinks candidates, Refinement* refinement) {
  bool added_any = true;
  while (added_any && !candidates.empty()) {
    added_any = false;
    SentenceLinks remaining;
    for (const Link& link : candidates) {
      // A link added earlier in this pass has both words aligned, so CanGrow
      // is false for it; checking in order matches atools' in-place updates.
      if (refinement->CanGrow(link)) {
        refinement->Align(link);
        added_any = true;
      } else {
        remaining.push_back(link);
      }
    }
    candidates = std::move(remaining);
  }
}

// atools' "final" step: a single pass over `adds` in (source, target) order.
template <typename Predicate>
void GrowFinal(const SentenceLinks& adds, Predicate predicate, Refinement* refinement) {
  for (const Link& link : adds) {
    if (!refinement->Contains(link) && predicate(*refinement, link)) refinement->Align(link);
  }
}

}  // namespace

absl::StatusOr<SymmetrizationHeuristic> ParseHeuristic(std::string_view name) {
  for (const SymmetrizationHeuristic heuristic :
       {SymmetrizationHeuristic::kIntersect, SymmetrizationHeuristic::kUnion,
        SymmetrizationHeuristic::kGrowDiag, SymmetrizationHeuristic::kGrowDiagFinal,
        SymmetrizationHeuristic::kGrowDiagFinalAnd}) {
    if (name == HeuristicName(heuristic)) return heuristic;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown symmetrization heuristic '", std::string(name),
                   "'; expected one of intersect, union, grow-diag, grow-diag-final, "
                   "grow-diag-final-and"));
}

std::string_view HeuristicName(SymmetrizationHeuristic heuristic) {
  switch (heuristic) {
    case SymmetrizationHeuristic::kIntersect:
      return "intersect";
    case SymmetrizationHeuristic::kUnion:
      return "union";
    case SymmetrizationHeuristic::kGrowDiag:
      return "grow-diag";
    case SymmetrizationHeuristic::kGrowDiagFinal:
      return "grow-diag-final";
    case SymmetrizationHeuristic::kGrowDiagFinalAnd:
      return "grow-diag-final-and";
  }
  return "unknown";
}

SentenceLinks Symmetrize(const SentenceLinks& forward, const SentenceLinks& reverse,
                         SymmetrizationHeuristic heuristic) {
  const SentenceLinks a = SortedUnique(forward);
  const SentenceLinks b = SortedUnique(reverse);
  SentenceLinks intersection;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(intersection));
  if (heuristic == SymmetrizationHeuristic::kIntersect) return intersection;
  SentenceLinks union_links;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(union_links));
  if (heuristic == SymmetrizationHeuristic::kUnion) return union_links;

  Refinement refinement(intersection);
  SentenceLinks candidates;
  std::set_difference(union_links.begin(), union_links.end(), intersection.begin(),
                      intersection.end(), std::back_inserter(candidates));
  GrowDiag(std::move(candidates), &refinement);

  if (heuristic == SymmetrizationHeuristic::kGrowDiagFinal) {
    const auto one_or_both = [](const Refinement& r, const Link& l) {
      return r.IsOneOrBothUnaligned(l);
    };
    // atools runs the final pass over each direction separately, forward first.
    GrowFinal(a, one_or_both, &refinement);
    GrowFinal(b, one_or_both, &refinement);
  } else if (heuristic == SymmetrizationHeuristic::kGrowDiagFinalAnd) {
    const auto neither = [](const Refinement& r, const Link& l) { return r.IsNeitherAligned(l); };
    GrowFinal(a, neither, &refinement);
    GrowFinal(b, neither, &refinement);
  }
  return refinement.Result();
}

absl::Status SymmetrizeFiles(const std::string& forward_path, const std::string& reverse_path,
                             SymmetrizationHeuristic heuristic, const std::string& output_path) {
  ASSIGN_OR_RETURN(std::unique_ptr<LineReader> forward, LineReader::Open(forward_path));
  ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reverse, LineReader::Open(reverse_path));
  ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> output, OutputFile::Open(output_path));

  auto parse = [](const LineReader& reader,
                  const std::string& line) -> absl::StatusOr<SentenceLinks> {
    absl::StatusOr<SentenceLinks> links = ParsePharaoh(line);
    if (!links.ok()) {
      return absl::InvalidArgumentError(FileLineMessage(reader.path(), reader.line_number(),
                                                        std::string(links.status().message())));
    }
    return links;
  };

  std::string forward_line;
  std::string reverse_line;
  std::string out;
  for (;;) {
    const bool have_forward = forward->Next(&forward_line);
    const bool have_reverse = reverse->Next(&reverse_line);
    RETURN_IF_ERROR(forward->status());
    RETURN_IF_ERROR(reverse->status());
    if (have_forward != have_reverse) {
      // Count the rest of the longer file so the message gives both totals.
      LineReader& longer = have_forward ? *forward : *reverse;
      std::string& line = have_forward ? forward_line : reverse_line;
      while (longer.Next(&line)) {
      }
      RETURN_IF_ERROR(longer.status());
      return absl::InvalidArgumentError(absl::StrCat(
          "alignment files differ in length: ", forward_path, " has ", forward->line_number(),
          " lines but ", reverse_path, " has ", reverse->line_number()));
    }
    if (!have_forward) break;
    ASSIGN_OR_RETURN(const SentenceLinks forward_links, parse(*forward, forward_line));
    ASSIGN_OR_RETURN(const SentenceLinks reverse_links, parse(*reverse, reverse_line));
    out.clear();
    AppendPharaoh(Symmetrize(forward_links, reverse_links, heuristic), &out);
    out.push_back('\n');
    output->Write(out);
  }
  return output->Commit();
}

}  // namespace aligner
