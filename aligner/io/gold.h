// Reading gold (reference) word alignments with sure and possible links.
#ifndef ALIGNER_IO_GOLD_H_
#define ALIGNER_IO_GOLD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "aligner/base/types.h"

namespace aligner {

// The gold links of one sentence pair. Every sure link is also possible
// (Och & Ney 2003: S is a subset of P), so `possible` holds only the
// possible-only links, P \ S; the full possible set is sure + possible. The
// readers below return both lists sorted by (source, target) with duplicates
// removed and no link in both lists.
struct GoldAlignment {
  SentenceLinks sure;
  SentenceLinks possible;  // possible-only links; see above
};

enum class GoldFormat {
  // One line per sentence pair: tokens "i-j" (sure) or "ipj" (possible),
  // separated by whitespace; i is a position on the first (source) side.
  // Used by the data sets' test.gold files.
  kPharaohSurePossible,
  // The HLT-NAACL 2003 shared task's ".wa" files: one link per line,
  // "sentence_no first_pos second_pos [S|P] [confidence]", positions 1-based,
  // position 0 meaning NULL (such links are skipped), a missing S/P meaning S.
  kNaacl,
};

struct GoldOptions {
  // kPharaohSurePossible only: positions in the file start at 1, not 0.
  // (kNaacl positions are always 1-based.)
  bool one_based = false;
  // Swap the two sides: the file's first position becomes the link's target.
  bool reverse = false;
  // kNaacl only: the sentence number of the first sentence pair; sentence
  // number n goes to entry n - first_sentence_id.
  int64_t first_sentence_id = 1;
};

// Parses one kPharaohSurePossible line into `gold` (normalised as described
// above). Errors are InvalidArgument and quote the bad token.
absl::StatusOr<GoldAlignment> ParseGoldLine(std::string_view line, const GoldOptions& options);

// Reads a gold file. kPharaohSurePossible gives one entry per line (blank
// lines are pairs without links) and ignores `num_sentences_hint`. kNaacl gives
// max(num_sentences_hint, largest sentence number - first_sentence_id + 1)
// entries, so pairs without any gold link still get their (empty) entry when
// the caller passes the corpus size. Errors are "file:line: message".
absl::StatusOr<std::vector<GoldAlignment>> ReadGoldFile(const std::string& path, GoldFormat format,
                                                        const GoldOptions& options,
                                                        size_t num_sentences_hint);

// Guards against scoring a 1-based gold file as 0-based (which roughly
// doubles the AER without any error): returns FailedPrecondition, naming
// `gold_path`, when the gold, read 0-based, has links but none at position 0
// on either side, while the alignment it is to score has links at position
// 0, as a 0-based aligner's output almost always does. In a 0-based gold of
// any size the first words are aligned somewhere; a 1-based gold never says
// 0. Both files without a 0 (or a gold without links) pass: they agree.
absl::Status CheckGoldLooksZeroBased(const std::vector<GoldAlignment>& gold,
                                     const std::vector<SentenceLinks>& predicted,
                                     const std::string& gold_path);

}  // namespace aligner

#endif  // ALIGNER_IO_GOLD_H_
