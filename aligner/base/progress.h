// Progress of the long parallel loops (E-steps, decoding passes), for a
// status line on a terminal. The loops count finished work per block (never
// per item) into a ProgressCounter, which hands a snapshot to a callback at
// most a few times a second; with no callback, counting costs one branch.
#ifndef ALIGNER_BASE_PROGRESS_H_
#define ALIGNER_BASE_PROGRESS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aligner {

// A snapshot of one task's progress.
struct ProgressUpdate {
  // Who runs the task when several run at once ("forward", "reverse");
  // usually empty.
  std::string scope;
  // What is counted, e.g. "hmm iteration 3: E-step".
  std::string task;
  uint64_t done = 0;
  uint64_t total = 0;
  double seconds = 0;  // since the task began
  // The task's last update: it is over (done may fall short of total only
  // when the loop stopped early).
  bool finished = false;
};

// Receives updates, one at a time (never two calls at once for one counter),
// from whichever thread finished the block that made one due. Null: no
// progress is reported.
using ProgressCallback = std::function<void(const ProgressUpdate&)>;

// `callback` with every update's scope set to `scope`; null stays null.
ProgressCallback ScopedProgress(ProgressCallback callback, std::string scope);

// Seconds on the steady clock.
double SteadySeconds();

// Counts the work of one task, from any number of threads.
class ProgressCounter {
 public:
  using Clock = double (*)();
  // Updates at most this often (plus the final one): 4 a second.
  static constexpr double kDefaultInterval = 0.25;

  // The first Add reports at once, so that even a short task shows that it
  // runs; later ones when `interval` seconds have passed since the last.
  ProgressCounter(ProgressCallback callback, std::string task, uint64_t total,
                  double interval = kDefaultInterval, Clock clock = SteadySeconds);
  // Finishes the task if Finish() was not called.
  ~ProgressCounter() { Finish(); }

  ProgressCounter(const ProgressCounter&) = delete;
  ProgressCounter& operator=(const ProgressCounter&) = delete;

  // Records `n` more items done; thread-safe. Call once per block of work.
  void Add(uint64_t n) {
    if (!enabled_) return;
    const uint64_t done = done_.fetch_add(n, std::memory_order_relaxed) + n;
    MaybeReport(done);
  }

  // Sends the final update (finished = true) once; later Adds are ignored.
  void Finish();

  bool enabled() const { return enabled_; }

 private:
  void MaybeReport(uint64_t done);
  void Report(uint64_t done, bool finished);  // with mutex_ held

  const ProgressCallback callback_;
  const bool enabled_;
  const std::string task_;
  const uint64_t total_;
  const double interval_;
  const Clock clock_;
  const double start_;
  std::atomic<uint64_t> done_{0};
  // When the next update is due (seconds on clock_); the thread that moves
  // it forward reports.
  std::atomic<double> next_due_;
  std::mutex mutex_;  // serializes the callback
  uint64_t reported_ = 0;
  bool finished_ = false;
};

// "hmm iteration 3: E-step 41% (4100/10000 pairs), 52.1k pairs/s, 0:02 left"
std::string FormatProgress(const ProgressUpdate& update);

// One status line on a terminal, redrawn in place: '\r', the text, and
// spaces over what is left of a longer previous text. Each scope's latest
// update shows, side by side. Normal lines go through PrintLine, which
// clears the status line first; it comes back with the next update.
// Thread-safe.
class ProgressLine {
 public:
  using Writer = std::function<void(std::string_view text)>;

  // Every status line starts with `prefix`; the text is cut to `width` - 1
  // characters (the terminal's columns, so that it never wraps, which would
  // defeat '\r'); width 0: never cut.
  ProgressLine(Writer write, std::string prefix, size_t width);

  void Update(const ProgressUpdate& update);
  // A callback that updates this line (which must outlive it).
  ProgressCallback callback() {
    return [this](const ProgressUpdate& update) { Update(update); };
  }
  // Clears the status line, then writes `line` and a newline.
  void PrintLine(std::string_view line);
  // Clears the status line (at the end of a run, before an error message).
  void Clear();

 private:
  void Draw();   // with mutex_ held
  void Erase();  // with mutex_ held

  const Writer write_;
  const std::string prefix_;
  const size_t width_;
  std::mutex mutex_;
  // Each scope's latest text, in the order the scopes first appeared.
  std::vector<std::pair<std::string, std::string>> active_;
  size_t drawn_ = 0;  // characters of status text on the screen
};

}  // namespace aligner

#endif  // ALIGNER_BASE_PROGRESS_H_
