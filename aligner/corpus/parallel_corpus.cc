#include "aligner/corpus/parallel_corpus.h"

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "aligner/base/status_macros.h"
#include "aligner/io/input_file.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace aligner {
namespace {

// Lowercases one code point in U+0080..U+07FF; returns it unchanged when it
// has no simple lowercase form in the ranges we cover.
uint32_t LowerTwoByte(uint32_t cp) {
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;             // Latin-1
  if (cp >= 0x100 && cp <= 0x137 && cp % 2 == 0) return cp + 1;             // Latin Ext-A
  if (cp >= 0x139 && cp <= 0x148 && cp % 2 == 1) return cp + 1;
  if (cp >= 0x14A && cp <= 0x177 && cp % 2 == 0) return cp + 1;
  if (cp == 0x178) return 0xFF;
  if (cp >= 0x179 && cp <= 0x17E && cp % 2 == 1) return cp + 1;
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 0x20;          // Greek
  if (cp == 0x386) return 0x3AC;                                             // with tonos
  if (cp >= 0x388 && cp <= 0x38A) return cp + 0x25;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 0x3F;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;                         // Cyrillic
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  return cp;
}

// Reads one side of a corpus, one sentence per line.
struct SideReader {
  Vocabulary vocab;
  EncodedText text;
  absl::Status status;
  std::string path;
  bool lowercase = false;

  void Read() {
    auto reader = LineReader::Open(path);
    if (!reader.ok()) {
      status = reader.status();
      return;
    }
    std::string line;
    std::vector<std::string_view> tokens;
    std::vector<WordId> ids;
    while ((*reader)->Next(&line)) {
      SplitTokens(line, &tokens);
      Encode(tokens, lowercase, &vocab, &ids);
      text.AddSentence(ids);
    }
    status = (*reader)->status();
  }

  static void Encode(const std::vector<std::string_view>& tokens, bool lowercase,
                     Vocabulary* vocab, std::vector<WordId>* ids) {
    ids->clear();
    for (std::string_view token : tokens) {
      ids->push_back(lowercase ? vocab->Intern(LowercaseUtf8(token)) : vocab->Intern(token));
    }
  }
};

// Clears pairs that cannot be trained on or aligned, keeping their lines.
void CheckPairs(EncodedText* source, EncodedText* target, const CorpusReadOptions& options,
                const std::vector<bool>& malformed, CorpusReport* report) {
  EncodedText kept_source, kept_target;
  kept_source.Reserve(source->num_sentences(), source->num_tokens());
  kept_target.Reserve(target->num_sentences(), target->num_tokens());
  for (size_t k = 0; k < source->num_sentences(); ++k) {
    auto s = source->sentence(k);
    auto t = target->sentence(k);
    bool usable = true;
    if (k < malformed.size() && malformed[k]) {
      usable = false;
    } else if (s.empty() || t.empty()) {
      ++report->empty_pairs;
      usable = false;
    } else if (s.size() > options.max_sentence_length || t.size() > options.max_sentence_length) {
      ++report->too_long_pairs;
      if (report->first_too_long_line == 0) report->first_too_long_line = k + 1;
      usable = false;
    }
    if (usable) {
      kept_source.AddSentence(s);
      kept_target.AddSentence(t);
    } else {
      kept_source.AddSentence({});
      kept_target.AddSentence({});
    }
  }
  report->pairs = source->num_sentences();
  *source = std::move(kept_source);
  *target = std::move(kept_target);
}

}  // namespace

std::string LowercaseUtf8(std::string_view word) {
  std::string out;
  out.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    const unsigned char c = word[i];
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c + 32));
    } else if ((c & 0xE0) == 0xC0 && i + 1 < word.size() &&
               (static_cast<unsigned char>(word[i + 1]) & 0xC0) == 0x80) {
      const uint32_t cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(word[i + 1]) & 0x3F);
      const uint32_t lower = cp >= 0x80 ? LowerTwoByte(cp) : cp;
      out.push_back(static_cast<char>(0xC0 | (lower >> 6)));
      out.push_back(static_cast<char>(0x80 | (lower & 0x3F)));
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

bool SplitBitextLine(std::string_view line, std::string_view* source, std::string_view* target) {
  // Look for "|||" standing as a token of its own.
  size_t found = std::string_view::npos;
  int separators = 0;
  for (size_t pos = line.find("|||"); pos != std::string_view::npos;
       pos = line.find("|||", pos + 3)) {
    const bool starts = pos == 0 || IsSpace(line[pos - 1]);
    const bool ends = pos + 3 == line.size() || IsSpace(line[pos + 3]);
    if (starts && ends) {
      ++separators;
      found = pos;
    }
  }
  if (separators == 1) {
    *source = line.substr(0, found);
    *target = line.substr(found + 3);
    return true;
  }
  if (separators > 1) return false;
  const size_t tab = line.find('\t');
  if (tab == std::string_view::npos || line.find('\t', tab + 1) != std::string_view::npos) {
    return false;
  }
  *source = line.substr(0, tab);
  *target = line.substr(tab + 1);
  return true;
}

void EncodedText::Renumber(const std::vector<WordId>& new_ids) {
  tbb::parallel_for(tbb::blocked_range<size_t>(0, tokens_.size(), 1 << 16),
                    [&](const tbb::blocked_range<size_t>& range) {
                      for (size_t k = range.begin(); k != range.end(); ++k) {
                        tokens_[k] = new_ids[tokens_[k]];
                      }
                    });
}

namespace {

// new_ids[old id] for the words of `text` by decreasing count, ties by id.
std::vector<WordId> IdsByFrequency(const EncodedText& text, size_t vocabulary_size) {
  std::vector<uint64_t> counts(vocabulary_size, 0);
  for (size_t k = 0; k < text.num_sentences(); ++k) {
    for (WordId w : text.sentence(k)) ++counts[w];
  }
  std::vector<WordId> order(vocabulary_size);
  for (size_t w = 0; w < vocabulary_size; ++w) order[w] = static_cast<WordId>(w);
  std::stable_sort(order.begin() + 1, order.end(),
                   [&](WordId a, WordId b) { return counts[a] > counts[b]; });
  std::vector<WordId> new_ids(vocabulary_size);
  for (size_t rank = 0; rank < vocabulary_size; ++rank) new_ids[order[rank]] = static_cast<WordId>(rank);
  return new_ids;
}

}  // namespace

void ParallelCorpus::NumberWordsByFrequency() {
  for (auto [vocab, text] : {std::pair{&source_vocab_, &source_}, std::pair{&target_vocab_, &target_}}) {
    const std::vector<WordId> new_ids = IdsByFrequency(*text, vocab->size());
    vocab->Renumber(new_ids);
    text->Renumber(new_ids);
  }
}

void ParallelCorpus::SwapSides() {
  std::swap(source_vocab_, target_vocab_);
  std::swap(source_, target_);
}

absl::StatusOr<ParallelCorpus> ReadBitext(const std::string& path,
                                          const CorpusReadOptions& options,
                                          CorpusReport* report) {
  *report = CorpusReport();
  ASSIGN_OR_RETURN(auto reader, LineReader::Open(path));
  ParallelCorpus corpus;
  if (options.source_vocabulary) corpus.mutable_source_vocabulary() = *options.source_vocabulary;
  if (options.target_vocabulary) corpus.mutable_target_vocabulary() = *options.target_vocabulary;
  std::string line;
  std::vector<std::string_view> tokens;
  std::vector<WordId> ids;
  std::vector<bool> malformed;
  while (reader->Next(&line)) {
    std::string_view source, target;
    const bool ok = SplitBitextLine(line, &source, &target);
    malformed.push_back(!ok);
    if (!ok) {
      ++report->malformed_lines;
      if (report->first_malformed_line == 0) report->first_malformed_line = reader->line_number();
      source = target = std::string_view();
    }
    SplitTokens(source, &tokens);
    SideReader::Encode(tokens, options.lowercase, &corpus.mutable_source_vocabulary(), &ids);
    corpus.mutable_source_text().AddSentence(ids);
    SplitTokens(target, &tokens);
    SideReader::Encode(tokens, options.lowercase, &corpus.mutable_target_vocabulary(), &ids);
    corpus.mutable_target_text().AddSentence(ids);
  }
  RETURN_IF_ERROR(reader->status());
  CheckPairs(&corpus.mutable_source_text(), &corpus.mutable_target_text(), options, malformed,
             report);
  return corpus;
}

absl::StatusOr<ParallelCorpus> ReadParallelFiles(const std::string& source_path,
                                                 const std::string& target_path,
                                                 const CorpusReadOptions& options,
                                                 CorpusReport* report) {
  *report = CorpusReport();
  if (source_path == "-" && target_path == "-") {
    return absl::InvalidArgumentError("the source and target files cannot both be stdin");
  }
  // The two sides are independent until the end, so read them concurrently.
  SideReader source, target;
  source.path = source_path;
  target.path = target_path;
  source.lowercase = target.lowercase = options.lowercase;
  if (options.source_vocabulary) source.vocab = *options.source_vocabulary;
  if (options.target_vocabulary) target.vocab = *options.target_vocabulary;
  std::thread target_thread([&target] { target.Read(); });
  source.Read();
  target_thread.join();
  RETURN_IF_ERROR(source.status);
  RETURN_IF_ERROR(target.status);
  const size_t source_lines = source.text.num_sentences();
  const size_t target_lines = target.text.num_sentences();
  if (source_lines != target_lines) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the parallel files have different line counts: ", source_path, " has ", source_lines,
        " lines, ", target_path, " has ", target_lines));
  }
  ParallelCorpus corpus;
  corpus.mutable_source_vocabulary() = std::move(source.vocab);
  corpus.mutable_target_vocabulary() = std::move(target.vocab);
  corpus.mutable_source_text() = std::move(source.text);
  corpus.mutable_target_text() = std::move(target.text);
  CheckPairs(&corpus.mutable_source_text(), &corpus.mutable_target_text(), options, {}, report);
  return corpus;
}

}  // namespace aligner
