/// Something with named parameters. Conformers need no code: the default `namedParameters()` finds,
/// by reflection, every stored property that is a parameter `Tensor`, a `Module`, or an array /
/// optional of those, and names them by property path: "encoder.conv1.weight", "steps.0.bias".
public protocol Module: AnyObject {
    /// Parameters by hierarchical name, in declaration order.
    func namedParameters() -> [(name: String, tensor: Tensor)]
}

extension Module {
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = []
        collectParameters(Mirror(reflecting: self), prefix: "", into: &out)
        return out
    }

    /// All parameters (for optimisers).
    public var parameters: [Tensor] { namedParameters().map(\.tensor) }

    /// Total number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Zeroes every parameter's gradient.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

private func collectParameters(_ mirror: Mirror, prefix: String, into out: inout [(name: String, tensor: Tensor)]) {
    if let sup = mirror.superclassMirror { collectParameters(sup, prefix: prefix, into: &out) }
    for child in mirror.children {
        guard let label = child.label else { continue }
        collectValue(child.value, name: prefix + label, into: &out)
    }
}

private func collectValue(_ value: Any, name: String, into out: inout [(name: String, tensor: Tensor)]) {
    if let t = value as? Tensor {
        if t.isParameter { out.append((name, t)) }
    } else if let m = value as? Module {
        for (n, t) in m.namedParameters() { out.append((name + "." + n, t)) }
    } else {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            if let some = mirror.children.first { collectValue(some.value, name: name, into: &out) }
        case .collection:
            for (i, c) in mirror.children.enumerated() { collectValue(c.value, name: "\(name).\(i)", into: &out) }
        default:
            break
        }
    }
}
