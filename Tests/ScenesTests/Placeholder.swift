import XCTest

final class ScenesTestsPlaceholder: XCTestCase {
    func testBuilds() { XCTAssertTrue(true) }
}
