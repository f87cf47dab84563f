import Engine
import Random
import Scenes

/// The inference network q(z | x): the three parts of AIR.
///
/// - *recurrent*: an LSTM carries what has been explained from one object to the next;
/// - *variable-length*: each step emits a presence logit, and inference stops at the first 0;
/// - *attentive*: each step proposes where the object stands on the table; that point is
///   projected through the known camera and a glimpse is read there with the spatial
///   transformer; the glimpse feeds the heads for shape, colour, rotation and a position
///   refinement.
///
/// With `difference` (DAIR) every step's input is the observed image next to the observed
/// image minus the rendering of the objects found so far.
public final class GuideNetwork: Module {
    /// The shape of the network and its world; only `calibration` may change after construction.
    public private(set) var config: ModelConfig

    /// Sets the confidence calibration (`air calibrate`).
    public func setCalibration(_ c: ConfidenceCalibration?) { config.calibration = c }
    /// Sets the table's albedo (`air adapt --fit-table`): a world setting, not a weight.
    public func setTableColor(_ rgb: SIMD3<Double>) { config.tableColor = [rgb.x, rgb.y, rgb.z] }
    /// Sets the table's per-pixel appearance images are divided by (`TableTexture`); nil: none.
    public func setTableTexture(_ t: [Float]?) { config.tableTexture = t }
    /// Fixes the light readings take (`air adapt`, `LightFit`); nil: each image's light is read.
    public func setWorldLight(_ l: Light?) { config.worldLight = l.map(WorldLight.init) }
    /// Sets the camera's pose and field of view (`air adapt --fit-camera`); the image size stays.
    public func setCamera(_ c: Camera) {
        config.eye = [c.eye.x, c.eye.y, c.eye.z]
        config.target = [c.target.x, c.target.y, c.target.z]
        config.up = [c.up.x, c.up.y, c.up.z]
        config.fovY = c.fovY
    }
    /// Reads the (downsampled) observed and difference images of a step.
    let encoder: ConvEncoder
    let lstm: LSTMCell
    /// h → presence logit (1) and where: mean (2), log-std (2), in normalised table units.
    let presWhere: Linear
    /// Reads the glimpse.
    let glimpseEncoder: ConvEncoder
    /// [glimpse features, h] → what (`WhatHeads`): shape logits, colour mean and log-std, a
    /// rotation point per shape class, position refinement mean and log-std.
    let what: MLP
    /// The first step's encoder features → the scene's light (`LightHead`); nil for models of
    /// the default light.
    let light: Linear?

    /// Size of a step's summary of the previous object fed back into the LSTM.
    public static let previousCode = LatentCode.size

    public init(config: ModelConfig, rng: inout RNG) {
        self.config = config
        let channels = 6
        encoder = ConvEncoder(
            input: (config.height / 2, config.width / 2, channels),
            layers: [(16, 3, 2), (32, 3, 2), (64, 3, 2)], features: config.encoderFeatures, rng: &rng)
        lstm = LSTMCell(config.encoderFeatures + GuideNetwork.previousCode, config.hidden, rng: &rng)
        presWhere = Linear(config.hidden, 5, rng: &rng)
        glimpseEncoder = ConvEncoder(
            input: (config.glimpseSize, config.glimpseSize, channels),
            layers: [(32, 4, 2), (64, 3, 2)], features: config.glimpseFeatures, rng: &rng)
        what = MLP([config.glimpseFeatures + config.hidden, 256, WhatHeads.Layout.width], rng: &rng)
        light = config.inferLight ? Linear(config.encoderFeatures, LightHead.outputs, rng: &rng) : nil
    }
}

/// Convolutions (kernel k, stride s, padding k/2 − (k even ? 1 : 0) ... see below), ReLU, then a
/// linear layer to a feature vector. NHWC in, [B, features] out.
final class ConvEncoder: Module {
    let convs: [Conv2d]
    let output: Linear
    let flatSize: Int

    /// `layers`: (out channels, kernel, stride) each.
    init(input: (h: Int, w: Int, c: Int), layers: [(Int, Int, Int)], features: Int, rng: inout RNG) {
        var h = input.h, w = input.w, c = input.c
        var cs: [Conv2d] = []
        for (out, k, s) in layers {
            let pad = (k - 1) / 2
            let conv = Conv2d(c, out, kernel: k, stride: s, padding: pad, rng: &rng)
            cs.append(conv)
            h = conv.outputSize(h)
            w = conv.outputSize(w)
            c = out
        }
        convs = cs
        flatSize = h * w * c
        output = Linear(flatSize, features, gain: 1.4142135, rng: &rng)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for conv in convs { h = conv(h, relu: true) }
        return top(h.flattened())
    }

    /// The linear layer and its ReLU on the last convolution's flattened output.
    func top(_ flat: Tensor) -> Tensor { relu(output(flat)) }
}
