import ArgumentParser
import Engine
import Random
#if canImport(Glibc)
import Glibc
#endif

/// `air bench engine`: forward+backward throughput of the engine's building blocks, as JSON lines.
struct BenchEngine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Benchmark the tensor engine (sgemm ceiling, MLP, conv encoder, LSTM step, STN glimpses, per-op overhead).")

    @Option(help: "OpenBLAS threads (default: OPENBLAS_NUM_THREADS, else 1).")
    var threads: Int?

    @Option(help: "Seconds to spend per case (after one warm-up run).")
    var seconds: Double = 1.5

    @Option(help: "Comma-separated cases to run (sgemm,mlp,conv,lstm,stn,overhead).")
    var cases: String = "sgemm,mlp,conv,lstm,stn,overhead"

    static let allCases: Set<String> = ["sgemm", "mlp", "conv", "lstm", "stn", "overhead"]

    /// The thread count OpenBLAS started with (OPENBLAS_NUM_THREADS), if set.
    static var startedThreads: Int? { getenv("OPENBLAS_NUM_THREADS").flatMap { Int(String(cString: $0)) } }

    func validate() throws {
        let unknown = Set(cases.split(separator: ",").map(String.init)).subtracting(Self.allCases)
        if !unknown.isEmpty {
            throw ValidationError("--cases: unknown case(s) \(unknown.sorted().joined(separator: ", ")); choose from \(Self.allCases.sorted().joined(separator: ","))")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        // OpenBLAS sizes its buffers for the thread count it starts with and crashes when asked for more.
        if let threads, let started = Self.startedThreads, threads > started {
            throw ValidationError("--threads \(threads) exceeds OPENBLAS_NUM_THREADS=\(started), the most OpenBLAS can run in this process; raise or unset OPENBLAS_NUM_THREADS")
        }
        if !(seconds > 0) { throw ValidationError("--seconds must be positive, got \(seconds)") }
    }

    func run() throws {
        let n = threads ?? Self.startedThreads ?? 1
        BLAS.setThreads(n)
        let wanted = Set(cases.split(separator: ",").map(String.init))
        // Dense cases report their fraction of the sgemm ceiling, so it is measured for them too.
        var ceiling = 0.0
        if !wanted.isDisjoint(with: ["sgemm", "mlp", "conv", "lstm"]) {
            ceiling = sgemmCeiling(threads: n, emit: wanted.contains("sgemm"))
        }
        var rng = RNG(seed: 1)
        if wanted.contains("mlp") { mlp(threads: n, ceiling: ceiling, rng: &rng) }
        if wanted.contains("conv") { conv(threads: n, ceiling: ceiling, rng: &rng) }
        if wanted.contains("lstm") { lstm(threads: n, ceiling: ceiling, rng: &rng) }
        if wanted.contains("stn") { stn(threads: n, rng: &rng) }
        if wanted.contains("overhead") { overhead(threads: n) }
    }

    /// Seconds per call of `body`: the fastest of the repetitions run in about `seconds` after a
    /// warm-up call. Single-threaded runs are timed in this thread's CPU time, so that other
    /// processes sharing the cores do not count; multi-threaded runs use wall-clock time.
    func time(_ body: () -> Void) -> Double {
        body()
        var reps = 0
        let start = now(CLOCK_MONOTONIC)
        var best = Double.infinity
        repeat {
            let t0 = now(clock)
            body()
            best = min(best, now(clock) - t0)
            reps += 1
        } while now(CLOCK_MONOTONIC) - start < seconds || reps < 3
        return best
    }

    var clock: clockid_t { BLAS.threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC }

    func now(_ id: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(id, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    func emit(_ name: String, threads: Int, _ fields: [(String, Double)], path: String? = nil) {
        let rest = fields.map { "\"\($0.0)\": \(($0.1 * 1000).rounded() / 1000)" }.joined(separator: ", ")
        let via = path.map { ", \"path\": \"\($0)\"" } ?? ""
        print("{\"bench\": \"engine\", \"case\": \"\(name)\", \"threads\": \(threads), \(rest)\(via)}")
    }

    /// GFLOP/s of one large square sgemm through the engine's matmul (no tape recording).
    func sgemmCeiling(threads: Int, emit doEmit: Bool) -> Double {
        let size = 1024
        var rng = RNG(seed: 0)
        let tape = Tape(recording: false)
        let a = tape.randn([size, size], rng: &rng), b = tape.randn([size, size], rng: &rng)
        let t = time {
            _ = matmul(a, b)
            tape.reset()
        }
        let gflops = 2 * pow(Double(size), 3) / t / 1e9
        if doEmit { emit("sgemm", threads: threads, [("gflops", gflops), ("us_per_op", t * 1e6)]) }
        return gflops
    }

    /// Dense FLOPs of y = x·W forward plus dW (and dX when the input needs a gradient).
    func denseFlops(rows: Int, k: Int, n: Int, inputGrad: Bool) -> Double {
        2 * Double(rows * k * n) * (inputGrad ? 3 : 2)
    }

    func mlp(threads: Int, ceiling: Double, rng: inout RNG) {
        let batch = 64
        let net = MLP([12288, 256, 256], rng: &rng)
        let tape = Tape()
        let input = Tensor(shape: [batch, 12288], values: (0..<(batch * 12288)).map { _ in Float(rng.normal()) })
        let seed = [Float](repeating: 1, count: batch * 256)
        let t = time {
            tape.reset()
            let y = net(tape.watch(input))      // zero-copy view of the batch
            tape.backward([(y, seed)])
            net.zeroGrad()
        }
        let flops = denseFlops(rows: batch, k: 12288, n: 256, inputGrad: false) + denseFlops(rows: batch, k: 256, n: 256, inputGrad: true)
        let g = flops / t / 1e9
        emit("mlp", threads: threads, [("gflops", g), ("fraction_of_sgemm", g / ceiling), ("us_per_op", t * 1e6)])
    }

    func conv(threads: Int, ceiling: Double, rng: inout RNG) {
        let batch = 64
        let layers = [Conv2d(3, 32, kernel: 4, stride: 2, padding: 1, rng: &rng),     // 64 → 32
                      Conv2d(32, 64, kernel: 4, stride: 2, padding: 1, rng: &rng),    // 32 → 16
                      Conv2d(64, 64, kernel: 4, stride: 2, padding: 1, rng: &rng)]    // 16 → 8
        let tape = Tape()
        let x = Tensor(shape: [batch, 64, 64, 3], values: (0..<(batch * 64 * 64 * 3)).map { _ in rng.uniformFloat() })
        let seed = [Float](repeating: 1, count: batch * 8 * 8 * 64)
        let t = time {
            tape.reset()
            let img = tape.watch(x)
            var h = img
            for l in layers { h = l(h, relu: true) }
            tape.backward([(h, seed)])
            for l in layers { l.zeroGrad() }
        }
        var flops = 0.0
        var size = 64, c = 3
        for (i, l) in layers.enumerated() {
            let out = size / 2, o = l.weight.shape[0]
            flops += denseFlops(rows: batch * out * out, k: 16 * c, n: o, inputGrad: i > 0)
            size = out; c = o
        }
        let g = flops / t / 1e9
        emit("conv", threads: threads, [("gflops", g), ("fraction_of_sgemm", g / ceiling), ("us_per_op", t * 1e6)],
             path: convolutionPath)
    }

    func lstm(threads: Int, ceiling: Double, rng: inout RNG) {
        let batch = 64, hidden = 256
        let cell = LSTMCell(hidden, hidden, rng: &rng)
        // x and the state need gradients, as inside an unrolled sequence.
        let xp = Tensor.normalParameter(shape: [batch, hidden], std: 1, rng: &rng)
        let hp = Tensor.normalParameter(shape: [batch, hidden], std: 1, rng: &rng)
        let cp = Tensor.normalParameter(shape: [batch, hidden], std: 1, rng: &rng)
        let tape = Tape()
        let seed = [Float](repeating: 1, count: batch * hidden)
        let t = time {
            tape.reset()
            let (h, c) = cell(tape.watch(xp), (tape.watch(hp), tape.watch(cp)))
            tape.backward([(h, seed), (c, seed)])
            cell.zeroGrad()
        }
        let g = denseFlops(rows: batch, k: 2 * hidden, n: 4 * hidden, inputGrad: true) / t / 1e9
        emit("lstm", threads: threads, [("gflops", g), ("fraction_of_sgemm", g / ceiling), ("us_per_op", t * 1e6)])
    }

    func stn(threads: Int, rng: inout RNG) {
        let batch = 64
        let tape = Tape()
        let image = Tensor(shape: [batch, 64, 64, 3], values: (0..<(batch * 64 * 64 * 3)).map { _ in rng.uniformFloat() })
        var tv: [Float] = []
        for _ in 0..<batch {
            let s = Float(rng.uniform(0.2, 0.6))
            tv += [s, 0, Float(rng.uniform(-0.5, 0.5)), 0, s, Float(rng.uniform(-0.5, 0.5))]
        }
        let theta = Tensor.parameter(shape: [batch, 2, 3], values: tv)
        let seed = [Float](repeating: 1, count: batch * 24 * 24 * 3)
        let t = time {
            tape.reset()
            let img = tape.watch(image)
            let g = glimpse(img, theta: tape.watch(theta), height: 24, width: 24)
            tape.backward([(g, seed)])
            theta.zeroGrad()
        }
        emit("stn", threads: threads, [("us_per_op", t * 1e6)])
    }

    /// Forward + backward cost per op on 2×2 tensors: a chain of 300 cheap ops.
    func overhead(threads: Int) {
        let w = Tensor.parameter(shape: [2, 2], values: [0.1, 0.2, 0.3, 0.4])
        let tape = Tape()
        let ops = 300
        let t = time {
            tape.reset()
            var h = tape.watch(w)
            let c = tape.constant(shape: [2, 2], values: [0.5, 0.5, 0.5, 0.5])
            for i in 0..<(ops / 3) {
                h = h * c
                h = h + c
                h = i % 2 == 0 ? tanh(h) : relu(h)
            }
            tape.backward([(h, [1, 1, 1, 1])])
            w.zeroGrad()
        }
        emit("overhead", threads: threads, [("us_per_op", t * 1e6 / Double(ops))])
    }
}
