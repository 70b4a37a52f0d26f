#include "aligner/io/giza.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "aligner/base/status_macros.h"
#include "aligner/base/string_view.h"
#include "aligner/io/input_file.h"
#include "aligner/io/tokenize.h"

namespace aligner {

std::string FormatA3Entry(const A3Entry& entry) {
  std::string out = absl::StrFormat(
      "# Sentence pair (%d) source length %d target length %d alignment score : %g\n",
      entry.sentence_number, entry.source_words.size(), entry.target_words.size(), entry.score);
  absl::StrAppend(&out, absl::StrJoin(entry.target_words, " "), "\n");
  std::vector<std::vector<uint32_t>> linked(entry.source_words.size() + 1);
  for (size_t j = 0; j < entry.alignment.size(); ++j) {
    linked[entry.alignment[j]].push_back(static_cast<uint32_t>(j + 1));
  }
  for (size_t i = 0; i < linked.size(); ++i) {
    if (i > 0) out.push_back(' ');
    absl::StrAppend(&out, i == 0 ? "NULL" : entry.source_words[i - 1], " ({ ");
    for (uint32_t j : linked[i]) absl::StrAppend(&out, j, " ");
    out.append("})");
  }
  out.push_back('\n');
  return out;
}

namespace {

absl::Status ParseError(const LineReader& reader, const std::string& what) {
  return absl::InvalidArgumentError(FileLineMessage(reader.path(), reader.line_number(), what));
}

// Parses "NULL ({ 1 2 }) word ({ }) ..." into words and alignment.
absl::Status ParseAlignmentLine(const LineReader& reader, std::string_view line, A3Entry* entry) {
  std::vector<std::string_view> tokens;
  SplitTokens(line, &tokens);
  entry->alignment.assign(entry->target_words.size(), 0);
  size_t k = 0;
  int64_t position = 0;  // 0 = NULL
  while (k < tokens.size()) {
    const std::string_view word = tokens[k++];
    if (k >= tokens.size() || tokens[k] != "({") {
      return ParseError(reader, absl::StrCat("expected '({' after '", ToAbsl(word), "'"));
    }
    ++k;
    if (position > 0) entry->source_words.emplace_back(word);
    while (k < tokens.size() && tokens[k] != "})") {
      uint32_t j = 0;
      if (!absl::SimpleAtoi(ToAbsl(tokens[k]), &j) || j == 0 || j > entry->target_words.size()) {
        return ParseError(reader, absl::StrCat("bad target position '", ToAbsl(tokens[k]), "'"));
      }
      entry->alignment[j - 1] = static_cast<uint32_t>(position);
      ++k;
    }
    if (k >= tokens.size()) return ParseError(reader, "missing '})'");
    ++k;
    ++position;
  }
  if (position == 0) return ParseError(reader, "empty alignment line");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<A3Entry>> ReadA3File(const std::string& path) {
  ASSIGN_OR_RETURN(auto reader, LineReader::Open(path));
  std::vector<A3Entry> entries;
  std::string header, target, links;
  while (reader->Next(&header)) {
    A3Entry entry;
    absl::string_view rest = header;
    if (!absl::ConsumePrefix(&rest, "# Sentence pair (")) {
      return ParseError(*reader, "expected '# Sentence pair ('");
    }
    const size_t close = rest.find(')');
    if (close == absl::string_view::npos ||
        !absl::SimpleAtoi(rest.substr(0, close), &entry.sentence_number)) {
      return ParseError(*reader, "bad sentence number");
    }
    const size_t colon = rest.rfind(':');
    if (colon == absl::string_view::npos ||
        !absl::SimpleAtod(absl::StripAsciiWhitespace(rest.substr(colon + 1)), &entry.score)) {
      return ParseError(*reader, "bad alignment score");
    }
    if (!reader->Next(&target)) {
      RETURN_IF_ERROR(reader->status());
      return ParseError(*reader, "missing target sentence line");
    }
    std::vector<std::string_view> words;
    SplitTokens(target, &words);
    for (std::string_view w : words) entry.target_words.emplace_back(w);
    if (!reader->Next(&links)) {
      RETURN_IF_ERROR(reader->status());
      return ParseError(*reader, "missing alignment line");
    }
    RETURN_IF_ERROR(ParseAlignmentLine(*reader, links, &entry));
    entries.push_back(std::move(entry));
  }
  RETURN_IF_ERROR(reader->status());
  return entries;
}

}  // namespace aligner
