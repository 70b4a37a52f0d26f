// A sentence-aligned corpus held as word ids in flat arrays.
#ifndef ALIGNER_CORPUS_PARALLEL_CORPUS_H_
#define ALIGNER_CORPUS_PARALLEL_CORPUS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "aligner/base/types.h"
#include "aligner/corpus/vocabulary.h"
#include "aligner/io/tokenize.h"

namespace aligner {

// One side of a corpus: every sentence's tokens back to back in one array,
// with sentence k at [offsets[k], offsets[k+1]). No per-sentence allocation.
// Copies share the arrays until one of them changes (copy on write): the
// reverse direction's corpus is a copy with its sides swapped, and needs no
// second copy of the words.
class EncodedText {
 public:
  EncodedText() : data_(std::make_shared<Data>()) {}

  void AddSentence(absl::Span<const WordId> words) {
    Data& data = Own();
    data.tokens.insert(data.tokens.end(), words.begin(), words.end());
    data.offsets.push_back(data.tokens.size());
  }
  absl::Span<const WordId> sentence(size_t k) const {
    const Data& data = *data_;
    return absl::MakeConstSpan(data.tokens.data() + data.offsets[k],
                               data.offsets[k + 1] - data.offsets[k]);
  }
  // For loops that visit sentences out of order: ask the cache for
  // sentence k's bounds, and some iterations later for its words.
  void PrefetchBounds(size_t k) const { __builtin_prefetch(data_->offsets.data() + k); }
  void PrefetchWords(size_t k) const {
    __builtin_prefetch(data_->tokens.data() + data_->offsets[k]);
  }
  size_t num_sentences() const { return data_->offsets.size() - 1; }
  size_t num_tokens() const { return data_->tokens.size(); }
  // Replaces every token id w by new_ids[w].
  void Renumber(const std::vector<WordId>& new_ids);
  void Reserve(size_t sentences, size_t tokens) {
    Data& data = Own();
    data.offsets.reserve(sentences + 1);
    data.tokens.reserve(tokens);
  }
  // Gives back the capacity the arrays grew beyond their size while the
  // corpus was read (a third of the tokens' memory on all 1.13M Hansards
  // pairs: 290 MB held for 190 MB of words and bounds). Arrays another
  // text shares are left as they are (a copy would double them).
  void ShrinkToFit() {
    if (data_.use_count() > 1) return;
    data_->tokens.shrink_to_fit();
    data_->offsets.shrink_to_fit();
  }
  // Whether `other` holds the same arrays (not merely equal ones).
  bool SharesWordsWith(const EncodedText& other) const { return data_ == other.data_; }

 private:
  struct Data {
    std::vector<WordId> tokens;
    std::vector<uint64_t> offsets{0};
  };
  // The arrays, copied first if another text shares them.
  Data& Own() {
    if (data_.use_count() > 1) data_ = std::make_shared<Data>(*data_);
    return *data_;
  }
  std::shared_ptr<Data> data_;
};

// Source and target view of one sentence pair.
struct SentencePair {
  static constexpr size_t kNoIndex = ~size_t{0};
  absl::Span<const WordId> source;
  absl::Span<const WordId> target;
  // Where the pair came from, for caches kept per pair (SlotCache): the id
  // of its ParallelCorpus and its index there; 0 and kNoIndex for a pair
  // made otherwise.
  size_t index = kNoIndex;
  uint64_t corpus_id = 0;
};

// A pair's lengths as one key, l << 32 | m: the order in which the trainers
// (PairsByLengths) and, within each block, the decoders visit pairs, so that
// consecutive pairs share what a thread keeps per lengths (the HMM's jump
// tables, computed anew for nearly every pair in corpus order).
inline uint64_t LengthsKey(const SentencePair& pair) {
  return static_cast<uint64_t>(pair.source.size()) << 32 | pair.target.size();
}

// A number that names one state of a corpus's pairs, for caches keyed on
// them. Copies get a new one (their pairs live elsewhere), and so does a
// corpus moved from; 0 is never used.
class CorpusId {
 public:
  CorpusId() : value_(Next()) {}
  CorpusId(const CorpusId&) : value_(Next()) {}
  CorpusId(CorpusId&& other) noexcept : value_(other.value_) { other.Renew(); }
  CorpusId& operator=(const CorpusId&) {
    Renew();
    return *this;
  }
  CorpusId& operator=(CorpusId&& other) noexcept {
    value_ = other.value_;
    other.Renew();
    return *this;
  }
  // For a corpus whose pairs change.
  void Renew() { value_ = Next(); }
  uint64_t value() const { return value_; }

 private:
  static uint64_t Next();
  uint64_t value_;
};

// What the reader noticed about the input; the tool warns once per kind.
struct CorpusReport {
  int64_t pairs = 0;
  int64_t usable_pairs = 0;          // neither malformed, nor empty, nor too long
  int64_t malformed_lines = 0;       // no separator, or more than one
  int64_t first_malformed_line = 0;  // 1-based, 0 if none
  int64_t empty_pairs = 0;           // a side with no tokens
  int64_t too_long_pairs = 0;        // a side over max_sentence_length or the memory bound
  int64_t first_too_long_line = 0;
  // Of too_long_pairs, those within max_sentence_length but over
  // max_pair_cells (see CorpusReadOptions).
  int64_t too_large_pairs = 0;
  int64_t first_too_large_line = 0;
};

// The bound on one pair's size: (max(l, m) + 1)^2 cells, where l and m are
// its side lengths. Training and decoding allocate per-pair matrices of
// (l + 1) x m cells, and the HMM also l x l transition tables, each cell a
// double, for every thread at once: measured, the HMM needs about 170 bytes
// per cell per thread (a peak of 692 MB aligning 2,000 x 2,000 pairs on one
// thread), Model 1 and the diagonal model a fifth to a third of that. 2^25 cells allow sides of up
// to 5,791 tokens (about 5.5 GB per thread for the HMM at the bound); a 100,000-token pair would
// need terabytes and is skipped instead of aborting the run with std::bad_alloc. Far above the
// default --max-sentence-length (below), so it only matters when that is raised.
inline constexpr uint64_t kDefaultMaxPairCells = uint64_t{1} << 25;

// The default --max-sentence-length. Longer sides are rare and nearly always misaligned
// paragraphs, but the HMM's forward-backward costs O(l^2 m) per pair: on all 1.13M Hansards pairs
// (sides of up to 995 words) the 39 pairs with a side over 250 words took a sixth of `symmetric`'s
// E-step time (its HMM E-steps 214 -> 178 s without them), and made its memory peak (both threads
// at once on pairs of up to 995 x 841 words, about 150 MB each); without them the
// grow-diag-final-and AER is the same, 0.0498. No development set has a side over 146 words.
// 1000 had been the default.
inline constexpr size_t kDefaultMaxSentenceLength = 250;

// The longest side a pair may have under `max_pair_cells`.
size_t MaxSideLengthForCells(uint64_t max_pair_cells);

struct CorpusReadOptions {
  // Lowercase ASCII and Latin-1 letters, and the other two-byte UTF-8 cases
  // handled by LowercaseUtf8.
  bool lowercase = false;
  // Keep only the first this many characters of every word (after
  // lowercasing; StemUtf8), a crude stem that pools a word's inflected forms
  // ("houses", "housing" -> "hous"); 0 keeps whole words.
  size_t stem_length = 0;
  // Longer sentences are kept as lines but not trained on or aligned: their
  // cost is quadratic in length.
  size_t max_sentence_length = kDefaultMaxSentenceLength;
  // Pairs whose (max(l, m) + 1)^2 exceeds this are skipped like over-long
  // ones (and counted in too_large_pairs too), so that no pair's matrices
  // can exhaust memory.
  uint64_t max_pair_cells = kDefaultMaxPairCells;
  // When set, start from these vocabularies (copied) so that words keep the
  // ids a loaded model knows them by; new words get new ids after them.
  const Vocabulary* source_vocabulary = nullptr;
  const Vocabulary* target_vocabulary = nullptr;
  // Read only the lines [first_line, end_line) (0-based; end_line < 0: to
  // the end), for a process that holds one block of the corpus (aligner-mpi).
  // The other lines are read past but not kept; line numbers in reports and
  // errors stay those of the whole file. A block without a usable pair is no
  // error: whoever reads the blocks checks the whole corpus's report
  // (CheckSomePairUsable).
  int64_t first_line = 0;
  int64_t end_line = -1;
};

// A parallel corpus: line k of the input is pair k, always, whatever it holds.
// Pairs that cannot be aligned (malformed, an empty side, too long) are kept
// with both sides empty so that output stays line-parallel to the input. The
// words of over-long pairs are not added to the vocabularies (one 50 MB line
// would otherwise add millions of word types).
class ParallelCorpus {
 public:
  size_t size() const { return source_.num_sentences(); }
  SentencePair pair(size_t k) const {
    return {source_.sentence(k), target_.sentence(k), k, id_.value()};
  }
  // Names the pairs as they are now (CorpusId): changing them through the
  // mutable accessors below, SwapSides or NumberWordsByFrequency renews it.
  uint64_t id() const { return id_.value(); }

  const Vocabulary& source_vocabulary() const { return source_vocab_; }
  const Vocabulary& target_vocabulary() const { return target_vocab_; }
  Vocabulary& mutable_source_vocabulary() { return source_vocab_; }
  Vocabulary& mutable_target_vocabulary() { return target_vocab_; }
  const EncodedText& source_text() const { return source_; }
  const EncodedText& target_text() const { return target_; }
  EncodedText& mutable_source_text() {
    id_.Renew();
    return source_;
  }
  EncodedText& mutable_target_text() {
    id_.Renew();
    return target_;
  }

  // Exchanges the two sides, for training the reverse direction.
  void SwapSides();

  // Renumbers the words of each side by decreasing frequency (ties by
  // first appearance), NULL staying 0. A translation table row then holds
  // the frequent targets, which most lookups ask for, together in its first
  // cache lines. Training does not depend on the numbering, only its speed.
  void NumberWordsByFrequency();

 private:
  Vocabulary source_vocab_;
  Vocabulary target_vocab_;
  EncodedText source_;
  EncodedText target_;
  CorpusId id_;
};

// A 64-bit fingerprint of the corpus as word ids: the sum (mod 2^64) over
// pairs of a hash of the pair's index and both sides. A sum, so that the
// fingerprints of a corpus's blocks, each taken with `first_pair` its first
// index in the whole, add up to the whole corpus's. Checkpoints carry it, so
// that --resume refuses another corpus.
uint64_t CorpusFingerprint(const ParallelCorpus& corpus, uint64_t first_pair = 0);

// The warnings a tool prints for a report read with `options`, one per kind
// of unusable pair, each with its count (and first line); empty when every
// pair is usable.
std::vector<std::string> UnusablePairWarnings(const CorpusReport& report,
                                              const CorpusReadOptions& options);

// Builds a corpus pair by pair, from sentences held in memory (the Python
// module) or read from a file (ReadBitext), with the rules of the file
// readers: a sentence is split at ASCII whitespace, words are lowercased when
// asked for, a pair with an empty side or a side over the bounds of
// CorpusReadOptions is kept with both sides empty, and the words of a pair over
// the bounds are not interned. Words keep their ids of first appearance; call
// NumberWordsByFrequency on the result as after reading a file.
class ParallelCorpusBuilder {
 public:
  // Pairs encoded apart from any builder, their words numbered within the
  // batch, so that batches can be encoded in parallel; AddBatch gives them
  // the builder's ids. A batch gives the same corpus as adding its pairs one
  // by one.
  class Batch {
   public:
    // As the builder's AddPair and AddMalformedPair.
    void AddPair(std::string_view source, std::string_view target,
                 const CorpusReadOptions& options);
    void AddMalformedPair(int64_t line_number);
    size_t size() const { return malformed_.size(); }
    void Clear();

   private:
    friend class ParallelCorpusBuilder;
    struct Side {
      Vocabulary vocab;  // the batch's words; ids from 1 by first appearance
      std::vector<WordId> ids;
      std::vector<uint32_t> lengths;  // per pair
      std::vector<uint8_t> fits;      // per pair: how it fits the bounds
      std::vector<std::string_view> tokens;
    };
    Side source_, target_;
    std::vector<bool> malformed_;
    std::vector<int64_t> malformed_lines_;
  };

  explicit ParallelCorpusBuilder(const CorpusReadOptions& options);

  // A pair of sentences, each a line of text as a corpus file holds it.
  void AddPair(std::string_view source, std::string_view target);
  // A pair of sentences already split into tokens. A token that is empty or
  // holds whitespace is an error (naming the pair, 0-based, and the side):
  // no corpus file could hold it, so the CLI could not give the same result.
  absl::Status AddTokenizedPair(absl::Span<const std::string> source,
                                absl::Span<const std::string> target);
  // A pair that cannot be used (a malformed line `line_number`, 1-based).
  void AddMalformedPair(int64_t line_number);
  // The pairs of `batch`, in order.
  void AddBatch(const Batch& batch);

  size_t size() const { return malformed_.size(); }
  // The corpus, with the pairs it cannot train on cleared; the builder is
  // spent afterwards. Pairs of which none can be aligned are InvalidArgument,
  // `none_usable` followed by the count and the reasons ("corpus.txt: none of
  // its " gives "corpus.txt: none of its 3 lines can be aligned (...)").
  absl::StatusOr<ParallelCorpus> Finish(std::string_view none_usable, CorpusReport* report);

 private:
  // Clears both sides when the pair is over the bounds.
  void AddTokens(std::vector<std::string_view>* source, std::vector<std::string_view>* target,
                 bool malformed);

  CorpusReadOptions options_;
  ParallelCorpus corpus_;
  std::vector<bool> malformed_;
  std::vector<uint8_t> source_fits_, target_fits_;  // how each side fits the bounds
  int64_t malformed_lines_ = 0, first_malformed_line_ = 0;
  std::vector<std::string_view> source_tokens_, target_tokens_;
  std::vector<WordId> ids_;
};

// InvalidArgument naming the corpus (`path`, or `path` and `target_path` for
// two files) and why, when the report has lines but no usable pair: "there
// is nothing to train on or align". OK otherwise.
absl::Status CheckSomePairUsable(const CorpusReport& report, const CorpusReadOptions& options,
                                 const std::string& path, const std::string& target_path = "");

// Reads one file of "source ||| target" lines (fast_align, cdec); a line with
// no "|||" token but exactly one TAB is split at the TAB. A file with lines
// of which none can be aligned is InvalidArgument naming the file and why
// (an empty file is an empty corpus).
absl::StatusOr<ParallelCorpus> ReadBitext(const std::string& path, const CorpusReadOptions& options,
                                          CorpusReport* report);

// Reads two line-parallel files (Moses, GIZA++, eflomal). Files with different
// line counts are an error naming both files and counts, and so are files
// with lines of which no pair can be aligned.
absl::StatusOr<ParallelCorpus> ReadParallelFiles(const std::string& source_path,
                                                 const std::string& target_path,
                                                 const CorpusReadOptions& options,
                                                 CorpusReport* report);

// The first `characters` characters of `word` (UTF-8: a character is a byte
// that is not a continuation byte, with the continuation bytes after it), or
// the whole word when it has no more; 0 keeps the whole word.
std::string_view StemUtf8(std::string_view word, size_t characters);

// The word training sees for `token` under `options` (lowercased, then cut
// to its stem), in `scratch` when it differs from the token.
std::string_view NormalizeWord(std::string_view token, const CorpusReadOptions& options,
                               std::string* scratch);

// Lowercases ASCII letters and the common two-byte UTF-8 capitals (Latin-1,
// Latin Extended-A, Greek, Cyrillic); other bytes pass through unchanged.
std::string LowercaseUtf8(std::string_view word);

// Separates a bitext line into its two sides. Returns false for a line with
// no separator or more than one.
bool SplitBitextLine(std::string_view line, std::string_view* source, std::string_view* target);

}  // namespace aligner

#endif  // ALIGNER_CORPUS_PARALLEL_CORPUS_H_
