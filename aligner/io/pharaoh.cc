#include "aligner/io/pharaoh.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aligner/base/status_macros.h"
#include "aligner/base/string_view.h"
#include "aligner/io/input_file.h"

namespace aligner {
namespace {

// Separates the links from the score that --print-scores appends.
constexpr std::string_view kScoreSeparator = "|||";

}  // namespace

namespace internal {

bool ParsePosition(std::string_view digits, uint32_t* value) {
  if (digits.empty()) return false;
  uint64_t result = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
    result = result * 10 + static_cast<uint64_t>(c - '0');
    // Checked per digit so that a very long number cannot wrap uint64_t.
    if (result > std::numeric_limits<uint32_t>::max()) return false;
  }
  *value = static_cast<uint32_t>(result);
  return true;
}

void SplitWhitespace(std::string_view line, std::vector<std::string_view>* tokens) {
  tokens->clear();
  auto is_space = [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); };
  size_t pos = 0;
  while (pos < line.size()) {
    if (is_space(line[pos])) {
      ++pos;
      continue;
    }
    const size_t start = pos;
    while (pos < line.size() && !is_space(line[pos])) ++pos;
    tokens->push_back(line.substr(start, pos - start));
  }
}

}  // namespace internal

void AppendPharaoh(const SentenceLinks& links, std::string* out) {
  bool first = true;
  for (const Link& link : links) {
    if (!first) out->push_back(' ');
    first = false;
    absl::StrAppend(out, link.source, "-", link.target);
  }
}

std::string FormatPharaoh(const SentenceLinks& links) {
  std::string out;
  AppendPharaoh(links, &out);
  return out;
}

absl::StatusOr<SentenceLinks> ParsePharaoh(std::string_view line, double* score) {
  if (score != nullptr) *score = std::numeric_limits<double>::quiet_NaN();
  const size_t separator = line.find(kScoreSeparator);
  if (separator != std::string_view::npos) {
    const std::string_view field = line.substr(separator + kScoreSeparator.size());
    double value = 0;
    if (field.find(kScoreSeparator) != std::string_view::npos) {
      return absl::InvalidArgumentError("more than one '|||' on the line");
    }
    if (!absl::SimpleAtod(ToAbsl(field), &value) || !std::isfinite(value)) {
      return absl::InvalidArgumentError(absl::StrCat("bad score '",
                                                     absl::StripAsciiWhitespace(ToAbsl(field)),
                                                     "' after '|||': expected one finite number"));
    }
    if (score != nullptr) *score = value;
    line = line.substr(0, separator);
  }
  SentenceLinks links;
  size_t pos = 0;
  while (pos < line.size()) {
    if (absl::ascii_isspace(static_cast<unsigned char>(line[pos]))) {
      ++pos;
      continue;
    }
    size_t end = pos;
    while (end < line.size() && !absl::ascii_isspace(static_cast<unsigned char>(line[end]))) {
      ++end;
    }
    const std::string_view token = line.substr(pos, end - pos);
    pos = end;
    // Split at the first '-': "1--2" then leaves "-2" as the target, which
    // ParsePosition rejects, as it does a leading '-' (an empty source).
    const size_t dash = token.find('-');
    Link link;
    if (dash == std::string_view::npos ||
        !internal::ParsePosition(token.substr(0, dash), &link.source) ||
        !internal::ParsePosition(token.substr(dash + 1), &link.target)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad alignment link '", std::string(token),
                       "': expected 'i-j' with i and j in [0, 4294967295]"));
    }
    links.push_back(link);
  }
  return links;
}

absl::StatusOr<std::vector<SentenceLinks>> ReadPharaohFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
  std::vector<SentenceLinks> result;
  std::string line;
  while (reader->Next(&line)) {
    absl::StatusOr<SentenceLinks> links = ParsePharaoh(line);
    if (!links.ok()) {
      return absl::InvalidArgumentError(
          FileLineMessage(path, reader->line_number(), std::string(links.status().message())));
    }
    result.push_back(std::move(links).value());
  }
  RETURN_IF_ERROR(reader->status());
  return result;
}

}  // namespace aligner
