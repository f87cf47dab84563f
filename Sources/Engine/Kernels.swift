// SIMD kernels for the hottest elementwise loops. Swift cannot prove that op buffers do not alias,
// so plain loops over them stay scalar; these load and store 8 floats at a time explicitly.

@inline(__always) func load8(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// y[i] = f(x[i]) 8 at a time, then the scalar tail.
@inline(__always)
func map8(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
          _ v: (SIMD8<Float>) -> SIMD8<Float>, _ s: (Float) -> Float) {
    var i = 0
    while i + 8 <= n { store8(v(load8(x, i)), y, i); i += 8 }
    while i < n { y[i] = s(x[i]); i += 1 }
}

/// g[i] (+)= f(a[i], b[i]) 8 at a time: overwrite when `overwrite`, else accumulate.
@inline(__always)
func zipInto8(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ n: Int,
              overwrite: Bool, _ v: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>, _ s: (Float, Float) -> Float) {
    var i = 0
    if overwrite {
        while i + 8 <= n { store8(v(load8(a, i), load8(b, i)), g, i); i += 8 }
        while i < n { g[i] = s(a[i], b[i]); i += 1 }
    } else {
        while i + 8 <= n { store8(load8(g, i) + v(load8(a, i), load8(b, i)), g, i); i += 8 }
        while i < n { g[i] += s(a[i], b[i]); i += 1 }
    }
}

/// g[i] += s[i].
@inline(__always)
func accumulate(_ s: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n { store8(load8(g, i) + load8(s, i), g, i); i += 8 }
    while i < n { g[i] += s[i]; i += 1 }
}
