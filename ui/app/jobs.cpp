// jobs.cpp — the job runner: a worker thread natively, steps inside frames in the browser.
#include "ui/app/jobs.h"

#include <chrono>

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
              std::function<void(AppState&)> done)
      : Job(std::move(title)), work_(std::move(work)), done_(std::move(done)) {}
  bool step() override {
    if (std::string message = work_(*this); !message.empty()) fail(std::move(message));
    set_progress(1.0f);
    return true;
  }
  void finish(AppState& state) override { done_(state); }

 private:
  std::function<std::string(Job&)> work_;
  std::function<void(AppState&)> done_;
};

}  // namespace

std::unique_ptr<Job> make_job(std::string title, std::function<std::string(Job&)> work,
                              std::function<void(AppState&)> done) {
  return std::make_unique<FunctionJob>(std::move(title), std::move(work), std::move(done));
}

struct JobRunner::Impl {
  std::unique_ptr<Job> job;      // running (or finished, waiting for poll)
  std::unique_ptr<Job> pending;  // starts once the cancelled `job` has stopped
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
    impl_->pending = std::move(job);  // replaces an older pending one: it would be stale
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
    if (finished->error().empty())
      finished->finish(state);
    else
      error = finished->title() + ": " + finished->error();
  }
  // finish() may have started a follow-up job; the pending one then waits its turn.
  if (impl_->pending && !impl_->job) impl_->launch(std::move(impl_->pending));
  return error;
}

void JobRunner::cancel() {
  if (impl_->job) impl_->job->request_cancel();
  impl_->pending.reset();
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
