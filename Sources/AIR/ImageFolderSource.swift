import Scenes

/// A user's own images, without labels: the PNG files of a folder (sorted by name), each brought
/// to the model's size as `air infer` does. Images `entries` of them, cycled. The scene of each
/// is unknown, so only objectives that read images alone (`rws`) may train on it.
public struct ImageFolderSource: SceneSource {
    public let folder: String
    public let files: [String]
    public let entries: Range<Int>
    public let config: ModelConfig

    /// Lists the folder's PNG files; throws when there are none.
    public init(folder: String, config: ModelConfig, entries: Range<Int>? = nil) throws {
        let names = try FileIO.list(folder).filter { $0.lowercased().hasSuffix(".png") }
        guard !names.isEmpty else { throw TrainingError.unsupported("\(folder): no PNG images") }
        self.folder = folder
        files = names.map { folder + "/" + $0 }
        self.entries = entries ?? 0..<names.count
        precondition(!self.entries.isEmpty && self.entries.upperBound <= names.count, "ImageFolderSource: bad entries")
        self.config = config
    }

    /// The same folder split into the images trained on and the last `heldOut` held back for
    /// monitoring (none held back from a folder of fewer than 8 images).
    public static func split(folder: String, config: ModelConfig, heldOut: Int) throws -> (train: ImageFolderSource, heldOut: ImageFolderSource?) {
        let all = try ImageFolderSource(folder: folder, config: config)
        let n = all.files.count, held = min(heldOut, n / 4)
        guard n >= 8, held > 0 else { return (all, nil) }
        return (try ImageFolderSource(folder: folder, config: config, entries: 0..<(n - held)),
                try ImageFolderSource(folder: folder, config: config, entries: (n - held)..<n))
    }

    public var labelled: Bool { false }
    public var camera: Camera { config.camera }
    public var samplesPerPixel: Int { config.samplesPerPixel }
    public var count: Int { entries.count }

    /// An empty scene (unknown) and the image.
    public func scene(_ index: Int, renderer: Rasterizer) throws -> (scene: Scene, image: Image?) {
        let path = files[entries.lowerBound + index % entries.count]
        let image = try SceneReader.fit(PNG.readImage(path), name: path, config: config).image
        return (config.scene(), image)
    }
}
