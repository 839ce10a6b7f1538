// jobs.cpp — the job runner: a worker thread natively, steps inside frames in the browser.
#include "ui/app/jobs.h"

#include <chrono>
#include <deque>

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define ATTNSCOPE_JOBS_IN_FRAMES 1
#else
#include <thread>
#endif

namespace attnscope::ui {

namespace {

class FunctionJob final : public Job {
 public:
  FunctionJob(std::string title, std::function<std::string(Job&)> work,
              std::function<void(AppState&)> done, JobFailure on_failure)
      : Job(std::move(title)),
        work_(std::move(work)),
        done_(std::move(done)),
        on_failure_(std::move(on_failure)) {}
  bool step() override {
    if (std::string message = work_(*this); !message.empty()) fail(std::move(message));
    set_progress(1.0f);
    return true;
  }
  void finish(AppState& state) override { done_(state); }
  void failed(AppState& state, const std::string& error) override {
    if (on_failure_) on_failure_(state, error);
  }

 private:
  std::function<std::string(Job&)> work_;
  std::function<void(AppState&)> done_;
  JobFailure on_failure_;
};

}  // namespace

std::unique_ptr<Job> make_job(std::string title, std::function<std::string(Job&)> work,
                              std::function<void(AppState&)> done, JobFailure on_failure) {
  return std::make_unique<FunctionJob>(std::move(title), std::move(work), std::move(done),
                                       std::move(on_failure));
}

struct JobRunner::Impl {
  std::unique_ptr<Job> job;                  // running (or finished, waiting for poll)
  std::deque<std::unique_ptr<Job>> pending;  // wait for `job`, in order, one per title
  std::string failed_title;
  std::atomic<bool> done{false};
#ifndef ATTNSCOPE_JOBS_IN_FRAMES
  std::thread worker;
#endif

  void launch(std::unique_ptr<Job> next) {
    job = std::move(next);
    done.store(false);
#ifndef ATTNSCOPE_JOBS_IN_FRAMES
    worker = std::thread([this] {
      while (!job->cancel_requested() && job->error().empty() && !job->step()) {
      }
      done.store(true);
    });
#endif
  }

  // Runs steps for a few milliseconds (browser only).
  void run_slice() {
#ifdef ATTNSCOPE_JOBS_IN_FRAMES
    using clock = std::chrono::steady_clock;
    const auto until = clock::now() + std::chrono::milliseconds(12);
    while (!done.load()) {
      if (job->cancel_requested() || !job->error().empty() || job->step()) done.store(true);
      if (clock::now() >= until) break;
    }
#endif
  }

  void join() {
#ifndef ATTNSCOPE_JOBS_IN_FRAMES
    if (worker.joinable()) worker.join();
#endif
  }
};

JobRunner::JobRunner() : impl_(std::make_unique<Impl>()) {}

JobRunner::~JobRunner() {
  if (impl_->job) impl_->job->request_cancel();
  impl_->join();
}

void JobRunner::start(std::unique_ptr<Job> job) {
  if (impl_->job) {
    for (std::unique_ptr<Job>& waiting : impl_->pending)
      if (waiting->title() == job->title()) {
        waiting = std::move(job);  // the older one would be stale
        return;
      }
    impl_->pending.push_back(std::move(job));
    return;
  }
  impl_->launch(std::move(job));
}

std::string JobRunner::poll(AppState& state) {
  if (!impl_->job) return "";
  impl_->run_slice();
  if (!impl_->done.load()) return "";
  impl_->join();
  std::unique_ptr<Job> finished = std::move(impl_->job);
  std::string error;
  if (!finished->cancel_requested()) {
    if (finished->error().empty()) {
      finished->finish(state);
    } else {
      finished->failed(state, finished->error());
      error = finished->title() + ": " + finished->error();
      impl_->failed_title = finished->title();
    }
  }
  // finish() may have started a follow-up job, which then waits behind the older ones.
  if (!impl_->pending.empty() && !impl_->job) {
    std::unique_ptr<Job> next = std::move(impl_->pending.front());
    impl_->pending.pop_front();
    impl_->launch(std::move(next));
  }
  return error;
}

void JobRunner::cancel() {
  if (impl_->job) impl_->job->request_cancel();
  impl_->pending.clear();
}

const std::string& JobRunner::failed_title() const {
  return impl_->failed_title;
}

bool JobRunner::busy() const {
  return impl_->job != nullptr;
}

const Job* JobRunner::current() const {
  return impl_->job.get();
}

const char* JobRunner::mode() {
#ifdef ATTNSCOPE_JOBS_IN_FRAMES
  return "split across frames";
#else
  return "worker thread";
#endif
}

}  // namespace attnscope::ui
