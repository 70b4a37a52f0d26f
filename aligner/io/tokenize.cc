#include "aligner/io/tokenize.h"

namespace aligner {

void SplitTokens(std::string_view line, std::vector<std::string_view>* tokens) {
  tokens->clear();
  size_t i = 0;
  const size_t n = line.size();
  while (i < n) {
    while (i < n && IsSpace(line[i])) ++i;
    const size_t start = i;
    while (i < n && !IsSpace(line[i])) ++i;
    if (i > start) tokens->push_back(line.substr(start, i - start));
  }
}

}  // namespace aligner
