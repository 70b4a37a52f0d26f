#include "aligner/mpi/collectives.h"

#include <mpi.h>

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "boost/mpi/collectives.hpp"
#include "boost/mpi/datatype.hpp"
#include "boost/serialization/string.hpp"
#include "boost/serialization/vector.hpp"

namespace aligner::mpi {

absl::Status AgreeOnStatus(const boost::mpi::communicator& comm, const absl::Status& status) {
  // (code, message) of every rank; codes are small ints.
  std::vector<int> codes;
  boost::mpi::all_gather(comm, static_cast<int>(status.code()), codes);
  for (int rank = 0; rank < comm.size(); ++rank) {
    if (codes[rank] == 0) continue;
    // The lowest failing rank sends its message to all.
    std::string message = comm.rank() == rank ? std::string(status.message()) : "";
    boost::mpi::broadcast(comm, message, rank);
    return absl::Status(static_cast<absl::StatusCode>(codes[rank]),
                        absl::StrCat("rank ", rank, ": ", message));
  }
  return absl::OkStatus();
}

void SumInPlace(const boost::mpi::communicator& comm, int64_t* values, size_t n) {
  // In pieces below 2^31 elements (MPI counts are ints).
  constexpr size_t kPiece = size_t{1} << 30;
  for (size_t begin = 0; begin < n; begin += kPiece) {
    const int count = static_cast<int>(std::min(kPiece, n - begin));
    MPI_Allreduce(MPI_IN_PLACE, values + begin, count, MPI_INT64_T, MPI_SUM, comm);
  }
}

int64_t Sum(const boost::mpi::communicator& comm, int64_t value) {
  return boost::mpi::all_reduce(comm, value, std::plus<int64_t>());
}

int64_t Max(const boost::mpi::communicator& comm, int64_t value) {
  return boost::mpi::all_reduce(comm, value, boost::mpi::maximum<int64_t>());
}

std::vector<uint64_t> AllGatherV(const boost::mpi::communicator& comm,
                                 const std::vector<uint64_t>& values, std::vector<int>* counts) {
  std::vector<int> sizes;
  boost::mpi::all_gather(comm, static_cast<int>(values.size()), sizes);
  std::vector<int> displacements(sizes.size(), 0);
  for (size_t r = 1; r < sizes.size(); ++r) displacements[r] = displacements[r - 1] + sizes[r - 1];
  std::vector<uint64_t> all(displacements.back() + sizes.back());
  MPI_Allgatherv(values.data(), static_cast<int>(values.size()), MPI_UINT64_T, all.data(),
                 sizes.data(), displacements.data(), MPI_UINT64_T, comm);
  if (counts != nullptr) *counts = std::move(sizes);
  return all;
}

template <typename T>
std::vector<T> GatherVToRoot(const boost::mpi::communicator& comm, const std::vector<T>& values,
                             std::vector<int>* counts) {
  std::vector<int> sizes;
  boost::mpi::gather(comm, static_cast<int>(values.size()), sizes, 0);
  std::vector<T> all;
  std::vector<int> displacements;
  if (comm.rank() == 0) {
    displacements.assign(sizes.size(), 0);
    for (size_t r = 1; r < sizes.size(); ++r) {
      displacements[r] = displacements[r - 1] + sizes[r - 1];
    }
    all.resize(displacements.back() + sizes.back());
  }
  const MPI_Datatype type = boost::mpi::get_mpi_datatype<T>();
  MPI_Gatherv(values.data(), static_cast<int>(values.size()), type, all.data(), sizes.data(),
              displacements.data(), type, 0, comm);
  if (counts != nullptr) *counts = std::move(sizes);
  return all;
}

template std::vector<uint32_t> GatherVToRoot(const boost::mpi::communicator&,
                                             const std::vector<uint32_t>&, std::vector<int>*);
template std::vector<uint64_t> GatherVToRoot(const boost::mpi::communicator&,
                                             const std::vector<uint64_t>&, std::vector<int>*);
template std::vector<float> GatherVToRoot(const boost::mpi::communicator&,
                                          const std::vector<float>&, std::vector<int>*);

void WriteInRankOrder(const boost::mpi::communicator& comm, const std::string& text,
                      OutputFile* out) {
  constexpr int kSizeTag = 1, kTextTag = 2;
  constexpr size_t kPiece = size_t{1} << 30;  // MPI counts are ints
  if (comm.rank() == 0) {
    out->Write(text);
    std::string received;
    for (int rank = 1; rank < comm.size(); ++rank) {
      uint64_t size = 0;
      comm.recv(rank, kSizeTag, size);
      received.resize(size);
      for (size_t begin = 0; begin < size; begin += kPiece) {
        comm.recv(rank, kTextTag, received.data() + begin,
                  static_cast<int>(std::min(kPiece, size - begin)));
      }
      out->Write(received);
    }
  } else {
    const uint64_t size = text.size();
    comm.send(0, kSizeTag, size);
    for (size_t begin = 0; begin < size; begin += kPiece) {
      comm.send(0, kTextTag, text.data() + begin, static_cast<int>(std::min(kPiece, size - begin)));
    }
  }
}

LineBlock BlockOfRank(int64_t total, int rank, int size) {
  const auto at = [&](int r) {
    return static_cast<int64_t>(static_cast<__int128>(total) * r / size);
  };
  return {at(rank), at(rank + 1)};
}

}  // namespace aligner::mpi
