#include "aligner/base/progress.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace aligner {

ProgressCallback ScopedProgress(ProgressCallback callback, std::string scope) {
  if (!callback) return nullptr;
  return [callback = std::move(callback), scope = std::move(scope)](const ProgressUpdate& update) {
    ProgressUpdate scoped = update;
    scoped.scope = scope;
    callback(scoped);
  };
}

double SteadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

ProgressCounter::ProgressCounter(ProgressCallback callback, std::string task, uint64_t total,
                                 double interval, Clock clock)
    : callback_(std::move(callback)),
      enabled_(static_cast<bool>(callback_)),
      task_(std::move(task)),
      total_(total),
      interval_(interval),
      clock_(clock),
      start_(enabled_ ? clock() : 0),
      next_due_(start_) {}

void ProgressCounter::MaybeReport(uint64_t done) {
  const double now = clock_();
  double due = next_due_.load(std::memory_order_relaxed);
  if (now < due) return;
  // Only the thread that moves the deadline reports; the others go on.
  if (!next_due_.compare_exchange_strong(due, now + interval_, std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  // A thread that read `done` earlier may report after one that read it
  // later: never show the count going back.
  Report(std::max(done, reported_), false);
}

void ProgressCounter::Finish() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  Report(done_.load(std::memory_order_relaxed), true);
}

void ProgressCounter::Report(uint64_t done, bool finished) {
  reported_ = done;
  ProgressUpdate update;
  update.task = task_;
  update.done = done;
  update.total = total_;
  update.seconds = clock_() - start_;
  update.finished = finished;
  callback_(update);
}

namespace {

// 950, 52.1k, 3.4M
std::string Rate(double per_second) {
  if (per_second >= 1e6) return absl::StrFormat("%.1fM", per_second / 1e6);
  if (per_second >= 1e3) return absl::StrFormat("%.1fk", per_second / 1e3);
  return absl::StrFormat("%.0f", per_second);
}

// 0:07, 12:34, 1:02:03
std::string Duration(double seconds) {
  const int64_t s = static_cast<int64_t>(std::ceil(std::max(0.0, seconds)));
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

}  // namespace

std::string FormatProgress(const ProgressUpdate& u) {
  std::string text = u.scope.empty() ? u.task : absl::StrCat(u.scope, ": ", u.task);
  const int percent = u.total > 0 ? static_cast<int>(100.0 * u.done / u.total) : 100;
  absl::StrAppend(&text, " ", percent, "% (", u.done, "/", u.total, " pairs)");
  // A rate from the first few milliseconds says little.
  if (u.seconds >= 0.05 && u.done > 0) {
    const double rate = u.done / u.seconds;
    absl::StrAppend(&text, ", ", Rate(rate), " pairs/s");
    if (u.done < u.total)
      absl::StrAppend(&text, ", ", Duration((u.total - u.done) / rate), " left");
  }
  return text;
}

ProgressLine::ProgressLine(Writer write, std::string prefix, size_t width)
    : write_(std::move(write)), prefix_(std::move(prefix)), width_(width) {}

void ProgressLine::Update(const ProgressUpdate& update) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto slot = std::find_if(active_.begin(), active_.end(),
                           [&](const auto& entry) { return entry.first == update.scope; });
  if (update.finished) {
    if (slot != active_.end()) active_.erase(slot);
  } else if (slot != active_.end()) {
    slot->second = FormatProgress(update);
  } else {
    active_.emplace_back(update.scope, FormatProgress(update));
  }
  if (active_.empty()) {
    Erase();
  } else {
    Draw();
  }
}

void ProgressLine::PrintLine(std::string_view line) {
  std::lock_guard<std::mutex> lock(mutex_);
  Erase();
  std::string text(line);
  text.push_back('\n');
  write_(text);
}

void ProgressLine::Clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  active_.clear();
  Erase();
}

void ProgressLine::Draw() {
  std::string text = prefix_;
  for (size_t k = 0; k < active_.size(); ++k) {
    absl::StrAppend(&text, k > 0 ? "  |  " : "", active_[k].second);
  }
  if (width_ > 0 && text.size() > width_ - 1) text.resize(width_ - 1);
  const size_t length = text.size();
  if (drawn_ > length) text.append(drawn_ - length, ' ');
  write_(absl::StrCat("\r", text));
  drawn_ = length;
}

void ProgressLine::Erase() {
  if (drawn_ == 0) return;
  write_(absl::StrCat("\r", std::string(drawn_, ' '), "\r"));
  drawn_ = 0;
}

}  // namespace aligner
