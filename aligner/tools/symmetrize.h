// Combining the two directional alignments of a corpus into one, with the
// heuristics of fast_align's `atools -c`.
#ifndef ALIGNER_TOOLS_SYMMETRIZE_H_
#define ALIGNER_TOOLS_SYMMETRIZE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "aligner/base/types.h"

namespace aligner {

enum class SymmetrizationHeuristic {
  kIntersect,
  kUnion,
  kGrowDiag,
  kGrowDiagFinal,
  kGrowDiagFinalAnd,
};

// Accepts atools' command names: "intersect", "union", "grow-diag",
// "grow-diag-final", "grow-diag-final-and".
absl::StatusOr<SymmetrizationHeuristic> ParseHeuristic(std::string_view name);

// The atools name of `heuristic`.
std::string_view HeuristicName(SymmetrizationHeuristic heuristic);

// Symmetrizes one sentence pair. Both inputs are in source-target orientation,
// as the Pharaoh files of `fast_align` and `fast_align -r` are. The result is
// exactly what `atools -i forward -j reverse -c <heuristic>` prints, links
// sorted by (source, target) without duplicates:
//
//  - intersect / union: the set operations.
//  - grow-diag: start from the intersection; candidates are the union's other
//    links, visited in (source, target) order in repeated passes until a pass
//    adds nothing. A candidate is added when its source or its target word is
//    still unaligned and one of its 8 neighbours (including diagonals) is
//    already in the result; additions count immediately, later in the pass.
//  - grow-diag-final: grow-diag, then one pass over the forward links and then
//    one over the reverse links, each in (source, target) order, adding a link
//    whose source or target word is still unaligned.
//  - grow-diag-final-and: the same, but a final link needs both its source
//    and its target word unaligned.
SentenceLinks Symmetrize(const SentenceLinks& forward, const SentenceLinks& reverse,
                         SymmetrizationHeuristic heuristic);

// Symmetrizes two Pharaoh files line by line into `output_path` ("-" for
// stdout; written atomically). The files must have the same number of lines.
absl::Status SymmetrizeFiles(const std::string& forward_path, const std::string& reverse_path,
                             SymmetrizationHeuristic heuristic, const std::string& output_path);

}  // namespace aligner

#endif  // ALIGNER_TOOLS_SYMMETRIZE_H_
