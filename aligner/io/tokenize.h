// Tokens of a corpus line: the bytes between ASCII whitespace.
#ifndef ALIGNER_IO_TOKENIZE_H_
#define ALIGNER_IO_TOKENIZE_H_

#include <string_view>
#include <vector>

namespace aligner {

inline bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Splits `line` at ASCII whitespace; tokens are the bytes between.
void SplitTokens(std::string_view line, std::vector<std::string_view>* tokens);

}  // namespace aligner

#endif  // ALIGNER_IO_TOKENIZE_H_
