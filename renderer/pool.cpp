#include "pool.hpp"

air_pool::air_pool(int threads) : scratch(threads < 1 ? 1 : threads) {
    for (int w = 1; w < threads; w++) workers.emplace_back([this, w] { loop(w); });
}

air_pool::~air_pool() {
    {
        std::lock_guard<std::mutex> lock(m);
        stop = true;
    }
    wake.notify_all();
    for (std::thread &t : workers) t.join();
}

void air_pool::run(const std::function<void(int)> &fn) {
    std::lock_guard<std::mutex> serial(busy);
    if (!workers.empty()) {
        std::lock_guard<std::mutex> lock(m);
        job = &fn;
        pending = int(workers.size());
        generation++;
    }
    wake.notify_all();
    fn(0);
    std::unique_lock<std::mutex> lock(m);
    done.wait(lock, [this] { return pending == 0; });
}

void air_pool::loop(int worker) {
    unsigned long long seen = 0;
    std::unique_lock<std::mutex> lock(m);
    for (;;) {
        wake.wait(lock, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
        const std::function<void(int)> *fn = job;
        lock.unlock();
        (*fn)(worker);
        lock.lock();
        if (--pending == 0) done.notify_one();
    }
}
