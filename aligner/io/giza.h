// GIZA++ A3 alignment files: formatting and parsing entries.
#ifndef ALIGNER_IO_GIZA_H_
#define ALIGNER_IO_GIZA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace aligner {

// One entry of an A3 file, in the model's direction: the source side is the
// one aligned to (with NULL), the target side the one generated.
struct A3Entry {
  int64_t sentence_number = 0;  // 1-based
  double score = 0;             // probability of the alignment
  std::vector<std::string> source_words;
  std::vector<std::string> target_words;
  std::vector<uint32_t> alignment;  // alignment[j] = i, 0 = NULL
};

// Formats the three lines of one entry, each ending in "\n":
//   # Sentence pair (n) source length l target length m alignment score : s
//   the target sentence
//   NULL ({ j ... }) word ({ j ... }) ...   (1-based target positions)
std::string FormatA3Entry(const A3Entry& entry);

// Parses an A3 file (ours or GIZA++'s A3.final).
absl::StatusOr<std::vector<A3Entry>> ReadA3File(const std::string& path);

}  // namespace aligner

#endif  // ALIGNER_IO_GIZA_H_
