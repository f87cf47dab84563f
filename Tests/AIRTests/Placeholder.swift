import XCTest

final class AIRTestsPlaceholder: XCTestCase {
    func testBuilds() { XCTAssertTrue(true) }
}
