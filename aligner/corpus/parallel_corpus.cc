#include "aligner/corpus/parallel_corpus.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "aligner/base/status_macros.h"
#include "aligner/io/input_file.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"
#include "tbb/parallel_pipeline.h"

namespace aligner {
namespace {

// Lowercases one code point in U+0080..U+07FF; returns it unchanged when it
// has no simple lowercase form in the ranges we cover.
uint32_t LowerTwoByte(uint32_t cp) {
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;  // Latin-1
  if (cp >= 0x100 && cp <= 0x137 && cp % 2 == 0) return cp + 1;  // Latin Ext-A
  if (cp >= 0x139 && cp <= 0x148 && cp % 2 == 1) return cp + 1;
  if (cp >= 0x14A && cp <= 0x177 && cp % 2 == 0) return cp + 1;
  if (cp == 0x178) return 0xFF;
  if (cp >= 0x179 && cp <= 0x17E && cp % 2 == 1) return cp + 1;
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 0x20;  // Greek
  if (cp == 0x386) return 0x3AC;                                    // with tonos
  if (cp >= 0x388 && cp <= 0x38A) return cp + 0x25;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 0x3F;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;  // Cyrillic
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  return cp;
}

// Whether one side of a pair fits the bounds of CorpusReadOptions.
enum SideFit : uint8_t {
  kFits = 0,
  kOverMaxLength = 1,  // over max_sentence_length
  kOverCellBound = 2,  // within max_sentence_length, over max_pair_cells
  kNoTokens = 3,       // fits, but cannot be aligned
};

SideFit Classify(size_t tokens, const CorpusReadOptions& options) {
  if (tokens == 0) return kNoTokens;
  if (tokens > options.max_sentence_length) return kOverMaxLength;
  if (tokens > MaxSideLengthForCells(options.max_pair_cells)) return kOverCellBound;
  return kFits;
}

// Whether `options` ask for one block of lines, not the whole file.
bool ReadsBlock(const CorpusReadOptions& options) {
  return options.first_line > 0 || options.end_line >= 0;
}

// Whether a side makes its pair too big to train on.
bool Skipped(uint8_t fit) { return fit == kOverMaxLength || fit == kOverCellBound; }

// Reads one side of a corpus, one sentence per line. A sentence over the
// bounds is stored empty and its words are not interned; fits[k] says why.
struct SideReader {
  Vocabulary vocab;
  EncodedText text;
  std::vector<uint8_t> fits;  // a SideFit per line
  absl::Status status;
  std::string path;
  CorpusReadOptions options;

  void Read() {
    auto reader = LineReader::Open(path);
    if (!reader.ok()) {
      status = reader.status();
      return;
    }
    std::string line;
    std::vector<std::string_view> tokens;
    std::vector<WordId> ids;
    while ((options.end_line < 0 || (*reader)->line_number() < options.end_line) &&
           (*reader)->Next(&line)) {
      if ((*reader)->line_number() <= options.first_line) continue;
      SplitTokens(line, &tokens);
      const SideFit fit = Classify(tokens.size(), options);
      fits.push_back(fit);
      if (fit == kOverMaxLength || fit == kOverCellBound) tokens.clear();
      ids.clear();
      Encode(tokens, options, &vocab, &ids);
      text.AddSentence(ids);
    }
    status = (*reader)->status();
  }

  // Appends the ids of `tokens`, interned in `vocab`, to `ids`.
  static void Encode(const std::vector<std::string_view>& tokens, const CorpusReadOptions& options,
                     Vocabulary* vocab, std::vector<WordId>* ids) {
    std::string scratch;
    for (std::string_view token : tokens) {
      ids->push_back(vocab->Intern(NormalizeWord(token, options, &scratch)));
    }
  }
};

// Renumbers the words of `text` with ids from `first_new_id` on (those not
// in a loaded vocabulary) by first appearance outside the `skipped` lines,
// and forgets the words seen only there: they are what the reader would
// have interned had it never seen those lines. (Two-file reading interns
// each side before it knows whether the other side's line is too long.)
void ForgetWordsOfSkippedLines(const std::vector<bool>& skipped, WordId first_new_id,
                               Vocabulary* vocab, EncodedText* text) {
  constexpr WordId kUnseen = ~WordId{0};
  std::vector<WordId> new_ids(vocab->size(), kUnseen);
  std::vector<WordId> old_ids;  // old_ids[new id]
  for (WordId id = 0; id < first_new_id; ++id) {
    new_ids[id] = id;
    old_ids.push_back(id);
  }
  for (size_t k = 0; k < text->num_sentences(); ++k) {
    if (skipped[k]) continue;
    for (const WordId w : text->sentence(k)) {
      if (new_ids[w] == kUnseen) {
        new_ids[w] = static_cast<WordId>(old_ids.size());
        old_ids.push_back(w);
      }
    }
  }
  Vocabulary kept;
  for (size_t id = 1; id < old_ids.size(); ++id) kept.Intern(vocab->word(old_ids[id]));
  *vocab = std::move(kept);
  // The skipped lines are cleared afterwards; their forgotten words become
  // NULL meanwhile.
  for (WordId& id : new_ids) {
    if (id == kUnseen) id = kNullWord;
  }
  text->Renumber(new_ids);
}

// Clears pairs that cannot be trained on or aligned, keeping their lines.
// source_fits and target_fits hold a SideFit per line; pair k is line
// first_line + k + 1 of the file (1-based) in reports.
void CheckPairs(EncodedText* source, EncodedText* target, const std::vector<bool>& malformed,
                const std::vector<uint8_t>& source_fits, const std::vector<uint8_t>& target_fits,
                int64_t first_line, CorpusReport* report) {
  const size_t n = source->num_sentences();
  std::vector<bool> usable(n, true);
  size_t usable_pairs = 0;
  // Whether an unusable pair still holds words (one side empty, the other
  // not): only then are the texts rebuilt, which had cost a copy of both.
  bool clear_some = false;
  for (size_t k = 0; k < n; ++k) {
    // (A pair over the bounds is stored empty, so its fits tell what it had.)
    const uint8_t s_fit = source_fits[k];
    const uint8_t t_fit = target_fits[k];
    if (k < malformed.size() && malformed[k]) {
      usable[k] = false;
    } else if (s_fit == kNoTokens || t_fit == kNoTokens) {
      ++report->empty_pairs;
      usable[k] = false;
    } else if (Skipped(s_fit) || Skipped(t_fit)) {
      ++report->too_long_pairs;
      if (report->first_too_long_line == 0) report->first_too_long_line = first_line + k + 1;
      if (s_fit != kOverMaxLength && t_fit != kOverMaxLength) {
        ++report->too_large_pairs;
        if (report->first_too_large_line == 0) report->first_too_large_line = first_line + k + 1;
      }
      usable[k] = false;
    }
    if (usable[k]) {
      ++usable_pairs;
    } else if (!source->sentence(k).empty() || !target->sentence(k).empty()) {
      clear_some = true;
    }
  }
  report->pairs = n;
  report->usable_pairs = usable_pairs;
  if (!clear_some) {
    source->ShrinkToFit();
    target->ShrinkToFit();
    return;
  }
  EncodedText kept_source, kept_target;
  kept_source.Reserve(n, source->num_tokens());
  kept_target.Reserve(n, target->num_tokens());
  for (size_t k = 0; k < n; ++k) {
    kept_source.AddSentence(usable[k] ? source->sentence(k) : absl::Span<const WordId>());
    kept_target.AddSentence(usable[k] ? target->sentence(k) : absl::Span<const WordId>());
  }
  *source = std::move(kept_source);
  *target = std::move(kept_target);
}

// "none of its 3 lines can be aligned (2 without one ' ||| ' separator, ...)".
absl::Status NoUsablePairError(const std::string& what, const CorpusReport& report,
                               const CorpusReadOptions& options) {
  std::vector<std::string> reasons;
  if (report.malformed_lines > 0) {
    reasons.push_back(absl::StrCat(report.malformed_lines, " without one ' ||| ' separator"));
  }
  if (report.empty_pairs > 0)
    reasons.push_back(absl::StrCat(report.empty_pairs, " with an empty side"));
  const int64_t over_length = report.too_long_pairs - report.too_large_pairs;
  if (over_length > 0) {
    reasons.push_back(absl::StrCat(over_length, " with a side longer than --max-sentence-length ",
                                   options.max_sentence_length));
  }
  if (report.too_large_pairs > 0) {
    reasons.push_back(absl::StrCat(report.too_large_pairs, " with a side longer than ",
                                   MaxSideLengthForCells(options.max_pair_cells),
                                   " tokens, the most a pair may have in memory"));
  }
  return absl::InvalidArgumentError(absl::StrCat(what, report.pairs, " lines can be aligned (",
                                                 absl::StrJoin(reasons, ", "),
                                                 "); there is nothing to train on or align"));
}

}  // namespace

absl::Status CheckSomePairUsable(const CorpusReport& report, const CorpusReadOptions& options,
                                 const std::string& path, const std::string& target_path) {
  if (report.usable_pairs > 0 || report.pairs == 0) return absl::OkStatus();
  return NoUsablePairError(target_path.empty()
                               ? absl::StrCat(path, ": none of its ")
                               : absl::StrCat(path, " and ", target_path, ": none of their "),
                           report, options);
}

size_t MaxSideLengthForCells(uint64_t max_pair_cells) {
  // The largest n with (n + 1)^2 <= max_pair_cells.
  uint64_t n = static_cast<uint64_t>(std::sqrt(static_cast<double>(max_pair_cells)));
  while (n > 0 && n * n > max_pair_cells) --n;
  while ((n + 1) * (n + 1) <= max_pair_cells) ++n;
  return n == 0 ? 0 : static_cast<size_t>(n - 1);
}

std::vector<std::string> UnusablePairWarnings(const CorpusReport& report,
                                              const CorpusReadOptions& options) {
  std::vector<std::string> warnings;
  if (report.malformed_lines > 0) {
    warnings.push_back(
        absl::StrCat("warning: ", report.malformed_lines,
                     " lines have no ' ||| ' separator (or more than one), first at line ",
                     report.first_malformed_line, "; their output lines are empty"));
  }
  if (report.empty_pairs > 0) {
    warnings.push_back(absl::StrCat("warning: ", report.empty_pairs,
                                    " pairs have an empty side; their output lines are empty"));
  }
  const int64_t over_length = report.too_long_pairs - report.too_large_pairs;
  if (over_length > 0) {
    warnings.push_back(absl::StrCat(
        "warning: ", over_length, " pairs have a side longer than --max-sentence-length",
        report.too_large_pairs > 0 ? ""
                                   : absl::StrCat(", first at line ", report.first_too_long_line),
        "; they are not trained on and their output lines are empty"));
  }
  if (report.too_large_pairs > 0) {
    warnings.push_back(absl::StrCat(
        "warning: ", report.too_large_pairs, " pairs have a side longer than ",
        MaxSideLengthForCells(options.max_pair_cells),
        " tokens, too large to hold in memory whatever --max-sentence-length says, first at "
        "line ",
        report.first_too_large_line, "; they are not trained on and their output lines are empty"));
  }
  return warnings;
}

namespace {

// splitmix64's finalizer: every input bit reaches every output bit.
uint64_t Mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t HashSide(uint64_t h, absl::Span<const WordId> words) {
  h = Mix(h ^ words.size());
  for (const WordId w : words) h = Mix(h ^ w);
  return h;
}

}  // namespace

uint64_t CorpusFingerprint(const ParallelCorpus& corpus, uint64_t first_pair) {
  uint64_t sum = 0;
  for (size_t k = 0; k < corpus.size(); ++k) {
    const SentencePair pair = corpus.pair(k);
    sum += HashSide(HashSide(Mix(first_pair + k), pair.source), pair.target);
  }
  return sum;
}

std::string_view StemUtf8(std::string_view word, size_t characters) {
  if (characters == 0) return word;
  size_t seen = 0;
  for (size_t i = 0; i < word.size(); ++i) {
    const bool continuation = (static_cast<unsigned char>(word[i]) & 0xC0) == 0x80;
    if (!continuation && seen++ == characters) return word.substr(0, i);
  }
  return word;
}

std::string_view NormalizeWord(std::string_view token, const CorpusReadOptions& options,
                               std::string* scratch) {
  if (options.lowercase) {
    *scratch = LowercaseUtf8(token);
    token = *scratch;
  }
  return StemUtf8(token, options.stem_length);
}

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
  std::vector<WordId>& tokens = Own().tokens;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, tokens.size(), 1 << 16),
                    [&](const tbb::blocked_range<size_t>& range) {
                      for (size_t k = range.begin(); k != range.end(); ++k) {
                        tokens[k] = new_ids[tokens[k]];
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
  for (size_t rank = 0; rank < vocabulary_size; ++rank)
    new_ids[order[rank]] = static_cast<WordId>(rank);
  return new_ids;
}

}  // namespace

uint64_t CorpusId::Next() {
  static std::atomic<uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

void ParallelCorpus::NumberWordsByFrequency() {
  id_.Renew();
  for (auto [vocab, text] :
       {std::pair{&source_vocab_, &source_}, std::pair{&target_vocab_, &target_}}) {
    const std::vector<WordId> new_ids = IdsByFrequency(*text, vocab->size());
    vocab->Renumber(new_ids);
    text->Renumber(new_ids);
  }
}

void ParallelCorpus::SwapSides() {
  id_.Renew();
  std::swap(source_vocab_, target_vocab_);
  std::swap(source_, target_);
}

ParallelCorpusBuilder::ParallelCorpusBuilder(const CorpusReadOptions& options) : options_(options) {
  if (options.source_vocabulary) corpus_.mutable_source_vocabulary() = *options.source_vocabulary;
  if (options.target_vocabulary) corpus_.mutable_target_vocabulary() = *options.target_vocabulary;
  // Kept only for the builder's lifetime.
  options_.source_vocabulary = options_.target_vocabulary = nullptr;
}

void ParallelCorpusBuilder::AddTokens(std::vector<std::string_view>* source,
                                      std::vector<std::string_view>* target, bool malformed) {
  // A pair over the bounds is skipped before its words are interned.
  source_fits_.push_back(Classify(source->size(), options_));
  target_fits_.push_back(Classify(target->size(), options_));
  if (Skipped(source_fits_.back()) || Skipped(target_fits_.back())) {
    source->clear();
    target->clear();
  }
  ids_.clear();
  SideReader::Encode(*source, options_, &corpus_.mutable_source_vocabulary(), &ids_);
  corpus_.mutable_source_text().AddSentence(ids_);
  ids_.clear();
  SideReader::Encode(*target, options_, &corpus_.mutable_target_vocabulary(), &ids_);
  corpus_.mutable_target_text().AddSentence(ids_);
  malformed_.push_back(malformed);
}

void ParallelCorpusBuilder::AddPair(std::string_view source, std::string_view target) {
  SplitTokens(source, &source_tokens_);
  SplitTokens(target, &target_tokens_);
  AddTokens(&source_tokens_, &target_tokens_, /*malformed=*/false);
}

absl::Status ParallelCorpusBuilder::AddTokenizedPair(absl::Span<const std::string> source,
                                                     absl::Span<const std::string> target) {
  for (auto [tokens, views, side] : {std::tuple{source, &source_tokens_, "source"},
                                     std::tuple{target, &target_tokens_, "target"}}) {
    views->clear();
    for (const std::string& token : tokens) {
      if (token.empty() || std::any_of(token.begin(), token.end(), IsSpace)) {
        return absl::InvalidArgumentError(
            absl::StrCat("pair ", size(), ": ", side, " token \"", token, "\" is ",
                         token.empty() ? "empty" : "not one word (it holds whitespace)"));
      }
      views->push_back(token);
    }
  }
  AddTokens(&source_tokens_, &target_tokens_, /*malformed=*/false);
  return absl::OkStatus();
}

void ParallelCorpusBuilder::AddMalformedPair(int64_t line_number) {
  ++malformed_lines_;
  if (first_malformed_line_ == 0) first_malformed_line_ = line_number;
  source_tokens_.clear();
  target_tokens_.clear();
  AddTokens(&source_tokens_, &target_tokens_, /*malformed=*/true);
}

void ParallelCorpusBuilder::Batch::AddPair(std::string_view source, std::string_view target,
                                           const CorpusReadOptions& options) {
  SplitTokens(source, &source_.tokens);
  SplitTokens(target, &target_.tokens);
  const SideFit source_fit = Classify(source_.tokens.size(), options);
  const SideFit target_fit = Classify(target_.tokens.size(), options);
  // A pair over the bounds is skipped before its words are interned.
  const bool skipped = Skipped(source_fit) || Skipped(target_fit);
  for (auto [side, fit] : {std::pair{&source_, source_fit}, std::pair{&target_, target_fit}}) {
    side->fits.push_back(fit);
    const size_t before = side->ids.size();
    if (!skipped) SideReader::Encode(side->tokens, options, &side->vocab, &side->ids);
    side->lengths.push_back(static_cast<uint32_t>(side->ids.size() - before));
  }
  malformed_.push_back(false);
}

void ParallelCorpusBuilder::Batch::AddMalformedPair(int64_t line_number) {
  for (Side* side : {&source_, &target_}) {
    side->fits.push_back(kNoTokens);
    side->lengths.push_back(0);
  }
  malformed_.push_back(true);
  malformed_lines_.push_back(line_number);
}

void ParallelCorpusBuilder::Batch::Clear() {
  for (Side* side : {&source_, &target_}) {
    side->vocab = Vocabulary();
    side->ids.clear();
    side->lengths.clear();
    side->fits.clear();
  }
  malformed_.clear();
  malformed_lines_.clear();
}

void ParallelCorpusBuilder::AddBatch(const Batch& batch) {
  for (auto [side, vocab, text, fits] :
       {std::tuple{&batch.source_, &corpus_.mutable_source_vocabulary(),
                   &corpus_.mutable_source_text(), &source_fits_},
        std::tuple{&batch.target_, &corpus_.mutable_target_vocabulary(),
                   &corpus_.mutable_target_text(), &target_fits_}}) {
    // The batch's words in their order of first appearance: interned in that
    // order, they get the ids that adding the pairs one by one would give.
    std::vector<WordId> ids_here(side->vocab.size(), kNullWord);
    for (WordId id = 1; id < side->vocab.size(); ++id)
      ids_here[id] = vocab->Intern(side->vocab.word(id));
    size_t at = 0;
    for (const uint32_t length : side->lengths) {
      ids_.clear();
      for (size_t k = at; k < at + length; ++k) ids_.push_back(ids_here[side->ids[k]]);
      text->AddSentence(ids_);
      at += length;
    }
    fits->insert(fits->end(), side->fits.begin(), side->fits.end());
  }
  malformed_.insert(malformed_.end(), batch.malformed_.begin(), batch.malformed_.end());
  for (const int64_t line : batch.malformed_lines_) {
    ++malformed_lines_;
    if (first_malformed_line_ == 0) first_malformed_line_ = line;
  }
}

absl::StatusOr<ParallelCorpus> ParallelCorpusBuilder::Finish(std::string_view none_usable,
                                                             CorpusReport* report) {
  *report = CorpusReport();
  report->malformed_lines = malformed_lines_;
  report->first_malformed_line = first_malformed_line_;
  CheckPairs(&corpus_.mutable_source_text(), &corpus_.mutable_target_text(), malformed_,
             source_fits_, target_fits_, options_.first_line, report);
  // A block of a corpus may have no usable pair; its reader checks the whole.
  if (!ReadsBlock(options_) && report->usable_pairs == 0 && report->pairs > 0) {
    return NoUsablePairError(std::string(none_usable), *report, options_);
  }
  return std::move(corpus_);
}

absl::StatusOr<ParallelCorpus> ReadBitext(const std::string& path, const CorpusReadOptions& options,
                                          CorpusReport* report) {
  *report = CorpusReport();
  ASSIGN_OR_RETURN(auto reader, LineReader::Open(path));
  ParallelCorpusBuilder builder(options);
  // One thread reads lines in batches, every thread splits and encodes
  // batches (words numbered within the batch), and the builder takes them in
  // order: reading one line after another had been a tenth of `align -d`.
  struct LineBatch {
    std::vector<std::string> lines;
    size_t count = 0;
    int64_t first_line_number = 0;  // 1-based, of lines[0]
    ParallelCorpusBuilder::Batch pairs;
  };
  constexpr size_t kBatchLines = 4096;
  // At most this many batches are in flight; the last stage takes them in
  // order, so batch k can reuse the place of batch k - kBatchesInFlight.
  constexpr size_t kBatchesInFlight = 8;
  std::vector<LineBatch> ring(kBatchesInFlight);
  size_t next_batch = 0;
  bool at_end = false;
  // Stage 1, serial: the next lines of the block into the next free batch.
  auto read = [&](tbb::flow_control& control) -> LineBatch* {
    LineBatch& batch = ring[next_batch++ % kBatchesInFlight];
    batch.count = 0;
    while (!at_end && batch.count < kBatchLines) {
      if (options.end_line >= 0 && reader->line_number() >= options.end_line) {
        at_end = true;
        break;
      }
      if (batch.count == batch.lines.size()) batch.lines.emplace_back();
      if (!reader->Next(&batch.lines[batch.count])) {
        at_end = true;
        break;
      }
      if (reader->line_number() <= options.first_line) continue;
      if (batch.count == 0) batch.first_line_number = reader->line_number();
      ++batch.count;
    }
    if (batch.count == 0) {
      control.stop();
      return nullptr;
    }
    return &batch;
  };
  // Stage 2, parallel: split and encode the batch's lines.
  auto encode = [&](LineBatch* batch) {
    batch->pairs.Clear();
    for (size_t i = 0; i < batch->count; ++i) {
      std::string_view source, target;
      if (SplitBitextLine(batch->lines[i], &source, &target)) {
        batch->pairs.AddPair(source, target, options);
      } else {
        batch->pairs.AddMalformedPair(batch->first_line_number + static_cast<int64_t>(i));
      }
    }
    return batch;
  };
  // Stage 3, serial in order: into the corpus.
  auto add = [&](LineBatch* batch) { builder.AddBatch(batch->pairs); };
  tbb::parallel_pipeline(
      kBatchesInFlight,
      tbb::make_filter<void, LineBatch*>(tbb::filter_mode::serial_in_order, read) &
          tbb::make_filter<LineBatch*, LineBatch*>(tbb::filter_mode::parallel, encode) &
          tbb::make_filter<LineBatch*, void>(tbb::filter_mode::serial_in_order, add));
  RETURN_IF_ERROR(reader->status());
  return builder.Finish(absl::StrCat(path, ": none of its "), report);
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
  source.options = target.options = options;
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
    return absl::InvalidArgumentError(
        absl::StrCat("the parallel files have different line counts: ", source_path, " has ",
                     source_lines, " lines, ", target_path, " has ", target_lines));
  }
  // Each side skipped its own over-long lines unread; the other side of
  // such a pair was interned, and is forgotten here.
  std::vector<bool> skipped(source_lines, false);
  bool any_skipped = false;
  for (size_t k = 0; k < source_lines; ++k) {
    skipped[k] = Skipped(source.fits[k]) || Skipped(target.fits[k]);
    any_skipped |= skipped[k];
  }
  if (any_skipped) {
    ForgetWordsOfSkippedLines(
        skipped,
        static_cast<WordId>(options.source_vocabulary ? options.source_vocabulary->size() : 1),
        &source.vocab, &source.text);
    ForgetWordsOfSkippedLines(
        skipped,
        static_cast<WordId>(options.target_vocabulary ? options.target_vocabulary->size() : 1),
        &target.vocab, &target.text);
  }
  ParallelCorpus corpus;
  corpus.mutable_source_vocabulary() = std::move(source.vocab);
  corpus.mutable_target_vocabulary() = std::move(target.vocab);
  corpus.mutable_source_text() = std::move(source.text);
  corpus.mutable_target_text() = std::move(target.text);
  CheckPairs(&corpus.mutable_source_text(), &corpus.mutable_target_text(), {}, source.fits,
             target.fits, options.first_line, report);
  if (!ReadsBlock(options)) {
    RETURN_IF_ERROR(CheckSomePairUsable(*report, options, source_path, target_path));
  }
  return corpus;
}

}  // namespace aligner
