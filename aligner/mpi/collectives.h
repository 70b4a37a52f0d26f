// Small collective helpers over Boost.MPI shared by aligner-mpi's parts:
// agreeing on an error, moving flat arrays, writing blocks in rank order.
#ifndef ALIGNER_MPI_COLLECTIVES_H_
#define ALIGNER_MPI_COLLECTIVES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "aligner/io/output_file.h"
#include "boost/mpi/communicator.hpp"

namespace aligner::mpi {

// Collective: every rank passes its own status and all get the same answer,
// OK when every rank was OK, else the error of the lowest failing rank with
// "rank R: " before its message. So all ranks take the same branch and no
// rank waits forever in a collective the failed one never enters.
absl::Status AgreeOnStatus(const boost::mpi::communicator& comm, const absl::Status& status);

// Collective: element-wise sum over all ranks of `values` (same size on
// every rank), in place. Integer sums, so exact in any order.
void SumInPlace(const boost::mpi::communicator& comm, int64_t* values, size_t n);
int64_t Sum(const boost::mpi::communicator& comm, int64_t value);
int64_t Max(const boost::mpi::communicator& comm, int64_t value);

// Collective: every rank's `values` concatenated in rank order, at every
// rank; `counts`, when not null, receives each rank's size.
std::vector<uint64_t> AllGatherV(const boost::mpi::communicator& comm,
                                 const std::vector<uint64_t>& values,
                                 std::vector<int>* counts = nullptr);

// Collective: the same at rank 0 only (others get an empty vector).
template <typename T>
std::vector<T> GatherVToRoot(const boost::mpi::communicator& comm, const std::vector<T>& values,
                             std::vector<int>* counts = nullptr);

// Collective: each rank's `text` written to `out` (open at rank 0 only) in
// rank order, so blocks of lines land in input order. Rank 0 holds one
// rank's text at a time.
void WriteInRankOrder(const boost::mpi::communicator& comm, const std::string& text,
                      OutputFile* out);

// Line [first, end) of `total` lines that rank `rank` of `size` holds:
// contiguous blocks differing in size by at most one line.
struct LineBlock {
  int64_t first = 0;
  int64_t end = 0;
};
LineBlock BlockOfRank(int64_t total, int rank, int size);

}  // namespace aligner::mpi

#endif  // ALIGNER_MPI_COLLECTIVES_H_
