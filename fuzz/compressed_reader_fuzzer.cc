// Fuzzes LineReader's Boost gzip and zstd paths: the bytes after the first
// are given the gzip or the zstd magic (the first byte chooses) and read line
// by line. zlib and libzstd decode the same bytes as an oracle: a stream that
// they find cut short must be a read error, never a clean (shorter) end of
// input; a complete, valid stream must give exactly its lines.
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aligner/io/input_file.h"
#include "fuzz/fuzz_util.h"

namespace {

using aligner::fuzz::MemFile;

// Decompressed output beyond this is not compared (decompression bombs).
constexpr size_t kMaxOutput = 1 << 22;

enum class Verdict { kComplete, kTruncated, kOther };

// Decodes gzip members back to back, as gzip -d does.
Verdict GunzipOracle(std::string_view in, std::string* out) {
  size_t pos = 0;
  while (pos < in.size()) {
    if (pos > 0 && in.substr(pos, 2) != "\x1f\x8b") return Verdict::kOther;  // trailing bytes
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) std::abort();
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + pos));
    z.avail_in = static_cast<uInt>(in.size() - pos);
    char buffer[1 << 14];
    int ret = Z_OK;
    while (ret == Z_OK) {
      z.next_out = reinterpret_cast<Bytef*>(buffer);
      z.avail_out = sizeof(buffer);
      ret = inflate(&z, Z_NO_FLUSH);
      out->append(buffer, sizeof(buffer) - z.avail_out);
      if (out->size() > kMaxOutput) ret = Z_MEM_ERROR;
      if (ret == Z_BUF_ERROR && z.avail_in == 0) break;  // wants more input
    }
    const size_t consumed = in.size() - pos - z.avail_in;
    inflateEnd(&z);
    if (ret == Z_BUF_ERROR && z.avail_in == 0) return Verdict::kTruncated;
    if (ret != Z_STREAM_END) return Verdict::kOther;
    pos += consumed;
  }
  return Verdict::kComplete;
}

Verdict UnzstdOracle(std::string_view in, std::string* out) {
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> stream(ZSTD_createDStream(),
                                                                  ZSTD_freeDStream);
  ZSTD_initDStream(stream.get());
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  char buffer[1 << 14];
  for (;;) {
    ZSTD_outBuffer output{buffer, sizeof(buffer), 0};
    const size_t ret = ZSTD_decompressStream(stream.get(), &output, &input);
    if (ZSTD_isError(ret)) return Verdict::kOther;
    out->append(buffer, output.pos);
    if (out->size() > kMaxOutput) return Verdict::kOther;
    // 0: a frame is complete and flushed. Otherwise, with all input used and
    // room left in the output, the decoder is waiting for more input.
    if (input.pos == input.size) {
      if (ret == 0) return Verdict::kComplete;
      if (output.pos < output.size) return Verdict::kTruncated;
    }
  }
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool zstd = (data[0] & 1) != 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string magic = zstd ? std::string("\x28\xb5\x2f\xfd") : std::string("\x1f\x8b");
  if (bytes.compare(0, magic.size(), magic) != 0) bytes.insert(0, magic);

  MemFile file(bytes);
  auto reader = aligner::LineReader::Open(file.path());
  CHECK(reader.ok());
  std::vector<std::string> lines;
  size_t total = 0;
  std::string line;
  while (total <= kMaxOutput && (*reader)->Next(&line)) {
    total += line.size() + 1;
    lines.push_back(line);
  }
  const bool finished = total <= kMaxOutput;
  const absl::Status status = (*reader)->status();

  std::string expected;
  const Verdict verdict = zstd ? UnzstdOracle(bytes, &expected) : GunzipOracle(bytes, &expected);
  if (verdict == Verdict::kTruncated && finished) {
    if (status.ok()) {
      std::fprintf(stderr, "truncated %s stream read as complete (%zu lines)\n",
                   zstd ? "zstd" : "gzip", lines.size());
      std::abort();
    }
  }
  if (verdict == Verdict::kComplete && finished) {
    CHECK(status.ok());
    CHECK(lines == SplitLines(expected));
  }
  return 0;
}
