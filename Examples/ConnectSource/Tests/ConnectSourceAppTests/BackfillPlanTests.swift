import Testing

@testable import ConnectSourceApp

@Suite struct BackfillPlanTests {
    @Test func worksBetween200And500Milliseconds() {
        for id in Int64(1)...1_000 {
            let work = BackfillPlan(sourceId: id, flakyEvery: 5).work
            #expect(work >= .milliseconds(200) && work <= .milliseconds(500))
        }
    }

    @Test func everyNthSourceFailsItsFirstAttempt() {
        let flaky = (Int64(1)...100).filter { BackfillPlan(sourceId: $0, flakyEvery: 5).failsFirstAttempt }
        #expect(flaky == Array(stride(from: Int64(5), through: 100, by: 5)))
        #expect(!(Int64(1)...100).contains { BackfillPlan(sourceId: $0, flakyEvery: 0).failsFirstAttempt })
    }
}

@Suite struct LatencySummaryTests {
    @Test func usesTheNearestRank() {
        let summary = LatencySummary((1...300).map(Double.init).shuffled())
        #expect(summary.count == 300)
        #expect(summary.p50 == 150)
        #expect(summary.p95 == 285)
        #expect(summary.p99 == 297)
        #expect(summary.max == 300)
    }

    @Test func isZeroWithoutSamples() {
        #expect(LatencySummary([]) == LatencySummary([0]).withCount(0))
    }
}

extension LatencySummary {
    fileprivate func withCount(_ count: Int) -> LatencySummary {
        var copy = self
        copy.count = count
        return copy
    }
}
