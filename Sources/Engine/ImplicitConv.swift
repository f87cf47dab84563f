// The convolution without an im2col matrix: on AVX-512 and AVX2 CPUs the C kernels of ConvKernels read
// each patch straight from a zero-padded copy of the input and add each patch's gradient
// straight into the input's gradient, so the GEMMs' operands are never copied out
// and packed. Through OpenBLAS, im2col and packing cost about a fifth of the conv's time and the
// first layer (3 input channels) ran at a quarter of sgemm's speed.
import ConvKernels
#if canImport(Glibc)
import Glibc
#endif

struct ImplicitConv {
    /// The instruction set the kernels run with here: the widest this CPU has (AVX-512, else
    /// AVX2 with FMA), or what `AIR_CONV_KERNELS` asks for (`avx512`, `avx2`, or `im2col` for
    /// none; never wider than the CPU's; another value is named on stderr and ignored); 0 where the
    /// im2col path stays.
    static let isa: Int = {
        let best = Int(air_conv_best_isa())
        switch getenv("AIR_CONV_KERNELS").map({ String(cString: $0) }) {
        case "im2col": return 0
        case "avx2": return min(best, Int(AIR_CONV_AVX2))
        case nil, "", "avx512": return best
        case let other?:
            // A misspelt choice must not pass for a measured one.
            fputs("air: AIR_CONV_KERNELS=\(other) is not avx512, avx2 or im2col; the widest set this CPU has is used\n", stderr)
            return best
        }
    }()

    /// The set conv2d uses now: the kernels run on one thread, so with more OpenBLAS threads
    /// the threaded im2col path stays (0).
    static var chosen: Int { BLAS.threads == 1 ? isa : 0 }

    let geometry: ConvGeometry
    let shape: AirConvShape

    /// The kernels for `g` with `outChannels` filters, in instruction set `isa` (one this CPU has).
    init(geometry g: ConvGeometry, outChannels: Int, isa: Int) {
        geometry = g
        shape = AirConvShape(batch: g.batch, h: g.height, w: g.width, c: g.channels, kh: g.kernelH, kw: g.kernelW,
                             stride: g.stride, pad: g.padding, oh: g.outH, ow: g.outW, o: outChannels, isa: isa)
    }

    /// Forward pass and filter gradient (o a multiple of 16). A direct (1×1) conv's input is
    /// already its im2col matrix, so it stays one sgemm.
    var takesForward: Bool { !geometry.isDirect && withUnsafePointer(to: shape) { air_conv_filter_shape_ok($0) != 0 } }
    /// Data gradient (also c a multiple of 16).
    var takesDataGradient: Bool { !geometry.isDirect && withUnsafePointer(to: shape) { air_conv_data_shape_ok($0) != 0 } }

    /// Floats of scratch `forward(x:…)` needs: the transposed filter and the copied patches.
    var forwardScratch: Int { geometry.patch * (shape.o + Int(AIR_CONV_CHUNK)) }

    /// Output pixels `pieces` (flattened over the batch) of y = relu?(x ∗ weight + bias) into y,
    /// with `forwardScratch` floats of `scratch`.
    func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool,
                 pieces: [Range<Int>], into y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let wt = scratch, border = scratch + geometry.patch * shape.o
        transpose(weight, into: wt)
        let starts = pieces.map(\.lowerBound), counts = pieces.map(\.count)
        withUnsafePointer(to: shape) { air_conv_forward($0, x, wt, bias, relu ? 1 : 0, starts, counts, starts.count, y, border) }
    }

    /// Every output pixel, from the padded copy `xp` of x (`pad`): the values `forward(x:…)` gives.
    func forward(padded xp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool,
                 into y: UnsafeMutablePointer<Float>, scratch wt: UnsafeMutablePointer<Float>) {
        transpose(weight, into: wt)
        withUnsafePointer(to: shape) { air_conv_forward_padded($0, xp, wt, bias, relu ? 1 : 0, y) }
    }

    /// wt [patch, o] = weight [o, patch]ᵀ.
    func transpose(_ weight: UnsafePointer<Float>, into wt: UnsafeMutablePointer<Float>) {
        let o = shape.o, patch = geometry.patch
        for j in 0..<o { for k in 0..<patch { wt[k * o + j] = weight[j * patch + k] } }
    }

    var paddedCount: Int { withUnsafePointer(to: shape) { air_conv_padded_count($0) } }

    /// x with the padding's zeros around each image, in `paddedCount` floats of `xp`.
    func pad(_ x: UnsafePointer<Float>, into xp: UnsafeMutablePointer<Float>) {
        withUnsafePointer(to: shape) { air_conv_pad($0, x, xp) }
    }

    /// gw (OHWI) = or += the filter gradient of output gradient `dy` for the input whose padded copy is `xp`.
    func filterGradient(padded xp: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                        into gw: (pointer: UnsafeMutablePointer<Float>, overwrite: Bool), tape: Tape) {
        let o = shape.o, patch = geometry.patch
        let dwt = tape.scratch(patch * o, zeroed: true)      // [patch, o]
        withUnsafePointer(to: shape) { air_conv_filter_gradient($0, xp, dy, dwt) }
        for j in 0..<o {
            let row = gw.pointer + j * patch
            if gw.overwrite {
                for k in 0..<patch { row[k] = dwt[k * o + j] }
            } else {
                for k in 0..<patch { row[k] += dwt[k * o + j] }
            }
        }
    }

    /// gx += the input gradient of output gradient `dy` through filter `weight` (OHWI).
    func dataGradient(dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, into gx: UnsafeMutablePointer<Float>) {
        withUnsafePointer(to: shape) { air_conv_data_gradient($0, dy, weight, gx) }
    }
}

/// The path conv2d takes now: "avx512" or "avx2" (the implicit-GEMM kernels) or "im2col".
public var convolutionPath: String {
    switch ImplicitConv.chosen {
    case Int(AIR_CONV_AVX512): return "avx512"
    case Int(AIR_CONV_AVX2): return "avx2"
    default: return "im2col"
    }
}
