// Debian 12's abseil is built with its own absl::string_view rather than
// std::string_view; these convert at the boundary.
#ifndef ALIGNER_BASE_STRING_VIEW_H_
#define ALIGNER_BASE_STRING_VIEW_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace aligner {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace aligner

#endif  // ALIGNER_BASE_STRING_VIEW_H_
