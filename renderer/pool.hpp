// A persistent thread pool: threads are started once and woken for each job.
#pragma once
#include "air_renderer.h"
#include "scene.hpp"
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

struct air_pool {
    explicit air_pool(int threads);
    ~air_pool();
    air_pool(const air_pool &) = delete;
    air_pool &operator=(const air_pool &) = delete;

    int threads() const { return int(workers.size()) + 1; }

    // Calls job(w) once for every worker w in 0 ..< threads() (w = 0 on the calling thread)
    // and returns when all calls have returned. One job at a time; concurrent callers wait.
    void run(const std::function<void(int)> &job);

    // Per-worker working memory, indexed like job's argument.
    std::vector<air::Scratch> scratch;

private:
    void loop(int worker);

    std::vector<std::thread> workers;
    std::mutex busy;  // held for the whole of run()
    std::mutex m;
    std::condition_variable wake, done;
    const std::function<void(int)> *job = nullptr;
    unsigned long long generation = 0;
    int pending = 0;
    bool stop = false;
};
