//===- ThreadPool.cpp - The micro-kernels' fork-join pool -----------------===//
#include "ThreadPool.h"

namespace tessel::uk {

namespace {
/// Spin iterations before a thread blocks (each a pause instruction, about
/// 40 ns on current x86): some tens of microseconds.
constexpr int kSpins = 2000;

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
} // namespace

ThreadPool::ThreadPool(int threads) {
  // pthreads rather than std::thread: a failed start is an error code here,
  // not an exception in a library built without them.
  workers.reserve(threads > 1 ? threads - 1 : 0);
  for (int i = 1; i < threads; ++i) {
    workers.push_back({this, i, pthread_t()});
    if (pthread_create(&workers.back().thread, nullptr, workerMain,
                       &workers.back()) != 0) {
      workers.pop_back();
      started = false;
      break;
    }
  }
}

void *ThreadPool::workerMain(void *arg) {
  Worker *w = static_cast<Worker *>(arg);
  w->pool->workerLoop(w->index);
  return nullptr;
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping.store(true);
    generation.fetch_add(1, std::memory_order_release);
  }
  wake.notify_all();
  for (Worker &w : workers)
    pthread_join(w.thread, nullptr);
}

void ThreadPool::work(int thread) {
  for (;;) {
    int64_t t = next.fetch_add(1, std::memory_order_relaxed);
    if (t >= tasks)
      return;
    fn(arg, t, thread);
    if (finished.fetch_add(1, std::memory_order_acq_rel) + 1 == tasks) {
      std::lock_guard<std::mutex> lock(mutex);
      done.notify_one();
    }
  }
}

void ThreadPool::run(int64_t n, TaskFn f, void *a) {
  if (n <= 0)
    return;
  if (workers.empty() || n == 1) {
    for (int64_t t = 0; t < n; ++t)
      f(a, t, 0);
    return;
  }
  // Workers may still be leaving the previous job (claiming past its end):
  // shut the door and wait for them before rewriting it.
  closed.store(true);
  while (active.load() != 0)
    cpuRelax();
  fn = f;
  arg = a;
  tasks = n;
  next.store(0, std::memory_order_relaxed);
  finished.store(0, std::memory_order_relaxed);
  closed.store(false);
  {
    std::lock_guard<std::mutex> lock(mutex);
    generation.fetch_add(1, std::memory_order_release);
  }
  wake.notify_all();
  work(0);
  for (int i = 0; i < kSpins; ++i) {
    if (finished.load(std::memory_order_acquire) == n)
      return;
    cpuRelax();
  }
  std::unique_lock<std::mutex> lock(mutex);
  done.wait(lock,
            [&] { return finished.load(std::memory_order_acquire) == n; });
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    bool fresh = false;
    for (int i = 0; i < kSpins; ++i) {
      if (generation.load(std::memory_order_acquire) != seen) {
        fresh = true;
        break;
      }
      cpuRelax();
    }
    if (!fresh) {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] {
        return generation.load(std::memory_order_acquire) != seen;
      });
    }
    seen = generation.load(std::memory_order_acquire);
    if (stopping.load())
      return;
    // Enter only an open job, and only the one `seen` names (sequentially
    // consistent with the caller's closed/active handshake).
    active.fetch_add(1);
    if (!closed.load() && generation.load() == seen)
      work(index);
    active.fetch_sub(1);
  }
}

} // namespace tessel::uk
