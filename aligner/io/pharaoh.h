// Reading and writing alignments in Pharaoh format: one sentence pair per
// line, links "i-j" (0-based source position i, target position j) separated
// by spaces.
#ifndef ALIGNER_IO_PHARAOH_H_
#define ALIGNER_IO_PHARAOH_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "aligner/base/types.h"

namespace aligner {

// "0-0 1-2": the links in the given order, separated by single spaces, with no
// trailing space or newline. No links gives an empty string.
std::string FormatPharaoh(const SentenceLinks& links);

// Appends FormatPharaoh(links) to `out`; lets writers reuse one buffer.
void AppendPharaoh(const SentenceLinks& links, std::string* out);

// Parses one line of tokens "i-j" separated by any ASCII whitespace. An empty
// or blank line has no links. Links keep the order of the line; duplicates are
// kept. A malformed token ("1-", "a-b", "1--2", "-1-2", a position above
// 2^32-1) is an InvalidArgument error that quotes the token.
//
// The line may end in a score field, "0-0 1-1 ||| -12.5", as `--print-scores`
// (ours and fast_align's -s) writes it; the links are read and the score goes
// to `score` when given (NaN when the line has none). A field that is not one
// finite number, or a second "|||", is an InvalidArgument error.
absl::StatusOr<SentenceLinks> ParsePharaoh(std::string_view line, double* score = nullptr);

// Reads a whole Pharaoh file (plain, gzip, zstd or "-" for stdin): one entry
// per line, blank lines included, so entry k always belongs to sentence pair
// k. Errors are "file:line: message".
absl::StatusOr<std::vector<SentenceLinks>> ReadPharaohFile(const std::string& path);

namespace internal {

// Parses a non-empty run of ASCII digits into a uint32_t. Returns false for an
// empty string, any other character (including signs) or overflow. Shared with
// the gold-alignment reader, whose tokens use the same numbers.
bool ParsePosition(std::string_view digits, uint32_t* value);

// Splits `line` at runs of ASCII whitespace into `tokens` (cleared first),
// without empty tokens. Written here rather than with absl::StrSplit because
// this abseil build's absl::string_view is not std::string_view.
void SplitWhitespace(std::string_view line, std::vector<std::string_view>* tokens);

}  // namespace internal

}  // namespace aligner

#endif  // ALIGNER_IO_PHARAOH_H_
