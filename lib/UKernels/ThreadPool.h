//===- ThreadPool.h - The micro-kernels' fork-join pool ---------*- C++ -*-===//
//
// A fixed set of workers that run one parallel loop at a time. The caller
// takes part as thread 0; tasks are handed out by an atomic counter, so the
// order in which tasks run (and the thread that runs each) is not fixed.
// A call returns when its tasks are done, not when every worker has checked
// in: a worker that another process keeps off its core delays nobody (the
// caller takes its tasks). Workers spin briefly before they sleep, so that
// back-to-back kernel calls do not pay a futex wake-up each.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_LIB_UKERNELS_THREADPOOL_H
#define TESSEL_LIB_UKERNELS_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <pthread.h>
#include <vector>

namespace tessel::uk {

class ThreadPool {
public:
  using TaskFn = void (*)(void *arg, int64_t task, int thread);

  /// Starts `threads - 1` workers (none for threads <= 1).
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// Whether every worker started (the pool is unusable otherwise).
  bool ok() const { return started; }
  /// Threads that run tasks, the caller included.
  int size() const { return static_cast<int>(workers.size()) + 1; }

  /// Runs fn(arg, task, thread) for every task in [0, tasks) and returns
  /// when all are done; `thread` is in [0, size()).
  void run(int64_t tasks, TaskFn fn, void *arg);

private:
  static void *workerMain(void *arg);
  void workerLoop(int index);
  void work(int thread);

  struct Worker {
    ThreadPool *pool;
    int index;
    pthread_t thread;
  };
  std::vector<Worker> workers;
  bool started = true;
  std::mutex mutex;
  std::condition_variable wake, done;
  std::atomic<uint64_t> generation{0};
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> finished{0};
  /// Workers inside a job. While `closed` is set none may enter, so the
  /// caller can rewrite the job once `active` is 0.
  std::atomic<int> active{0};
  std::atomic<bool> closed{false};
  std::atomic<bool> stopping{false};
  TaskFn fn = nullptr;
  void *arg = nullptr;
  int64_t tasks = 0;
};

} // namespace tessel::uk

#endif // TESSEL_LIB_UKERNELS_THREADPOOL_H
