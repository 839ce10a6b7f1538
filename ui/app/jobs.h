// jobs.h — long work (loading a model, running a prompt, a sweep, SAE training) off the frame.
//
// A Job is cut into steps. The runner calls step() until it returns true, then finish() on the UI
// thread, which moves the results into the app. Natively the steps run on a worker thread; in the
// browser build (no pthreads) they run inside frames, a few milliseconds of steps per frame, so
// the page keeps drawing and a sweep's progress bar moves. Either way, the UI thread never waits
// for a job.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace attnscope::ui {

struct AppState;

class Job {
 public:
  virtual ~Job() = default;
  // Does the next slice of the work (on the worker, or inside a frame); true when done. Touches
  // only the job's own data. Errors go into error().
  virtual bool step() = 0;
  // On the UI thread, after the last step, unless cancelled or failed.
  virtual void finish(AppState& state) = 0;
  // On the UI thread instead of finish() when the job failed: undo what starting it showed
  // (a progress bar, "loading"), keep the reason beside the view. The runner also reports it.
  virtual void failed(AppState&, const std::string& /*error*/) {}

  const std::string& title() const { return title_; }
  float progress() const { return progress_.load(); }
  bool cancel_requested() const { return cancel_.load(); }
  void request_cancel() { cancel_.store(true); }
  const std::string& error() const { return error_; }
  // From the job's own thread only.
  void set_progress(float p) { progress_.store(p); }

 protected:
  explicit Job(std::string title) : title_(std::move(title)) {}
  void fail(std::string message) { error_ = std::move(message); }

 private:
  std::string title_;
  std::atomic<float> progress_{0.0f};
  std::atomic<bool> cancel_{false};
  std::string error_;  // written by the worker before it says it is done; read after
};

// A one-step job from two functions: `work` runs off the UI thread and returns an error message
// ("" on success); it may report progress and watch for cancellation through the job it gets.
// `done` runs on the UI thread afterwards; `on_failure` (optional) instead of it, with the
// message, when `work` returned an error.
using JobFailure = std::function<void(AppState&, const std::string& error)>;
std::unique_ptr<Job> make_job(std::string title, std::function<std::string(Job&)> work,
                              std::function<void(AppState&)> done, JobFailure on_failure = {});

// Runs one job at a time. A job started while another runs waits for it, in order; it replaces a
// waiting job of the same title (jobs read the state when they start, so the newest "Running the
// prompt" is the one wanted), never one of another kind (a model load must not be lost to a
// prompt typed while it waits).
// cancel() stops the running job and drops its results.
class JobRunner {
 public:
  JobRunner();
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  void start(std::unique_ptr<Job> job);
  // Once per frame on the UI thread: runs steps (browser) and finishes a completed job. Returns
  // the error of a job that failed during this call, or "".
  std::string poll(AppState& state);
  void cancel();
  // The title of the job whose error the last poll() returned (what the error belongs to).
  const std::string& failed_title() const;
  bool busy() const;
  const Job* current() const;  // null when idle
  // "worker thread" or "split across frames".
  static const char* mode();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace attnscope::ui
