// Maps words (byte strings) to dense integer ids and back.
#ifndef ALIGNER_CORPUS_VOCABULARY_H_
#define ALIGNER_CORPUS_VOCABULARY_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "aligner/base/types.h"

namespace aligner {

// Ids are handed out in order of first appearance, so the same input always
// gives the same ids (ParallelCorpus::NumberWordsByFrequency renumbers
// them). Id 0 (kNullWord) is reserved and spelled "NULL", so a vocabulary can
// serve as either side of a corpus.
class Vocabulary {
 public:
  Vocabulary();

  // Returns the id of `word`, adding it if new.
  WordId Intern(std::string_view word);
  // Returns the id of `word` if known.
  std::optional<WordId> Find(std::string_view word) const;

  // Gives every word the id new_ids[old id]: a permutation of the ids that
  // keeps 0 (NULL) in place.
  void Renumber(const std::vector<WordId>& new_ids);

  // Frees the word -> id index (a second copy of every word), for a
  // vocabulary that from now on only spells ids (word()): aligner-mpi's
  // ranks after numbering their blocks' words. Intern and Find abort after
  // it.
  void DropLookup();

  const std::string& word(WordId id) const { return words_[id]; }
  // Number of ids, including the reserved NULL.
  size_t size() const { return words_.size(); }

 private:
  // Ends the program: Intern or Find after DropLookup.
  [[noreturn]] static void LookupDropped();

  absl::flat_hash_map<std::string, WordId> ids_;
  std::vector<std::string> words_;
  bool lookup_dropped_ = false;
};

}  // namespace aligner

#endif  // ALIGNER_CORPUS_VOCABULARY_H_
