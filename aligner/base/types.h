// Basic value types shared by every part of the aligner.
#ifndef ALIGNER_BASE_TYPES_H_
#define ALIGNER_BASE_TYPES_H_

#include <cstdint>
#include <tuple>
#include <vector>

namespace aligner {

// Dense integer id of a word in a Vocabulary. Id 0 is reserved for NULL on
// the source side (and unused on the target side) so that ids index arrays.
using WordId = uint32_t;
inline constexpr WordId kNullWord = 0;

// One alignment link between source position `source` and target position
// `target`, both 0-based (Pharaoh's `i-j`).
struct Link {
  uint32_t source = 0;
  uint32_t target = 0;

  friend bool operator==(const Link& a, const Link& b) {
    return a.source == b.source && a.target == b.target;
  }
  friend bool operator!=(const Link& a, const Link& b) { return !(a == b); }
  friend bool operator<(const Link& a, const Link& b) {
    return std::tie(a.source, a.target) < std::tie(b.source, b.target);
  }
};

// The links of one sentence pair.
using SentenceLinks = std::vector<Link>;

}  // namespace aligner

#endif  // ALIGNER_BASE_TYPES_H_
