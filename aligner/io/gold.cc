#include "aligner/io/gold.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aligner/base/status_macros.h"
#include "aligner/io/input_file.h"
#include "aligner/io/pharaoh.h"

namespace aligner {
namespace {

// Far above any hand-aligned test set.
constexpr uint64_t kMaxNaaclSentences = uint64_t{1} << 24;

// This abseil build has its own string_view type.
absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Sorts both lists, removes duplicates, and drops from `possible` every link
// that is also sure, so that the struct's invariant holds whatever the order
// or redundancy of the input.
void Normalize(GoldAlignment* gold) {
  auto sort_unique = [](SentenceLinks* links) {
    std::sort(links->begin(), links->end());
    links->erase(std::unique(links->begin(), links->end()), links->end());
  };
  sort_unique(&gold->sure);
  sort_unique(&gold->possible);
  SentenceLinks possible_only;
  possible_only.reserve(gold->possible.size());
  std::set_difference(gold->possible.begin(), gold->possible.end(), gold->sure.begin(),
                      gold->sure.end(), std::back_inserter(possible_only));
  gold->possible = std::move(possible_only);
}

// Turns file positions into a 0-based link in the requested orientation.
// Returns false for position 0 when positions are 1-based.
bool MakeLink(uint32_t first, uint32_t second, bool one_based, bool reverse, Link* link) {
  if (one_based) {
    if (first == 0 || second == 0) return false;
    --first;
    --second;
  }
  *link = reverse ? Link{second, first} : Link{first, second};
  return true;
}

absl::Status LineError(const std::string& path, int64_t line, const absl::Status& status) {
  return absl::Status(status.code(), FileLineMessage(path, line, std::string(status.message())));
}

absl::StatusOr<std::vector<GoldAlignment>> ReadPharaohSurePossible(const std::string& path,
                                                                   const GoldOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
  std::vector<GoldAlignment> result;
  std::string line;
  while (reader->Next(&line)) {
    absl::StatusOr<GoldAlignment> gold = ParseGoldLine(line, options);
    if (!gold.ok()) return LineError(path, reader->line_number(), gold.status());
    result.push_back(std::move(gold).value());
  }
  RETURN_IF_ERROR(reader->status());
  return result;
}

absl::StatusOr<std::vector<GoldAlignment>> ReadNaacl(const std::string& path,
                                                     const GoldOptions& options,
                                                     size_t num_sentences_hint) {
  ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
  std::vector<GoldAlignment> result(num_sentences_hint);
  std::string line;
  std::vector<std::string_view> fields;
  while (reader->Next(&line)) {
    internal::SplitWhitespace(line, &fields);
    if (fields.empty()) continue;  // tolerate blank lines, e.g. at the end
    auto error = [&](const std::string& message) {
      return absl::InvalidArgumentError(
          FileLineMessage(path, reader->line_number(), absl::StrCat(message, ": '", line, "'")));
    };
    if (fields.size() < 3 || fields.size() > 5) {
      return error(
          "expected 'sentence_no first_pos second_pos [S|P] [confidence]' (3 to 5 fields)");
    }
    int64_t sentence_id = 0;
    uint32_t first = 0;
    uint32_t second = 0;
    if (!absl::SimpleAtoi(ToAbsl(fields[0]), &sentence_id) ||
        sentence_id < options.first_sentence_id) {
      return error(
          absl::StrCat("bad sentence number (the first is ", options.first_sentence_id, ")"));
    }
    if (!internal::ParsePosition(fields[1], &first) ||
        !internal::ParsePosition(fields[2], &second)) {
      return error("bad word position");
    }
    bool sure = true;
    if (fields.size() >= 4) {
      if (fields[3] == "S" || fields[3] == "s") {
        sure = true;
      } else if (fields[3] == "P" || fields[3] == "p") {
        sure = false;
      } else {
        return error("link type must be S or P");
      }
    }
    double confidence = 0;
    if (fields.size() == 5 && !absl::SimpleAtod(ToAbsl(fields[4]), &confidence)) {
      return error("bad confidence");
    }
    // Position 0 is NULL: the link says the word is unaligned, which a
    // Pharaoh-style link list expresses by its absence.
    Link link;
    if (!MakeLink(first, second, /*one_based=*/true, options.reverse, &link)) continue;
    const uint64_t index = static_cast<uint64_t>(sentence_id - options.first_sentence_id);
    // Entries are allocated up to the largest number, so a corrupt number must
    // not become a multi-gigabyte allocation.
    if (index >= kMaxNaaclSentences) return error("sentence number too large");
    if (index >= result.size()) result.resize(index + 1);
    (sure ? result[index].sure : result[index].possible).push_back(link);
  }
  RETURN_IF_ERROR(reader->status());
  for (GoldAlignment& gold : result) Normalize(&gold);
  return result;
}

}  // namespace

absl::StatusOr<GoldAlignment> ParseGoldLine(std::string_view line, const GoldOptions& options) {
  GoldAlignment gold;
  std::vector<std::string_view> tokens;
  internal::SplitWhitespace(line, &tokens);
  for (const std::string_view token : tokens) {
    // "i-j" is sure, "ipj" possible; the separator is the first non-digit.
    const size_t separator = token.find_first_not_of("0123456789");
    uint32_t first = 0;
    uint32_t second = 0;
    Link link;
    const bool ok = separator != std::string_view::npos &&
                    (token[separator] == '-' || token[separator] == 'p') &&
                    internal::ParsePosition(token.substr(0, separator), &first) &&
                    internal::ParsePosition(token.substr(separator + 1), &second) &&
                    MakeLink(first, second, options.one_based, options.reverse, &link);
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad gold link '", std::string(token),
                       "': expected 'i-j' (sure) or 'ipj' (possible) with ",
                       options.one_based ? "1-based" : "0-based", " positions"));
    }
    (token[separator] == '-' ? gold.sure : gold.possible).push_back(link);
  }
  Normalize(&gold);
  return gold;
}

absl::Status CheckGoldLooksZeroBased(const std::vector<GoldAlignment>& gold,
                                     const std::vector<SentenceLinks>& predicted,
                                     const std::string& gold_path) {
  int64_t gold_links = 0;
  uint32_t largest = 0;
  for (const GoldAlignment& g : gold) {
    for (const SentenceLinks* links : {&g.sure, &g.possible}) {
      for (const Link& link : *links) {
        if (link.source == 0 || link.target == 0) return absl::OkStatus();
        largest = std::max({largest, link.source, link.target});
        ++gold_links;
      }
    }
  }
  if (gold_links == 0) return absl::OkStatus();
  int64_t predicted_zero = 0;
  for (const SentenceLinks& links : predicted) {
    for (const Link& link : links) predicted_zero += link.source == 0 || link.target == 0;
  }
  if (predicted_zero == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      gold_path, " looks 1-based: none of its ", gold_links,
      " links has position 0 on either side (positions 1 to ", largest, "), while ", predicted_zero,
      " links of the alignment do; scored as 0-based it would give a meaningless AER. Give "
      "--one-based if the gold counts from 1, or --zero-based if it really is 0-based"));
}

absl::StatusOr<std::vector<GoldAlignment>> ReadGoldFile(const std::string& path, GoldFormat format,
                                                        const GoldOptions& options,
                                                        size_t num_sentences_hint) {
  switch (format) {
    case GoldFormat::kPharaohSurePossible:
      return ReadPharaohSurePossible(path, options);
    case GoldFormat::kNaacl:
      return ReadNaacl(path, options, num_sentences_hint);
  }
  return absl::InvalidArgumentError("unknown gold format");
}

}  // namespace aligner
