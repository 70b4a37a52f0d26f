// Tests for the progress counter the parallel loops report through, and the
// status line the CLI draws from it on a terminal.
#include "aligner/base/progress.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace aligner {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A clock the tests move by hand.
double fake_now = 0;
double FakeClock() { return fake_now; }

class ProgressCounterTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_now = 100; }
  ProgressCallback Record() {
    return [this](const ProgressUpdate& update) { updates_.push_back(update); };
  }
  std::vector<ProgressUpdate> updates_;
};

// The first block reports at once; later ones only once the interval has
// passed since the last report; the final update always comes, once.
TEST_F(ProgressCounterTest, ReportsAtMostOncePerIntervalAndFinishesOnce) {
  {
    ProgressCounter counter(Record(), "model1 iteration 1: E-step", 1000, 0.25, FakeClock);
    counter.Add(10);  // t = 0: reported
    fake_now += 0.1;
    counter.Add(10);  // t = 0.1: too soon
    fake_now += 0.1;
    counter.Add(10);  // t = 0.2: too soon
    fake_now += 0.1;
    counter.Add(10);  // t = 0.3: due (0.25 after the first)
    fake_now += 0.2;
    counter.Add(10);  // t = 0.5: too soon (0.2 after the last)
    fake_now += 1;
    counter.Add(950);  // t = 1.5: due
    counter.Finish();
    counter.Finish();  // no second final update
    counter.Add(5);    // after the end: ignored
  }                    // the destructor does not finish again
  ASSERT_EQ(updates_.size(), 4u);
  EXPECT_EQ(updates_[0].done, 10u);
  EXPECT_DOUBLE_EQ(updates_[0].seconds, 0);
  EXPECT_EQ(updates_[1].done, 40u);
  EXPECT_NEAR(updates_[1].seconds, 0.3, 1e-9);
  EXPECT_EQ(updates_[2].done, 1000u);
  EXPECT_FALSE(updates_[2].finished);
  EXPECT_EQ(updates_[3].done, 1000u);
  EXPECT_TRUE(updates_[3].finished);
  for (const ProgressUpdate& u : updates_) {
    EXPECT_EQ(u.task, "model1 iteration 1: E-step");
    EXPECT_EQ(u.total, 1000u);
    EXPECT_EQ(u.scope, "");
  }
}

// A counter that is destroyed unfinished (an early return) still sends its
// final update, so a status line is never left behind.
TEST_F(ProgressCounterTest, DestructorFinishes) {
  {
    ProgressCounter counter(Record(), "aligning", 5, 0.25, FakeClock);
    counter.Add(2);
  }
  ASSERT_EQ(updates_.size(), 2u);
  EXPECT_TRUE(updates_[1].finished);
  EXPECT_EQ(updates_[1].done, 2u);
}

// Without a callback nothing happens, and the counter says it is off so
// that loops can skip it.
TEST_F(ProgressCounterTest, NullCallbackIsOff) {
  ProgressCounter counter(nullptr, "aligning", 5);
  EXPECT_FALSE(counter.enabled());
  counter.Add(3);
  counter.Finish();
  EXPECT_FALSE(ScopedProgress(nullptr, "forward"));
}

// Blocks added from many threads sum exactly, the reports never go back,
// and no two reports overlap.
TEST_F(ProgressCounterTest, ThreadsAddExactly) {
  std::vector<uint64_t> seen;
  bool inside = false, overlapped = false;
  ProgressCounter counter(
      [&](const ProgressUpdate& u) {
        if (inside) overlapped = true;
        inside = true;
        seen.push_back(u.done);
        inside = false;
      },
      "E-step", 100000, 0.0);
  tbb::task_arena arena(4);
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<size_t>(0, 100000, 64),
                      [&](const tbb::blocked_range<size_t>& r) { counter.Add(r.size()); });
  });
  counter.Finish();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 100000u);
  for (size_t k = 1; k < seen.size(); ++k) EXPECT_GE(seen[k], seen[k - 1]);
  EXPECT_FALSE(overlapped);
}

TEST(FormatProgressTest, ShowsShareCountRateAndTimeLeft) {
  ProgressUpdate u;
  u.task = "hmm iteration 3: E-step";
  u.done = 4100;
  u.total = 10000;
  u.seconds = 2.05;  // 2000 pairs/s, 5900 left: 2.95 s
  EXPECT_EQ(FormatProgress(u),
            "hmm iteration 3: E-step 41% (4100/10000 pairs), 2.0k pairs/s, 0:03 left");
  u.scope = "reverse";
  u.seconds = 0.01;  // too early for a rate
  EXPECT_EQ(FormatProgress(u), "reverse: hmm iteration 3: E-step 41% (4100/10000 pairs)");
  u.scope.clear();
  u.done = 10000;
  u.seconds = 4000;
  EXPECT_EQ(FormatProgress(u), "hmm iteration 3: E-step 100% (10000/10000 pairs), 2 pairs/s");
  u.done = 1;
  u.total = 3;
  u.seconds = 2000;  // 4000 s left
  EXPECT_THAT(FormatProgress(u), HasSubstr(", 1:06:40 left"));
}

ProgressUpdate Update(std::string scope, uint64_t done, bool finished = false) {
  ProgressUpdate u;
  u.scope = std::move(scope);
  u.task = "E-step";
  u.done = done;
  u.total = 100;
  u.finished = finished;
  return u;
}

// What the status line writes: each update redraws in place after '\r',
// covering a longer previous text with spaces; a normal line first clears
// the status line; a finished task's text goes away.
TEST(ProgressLineTest, RedrawsInPlaceAndClearsBeforeLines) {
  std::string out;
  ProgressLine line([&](std::string_view text) { out.append(text); }, "aligner align: ", 0);
  line.Update(Update("", 50));
  EXPECT_EQ(out, "\raligner align: E-step 50% (50/100 pairs)");
  out.clear();
  line.Update(Update("", 100));
  EXPECT_EQ(out, "\raligner align: E-step 100% (100/100 pairs)");
  out.clear();
  line.Update(Update("", 5));  // four characters shorter: four spaces cover them
  EXPECT_EQ(out, "\raligner align: E-step 5% (5/100 pairs)    ");
  out.clear();
  line.PrintLine("aligner align: hmm iteration 1: log-likelihood -1");
  EXPECT_EQ(out,
            "\r" + std::string(38, ' ') + "\raligner align: hmm iteration 1: log-likelihood -1\n");
  out.clear();
  line.PrintLine("next");  // nothing to clear
  EXPECT_EQ(out, "next\n");
  out.clear();
  line.Update(Update("", 7));
  out.clear();
  line.Update(Update("", 100, true));  // the last task ends: the line is cleared
  EXPECT_EQ(out, "\r" + std::string(38, ' ') + "\r");
  out.clear();
  line.Clear();  // nothing left to clear
  EXPECT_EQ(out, "");
}

// Two scopes (the directions trained at once) share the line; the width
// cuts the text so that it never wraps.
TEST(ProgressLineTest, ScopesShareTheLineWhichFitsTheWidth) {
  std::string out;
  ProgressLine line([&](std::string_view text) { out = std::string(text); }, "> ", 0);
  line.Update(Update("forward", 10));
  line.Update(Update("reverse", 20));
  EXPECT_EQ(out, "\r> forward: E-step 10% (10/100 pairs)  |  reverse: E-step 20% (20/100 pairs)");
  line.Update(Update("forward", 30));
  EXPECT_EQ(out, "\r> forward: E-step 30% (30/100 pairs)  |  reverse: E-step 20% (20/100 pairs)");
  line.Update(Update("forward", 100, true));
  EXPECT_THAT(out, HasSubstr("reverse: E-step 20%"));
  EXPECT_THAT(out, Not(HasSubstr("forward")));

  ProgressLine narrow([&](std::string_view text) { out = std::string(text); }, "> ", 12);
  narrow.Update(Update("", 10));
  EXPECT_EQ(out, "\r> E-step 10");  // 11 characters on a 12-column terminal
}

}  // namespace
}  // namespace aligner
