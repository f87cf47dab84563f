import XCTest

final class RendererTestsPlaceholder: XCTestCase {
    func testBuilds() { XCTAssertTrue(true) }
}
