// Early-return helpers for absl::Status, which abseil does not export.
#ifndef ALIGNER_BASE_STATUS_MACROS_H_
#define ALIGNER_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ALIGNER_CONCAT_INNER_(a, b) a##b
#define ALIGNER_CONCAT_(a, b) ALIGNER_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status aligner_status_ = (expr);           \
    if (!aligner_status_.ok()) return aligner_status_; \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, MakeX());` declares x from an OK StatusOr or
// returns its error.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL_(ALIGNER_CONCAT_(aligner_statusor_, __LINE__), lhs, rexpr)
#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                           \
  if (!statusor.ok()) return statusor.status();      \
  lhs = std::move(statusor).value()

#endif  // ALIGNER_BASE_STATUS_MACROS_H_
