#include "aligner/corpus/vocabulary.h"

#include <cstdio>
#include <cstdlib>

namespace aligner {

Vocabulary::Vocabulary() { words_.emplace_back("NULL"); }

// Debian's abseil has its own string_view type, so look up through it.
WordId Vocabulary::Intern(std::string_view word) {
  if (lookup_dropped_) LookupDropped();
  auto it = ids_.find(absl::string_view(word.data(), word.size()));
  if (it != ids_.end()) return it->second;
  const WordId id = static_cast<WordId>(words_.size());
  words_.emplace_back(word);
  ids_.emplace(std::string(word), id);
  return id;
}

void Vocabulary::Renumber(const std::vector<WordId>& new_ids) {
  std::vector<std::string> words(words_.size());
  for (size_t old = 0; old < words_.size(); ++old) words[new_ids[old]] = std::move(words_[old]);
  words_ = std::move(words);
  for (auto& [word, id] : ids_) id = new_ids[id];
}

std::optional<WordId> Vocabulary::Find(std::string_view word) const {
  if (lookup_dropped_) LookupDropped();
  auto it = ids_.find(absl::string_view(word.data(), word.size()));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

void Vocabulary::DropLookup() {
  absl::flat_hash_map<std::string, WordId>().swap(ids_);
  lookup_dropped_ = true;
}

void Vocabulary::LookupDropped() {
  std::fputs("aligner: internal error: a word looked up after Vocabulary::DropLookup\n", stderr);
  std::abort();
}

}  // namespace aligner
