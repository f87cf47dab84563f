import Scenes

/// Readings inside the prior's support: no two footprints overlap (SCENE-SPEC: objects never
/// interpenetrate). The network reads some blocks twice, one copy a few hundredths of a unit
/// from the other, and two touching blocks a little into each other (1 % of clean readings);
/// such a reading is no scene: `air render` rejects it, and each copy's evidence, measured
/// against the other, says both are needed.
extension Refiner {
    /// `scene` with every overlap resolved (`Search.separate`); `scene` itself when none overlap.
    public func separated(_ observed: Image, _ scene: Scene, copiesOnly: Bool = false) throws -> Scene {
        guard Footprint.firstOverlap(scene.objects, gap: Search.separationGap) != nil else { return scene }
        var search = try Search(refiner: self, observed: observed, start: scene)
        try search.separate(copiesOnly: copiesOnly)
        return search.state.scene
    }
}

extension Search {
    /// The least gap between two blocks of a reading (`allowed`, `separate`): more than the
    /// 10⁻⁴ units to which the JSON rounds positions, so that a written reading whose blocks
    /// touch does not overlap.
    static let separationGap = 1e-3

    /// Two blocks' centres are at least the sum of their footprints' inner radii apart (0.8 for
    /// two bricks, 1 for the other shapes); a pair read closer than this is one block read twice.
    static let copyDistance = 0.5

    /// Pushes per scene before only removals are tried. A block between two others is pushed
    /// back and forth, the overlap shrinking geometrically: a few tens suffice.
    static let mostPushes = 40

    /// Resolves overlapping footprints one pair at a time, each by the best under J of three
    /// scenes: the pair pushed apart (each block half the shortest move that leaves them
    /// `separationGap` apart, `Footprint.separation`), or either block removed. A copy explains
    /// nothing its twin does not, so it costs the per-object penalty and goes; so does a block
    /// read on the wood grain into a real one.
    ///
    /// With `copiesOnly`, a pair at least `copyDistance` apart — two blocks read into each other
    /// — is only pushed apart. Under a camera off by tenths of a unit the network reads touching
    /// blocks so, and J, for which a block drawn where the wrong camera puts it costs more than
    /// it explains, drops one of the two; births find it again (refinement, the look-again),
    /// but the network alone does not look (camera 1, network alone: 22–28 count errors of
    /// 2,000 against 13–20 with `copiesOnly`).
    /// Not bound by the render budget: the scene must leave in the support. After `mostPushes`
    /// pushes (which can make new overlaps with a third block) only removals are tried, so it
    /// ends.
    @discardableResult
    mutating func separate(copiesOnly: Bool = false) throws -> Bool {
        var pushes = 0, changed = false
        while let (i, j) = Footprint.firstOverlap(state.scene.objects, gap: Search.separationGap) {
            var options: [Scene] = []
            if pushes < Search.mostPushes,
               let move = Footprint.separation(state.scene.objects[i], from: state.scene.objects[j], gap: Search.separationGap) {
                pushes += 1
                let d = move / 2
                var s = state.scene
                s.objects[i].position += d
                s.objects[j].position -= d
                options.append(s)
            }
            let a = state.scene.objects[i].position, b = state.scene.objects[j].position
            if !copiesOnly || ((a - b) * (a - b)).sum() < Search.copyDistance * Search.copyDistance || options.isEmpty {
                for k in [j, i] {
                    var s = state.scene
                    s.objects.remove(at: k)
                    options.append(s)
                }
            }
            var best: (scene: Scene, image: Image, sse: Double, j: Double)?
            for s in options {
                let image = try refiner.renderer.render(s, samplesPerPixel: refiner.spp)
                renders += 1
                let sse = Refiner.sse(observed, image)
                let j = objective(sse: sse, count: s.objects.count)
                if best == nil || j > best!.j { best = (s, image, sse, j) }
            }
            try adopt(best!.scene, image: best!.image, sse: best!.sse)
            accepted["separate", default: 0] += 1
            changed = true
        }
        return changed
    }
}
